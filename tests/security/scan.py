"""Marking and scanning personal data, for the erasure and retention scan tests.

Nothing here trusts the project's own list of where personal data lives: the models and their
columns come from ``apps.get_models()`` and ``_meta``, and the files from walking MEDIA_ROOT.

* ``Markers`` hands out unique marker strings (``zq0001q``...). The builder puts one in every
  field of the person's data it can reach; a marker anywhere after erasure is a leak.
* ``Snapshot`` remembers the highest primary key of every table; ``mark_new_rows`` then appends
  a marker to every free-text field of every row created since, so that a new model or field
  is marked without anyone adding it here.
* ``scan_database`` and ``scan_media`` find every marker (and the literal values that cannot
  carry one, such as a phone number) in every text and JSON column of every table and in every
  file, looking inside ZIPs, PDFs and e-mails.
"""

from __future__ import annotations

import email
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

from django.apps import apps
from django.contrib.postgres.search import SearchVectorField
from django.db import models

MARKER = re.compile(r"zq\d{4}q", re.IGNORECASE)

# Columns that hold no personal data by what they are (a format, a code, a token): a marker
# appended there would break the row, not test erasure. Anything not listed is marked.
FORMAT_COLUMNS = {
    "admin.LogEntry": {"object_id": "the row's id"},
    "auditlog.LogEntry": {
        "object_pk": "the row's id",
        "cid": "a request's correlation id",
        "actor_email": "the e-mail of the member of staff who acted, not of a constituent",
    },
    "casework.Attachment": {"sha256": "a checksum", "content_type": "a MIME type"},
    "casework.Case": {"reference": "the office's case reference, e.g. MKS-2026-00123"},
    "casework.TimelineEntry": {"kind": "the kind of entry (a code naming a template)"},
    "casework.ImportBatch": {"sha256": "a checksum", "claim": "a worker's claim token"},
    "inbound.InboundMessage": {
        "sha256": "a checksum",
        "message_id": "the Message-ID header, kept to thread replies (random by construction)",
    },
    "campaigns.Response": {"external_id": "the survey tool's respondent id (a number)"},
    "privacy.RetentionReview": {"case_reference": "the case reference"},
    "privacy.SubjectAccessExport": {
        "stage": "a progress label",
        "error": "a failure message of the build",
        "claim": "a worker's claim token",
    },
    "letters.Letter": {
        "reference": "the letter's reference",
        "pdf_sha256": "a checksum",
        "email_claim": "a worker's claim token",
    },
    "letters.LetterSignatory": {
        "signer_name": "the MP's name (a public office holder)",
        "constituency": "the MP's constituency",
    },
    "letters.Reply": {"document_sha256": "a checksum", "document_type": "a MIME type"},
    "mpoffice.Notification": {
        "kind": "the kind of notification (a code)",
        "url": "the path of the page the notification links to",
        "email_claim": "a worker's claim token",
        "email_error": "the mail server's error for a member of staff's notification",
    },
}


def free_text_fields(model: type[models.Model]) -> list[models.Field]:
    """Every column of ``model`` that can hold text a person typed or a value about them."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField, models.JSONField)) and not f.choices
    ]


def scanned_columns(model: type[models.Model]) -> list[models.Field]:
    """Every text, JSON, file and full-text search column (choices included: nothing is assumed)."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField, models.JSONField, models.FileField, SearchVectorField))
    ]


def markable_fields(model: type[models.Model]) -> list[models.Field]:
    skip = FORMAT_COLUMNS.get(model._meta.label, {})
    return [f for f in free_text_fields(model) if f.name not in skip and not isinstance(f, models.FileField)]


class Markers:
    def __init__(self):
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"zq{self.count:04d}q"


@dataclass
class Snapshot:
    highest: dict[str, int] = field(default_factory=dict)

    @classmethod
    def take(cls) -> Snapshot:
        highest = {}
        for model in apps.get_models():
            pk = model._meta.pk
            if isinstance(pk, (models.AutoField, models.BigAutoField)):
                highest[model._meta.label] = model._base_manager.aggregate(top=models.Max("pk"))["top"] or 0
        return cls(highest)

    def new_rows(self, model: type[models.Model]) -> models.QuerySet | None:
        if model._meta.label not in self.highest:
            return None
        return model._base_manager.filter(pk__gt=self.highest[model._meta.label])


def _marked(value, marker: str, field_: models.Field):
    if isinstance(field_, models.JSONField):
        if isinstance(value, dict):
            return {**value, "marker": marker}
        if isinstance(value, list):
            return [*value, marker]
        return {"value": value, "marker": marker}
    value = value or ""
    if MARKER.search(value):
        return value
    joined = f"{value} {marker}".strip()
    limit = getattr(field_, "max_length", None)
    return joined if limit is None or len(joined) <= limit else marker


def mark_new_rows(
    snapshot: Snapshot, markers: Markers, *, skip: Iterable[models.Model] = (), skip_models: Iterable[str] = ()
) -> None:
    """Append a marker to every free-text field of every row created since ``snapshot``
    (except the ``skip`` rows: text that another person's case owns; and the models declared
    to hold no personal data, ``skip_models``)."""
    skipped = {(type(obj)._meta.label, obj.pk) for obj in skip}
    for model in apps.get_models():
        if model._meta.label in skip_models:
            continue
        rows = snapshot.new_rows(model)
        fields = markable_fields(model)
        if rows is None or not fields:
            continue
        for row in rows:
            if (model._meta.label, row.pk) in skipped:
                continue
            changes = {f.attname: _marked(getattr(row, f.attname), markers(), f) for f in fields}
            model._base_manager.filter(pk=row.pk).update(**changes)


@dataclass(frozen=True)
class Leak:
    where: str  # "table.column" or a file path
    row: object
    found: str

    def __str__(self) -> str:
        return f"{self.where} #{self.row}: {self.found}"


def _find(text: str, needles: Iterable[str]) -> list[str]:
    lowered = text.lower()
    found = [m.lower() for m in MARKER.findall(text)]
    found += [n for n in needles if n.lower() in lowered]
    return found


def scan_database(needles: Iterable[str] = ()) -> list[Leak]:
    """Every marker or needle in every text and JSON column of every table."""
    needles = [n.lower() for n in needles]
    leaks = []
    for model in apps.get_models():
        columns = scanned_columns(model)
        if not columns:
            continue
        names = [f.attname for f in columns]
        for pk, *values in model._base_manager.values_list("pk", *names).iterator():
            for name, value in zip(names, values, strict=True):
                if value in (None, "", [], {}):
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                for found in _find(text, needles):
                    leaks.append(Leak(f"{model._meta.db_table}.{name}", pk, found))
    return leaks


def file_texts(name: str, data: bytes) -> Iterable[tuple[str, str]]:
    """The readable text of a file: its bytes, a ZIP's members, a PDF's text, an e-mail's parts."""
    yield name, data.decode("utf-8", "ignore")
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield from file_texts(f"{name}!{member}", archive.read(member))
    elif data[:5] == b"%PDF-":
        from pypdf import PdfReader

        try:
            reader = PdfReader(io.BytesIO(data))
            yield f"{name} (text)", "\n".join(page.extract_text() or "" for page in reader.pages)
        except Exception as error:  # noqa: BLE001 - a file the scan cannot read is a failure of its own
            yield f"{name} (unreadable PDF)", f"UNREADABLE {error}"
    elif b"\nSubject:" in data[:4096] or data.startswith(b"From:"):
        message = email.message_from_bytes(data, policy=policy.default)
        yield f"{name} (headers)", "\n".join(f"{k}: {v}" for k, v in message.items())
        for part in message.walk():
            payload = part.get_payload(decode=True)
            if payload:
                yield from file_texts(f"{name}!{part.get_filename() or part.get_content_type()}", payload)


def scan_media(root: Path, needles: Iterable[str] = ()) -> list[Leak]:
    needles = [n.lower() for n in needles]
    leaks = []
    if not Path(root).exists():
        return leaks
    for path in sorted(Path(root).rglob("*")):
        if not path.is_file():
            continue
        relative = str(path.relative_to(root))
        for where, text in file_texts(relative, path.read_bytes()):
            if text.startswith("UNREADABLE"):
                leaks.append(Leak(where, "-", text))
            for found in _find(text, needles):
                leaks.append(Leak(where, "-", found))
    return leaks


def marked_columns() -> dict[str, set[str]]:
    """Which columns of which models hold at least one marker now (for the coverage check)."""
    held: dict[str, set[str]] = {}
    for model in apps.get_models():
        for f in scanned_columns(model):
            for value in model._base_manager.values_list(f.attname, flat=True).iterator():
                if value in (None, "", [], {}):
                    continue
                text = value if isinstance(value, str) else json.dumps(value)
                if MARKER.search(text):
                    held.setdefault(model._meta.label, set()).add(f.name)
                    break
    return held
