"""CSV exports of any filtered list, streamed row by row so that 150,000 cases never sit in
memory, and safe to open in a spreadsheet.

A cell that starts with ``= + - @``, a tab or a carriage return is read by Excel and
LibreOffice as a formula ("CSV injection": ``=HYPERLINK(...)`` in a constituent's name would
run in the office's spreadsheet); such cells are prefixed with an apostrophe, which the
spreadsheet shows as text. This also applies to phone numbers in international form.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from casework.models import Case, Constituent

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 2000


def csv_safe(value: object) -> str:
    """The cell's text, made inert for spreadsheets (see the module docstring)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() returns what it was given (Django's streaming CSV recipe)."""

    def write(self, value: str) -> str:
        return value


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Lines of CSV: a byte-order mark so that Excel reads UTF-8, the header, then each row."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([csv_safe(cell) for cell in header])
    for row in rows:
        yield writer.writerow([csv_safe(cell) for cell in row])


def _local(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


CASE_COLUMNS = (
    "reference",
    "summary",
    "status",
    "outcome",
    "priority",
    "topic",
    "constituents",
    "assignee",
    "tags",
    "opened",
    "review_by",
    "closed",
    "sensitive",
)


def case_rows(cases: QuerySet[Case]) -> Iterator[list[object]]:
    """One row per case, in a fixed number of queries per chunk of CHUNK_SIZE cases."""
    cases = (
        cases.select_related("topic__parent", "assignee")
        .prefetch_related(
            Prefetch("constituents", queryset=Constituent.objects.order_by("pk")),
            "tags",
        )
        .defer("search", "description", "correspondent_consent")
    )
    for case in cases.iterator(chunk_size=CHUNK_SIZE):
        yield [
            case.reference,
            case.summary,
            case.get_status_display(),
            case.get_outcome_display() if case.outcome else "",
            case.get_priority_display(),
            str(case.topic) if case.topic_id else "",
            "; ".join(c.display_name for c in case.constituents.all()),
            (case.assignee.get_full_name() or case.assignee.get_username()) if case.assignee_id else "",
            ", ".join(tag.name for tag in case.tags.all()),
            _local(case.opened_at),
            case.review_by.strftime("%d/%m/%Y") if case.review_by else "",
            _local(case.closed_at),
            "yes" if case.is_sensitive else "no",
        ]


CONSTITUENT_COLUMNS = (
    "title",
    "first_name",
    "last_name",
    "organisation_name",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "ward",
    "email",
    "phone",
)


def constituent_rows(constituents: QuerySet[Constituent]) -> Iterator[list[object]]:
    """Columns named as the constituent import expects them, so an export can be re-imported."""
    for person in constituents.select_related("ward").iterator(chunk_size=CHUNK_SIZE):
        yield [
            person.title,
            person.first_name,
            person.last_name,
            person.organisation_name,
            person.address_line1,
            person.address_line2,
            person.town,
            person.postcode,
            person.ward.name if person.ward_id else "",
            person.email,
            person.phone,
        ]
