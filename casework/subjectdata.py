"""The registry of personal data held outside casework's own tables.

Data protection (the ``privacy`` app: subject access, erasure, retention) reads this registry;
it never imports the apps that hold the data. An app that keeps personal data about a
constituent or a case (inbound e-mails, survey responses, letters) registers a
``SubjectDataSource`` from its ``AppConfig.ready()``, as it registers timeline kinds::

    from casework.subjectdata import SubjectDataSource, register_source
    register_source(SubjectDataSource(name="letters", collect=..., erase_constituent=..., anonymise_cases=...))

Sources are called in the order they were registered (the order of ``INSTALLED_APPS``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Model, QuerySet
from django.db.models.fields.files import FieldFile

from casework.models import Constituent

ANONYMISED = "(anonymised)"
# An uploaded CSV (an import, a survey's responses) is personal data held only to check and
# import it: it is kept this long after the import finished, to answer "what was in that
# file?", and then deleted by the retention sweep.
UPLOAD_KEEP_DAYS = 30


@dataclass
class ExportSection:
    """One part of a subject access export: rows to show and files to include."""

    title: str
    rows: list[dict] = field(default_factory=list)
    files: list[tuple[str, FieldFile]] = field(default_factory=list)  # (name in the ZIP, stored file)
    audited: list[tuple[type[Model], list[int]]] = field(default_factory=list)  # rows whose audit entries count


AuditedRows = list[tuple[type[Model], list[int]]]
Counts = dict[str, int]


def _nothing(*args: object) -> tuple[Counts, AuditedRows]:
    return {}, []


@dataclass(frozen=True)
class SubjectDataSource:
    name: str
    # collect(constituent, case_ids) -> sections for the export
    collect: Callable[[Constituent, list[int]], list[ExportSection]]
    # erase_constituent(constituent) -> (counts, rows changed); removes data addressed to or naming the person
    erase_constituent: Callable[[Constituent], tuple[Counts, AuditedRows]]
    # anonymise_cases(case_ids, delete) -> (counts, rows changed); for cases being anonymised or deleted
    anonymise_cases: Callable[[list[int], bool], tuple[Counts, AuditedRows]]
    # shared_text(case_ids) -> [(rows, field names)]: free text on cases other people share
    shared_text: Callable[[list[int]], list[tuple[QuerySet, list[str]]]] = lambda case_ids: []
    # contacts_removing(contact_ids) -> (counts, rows changed): rows hanging on contacts about to be removed
    contacts_removing: Callable[[list[int]], tuple[Counts, AuditedRows]] = _nothing
    # files_forget(constituent, carries) -> counts: uploaded files that carry the person (carries(file) says so)
    files_forget: Callable[[Constituent, Callable[[FieldFile], bool]], Counts] = lambda constituent, carries: {}
    # files_expire(now) -> how many uploaded files past UPLOAD_KEEP_DAYS were deleted
    files_expire: Callable[[datetime | None], int] = lambda now: 0


_SOURCES: dict[str, SubjectDataSource] = {}


def register_source(source: SubjectDataSource) -> None:
    _SOURCES[source.name] = source


def sources() -> list[SubjectDataSource]:
    return list(_SOURCES.values())


def file_delete_on_commit(field_file: FieldFile) -> None:
    """Remove a stored file once the surrounding transaction has committed."""
    if not field_file:
        return
    storage, name = field_file.storage, field_file.name
    transaction.on_commit(lambda: storage.delete(name))


def export_row(obj: Model, fields: Iterable[str]) -> dict:
    """A row of an export: the fields' values, choices shown by their labels."""
    row = {}
    for name in fields:
        value = getattr(obj, name)
        display = getattr(obj, f"get_{name}_display", None)
        row[name] = display() if callable(display) else value
    return row
