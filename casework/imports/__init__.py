"""CSV imports of constituents and cases: upload, preview with every row's errors, commit.

- ``import_start`` (the upload) checks the columns and the encoding at once and refuses a
  wrong file with a message listing the expected columns; nothing is saved then.
- ``import_validate`` (a Celery task) reads the file as a stream, checks every row and
  records per-row errors (row number as a spreadsheet shows it, column, message), what is
  new and what is already held, with progress for the page to show.
- ``import_commit`` (a Celery task) saves every new row in one transaction: all or nothing.

Both tasks wait on a message. A worker claims the batch first (``IMPORT_JOBS``, the claim helper
of ``mpoffice.outbox``), and ``import_jobs_recover`` (every minute) queues again a batch whose
message was lost or whose worker was killed, once its claim is older than
``JOB_CLAIM_TIMEOUT_SECONDS``. The commit's final UPDATE is conditional on the claim, inside
the same transaction as the rows, so a file is saved exactly once however often it is queued.

Re-importing is harmless: the same file (by SHA-256) is refused once it was imported, and
rows already held (natural keys: a constituent's e-mail, else name and postcode; a case's
constituent, summary and opening date) are skipped, so an extended file adds only its new rows.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from casework.exports import FORMULA_TRIGGERS
from casework.models import (
    Case,
    CaseConstituent,
    CaseReferenceCounter,
    Constituent,
    ImportBatch,
    PostcodeWard,
    TimelineEntry,
    Topic,
)
from casework.phones import PHONE_ERROR, phone_normalise
from casework.postcodes import POSTCODE_ERROR, postcode_normalise
from casework.subjectdata import UPLOAD_KEEP_DAYS, file_delete_on_commit
from mpoffice.models import Office
from mpoffice.outbox import Claim, Claims

logger = logging.getLogger(__name__)

MAX_ROWS = 200_000
ERRORS_KEPT = 1_000
PREVIEW_ROWS = 20
PROGRESS_EVERY = 2_000
CHUNK = 2_000


@dataclass(frozen=True)
class ImportSpec:
    kind: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    notes: str

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    def describe(self) -> str:
        optional = f"; optional: {', '.join(self.optional)}" if self.optional else ""
        return f"Required columns: {', '.join(self.required)}{optional}."


SPECS = {
    ImportBatch.Kind.CONSTITUENTS: ImportSpec(
        kind=ImportBatch.Kind.CONSTITUENTS,
        required=("first_name", "last_name", "postcode", "email", "phone"),
        optional=("title", "organisation_name", "address_line1", "address_line2", "town", "ward"),
        notes="Each row needs a last name or an organisation name. The ward is found from the postcode; "
        "a ward column (as in Postbag's own export) is ignored.",
    ),
    ImportBatch.Kind.CASES: ImportSpec(
        kind=ImportBatch.Kind.CASES,
        required=("constituent_email", "summary"),
        optional=("topic", "status", "outcome", "priority", "opened_on", "review_by", "description"),
        notes="The constituent must already be held, with that e-mail address. Topics are written as in "
        'Postbag ("Housing › Repairs" or "Housing > Repairs"); dates as 31/01/2026 or 2026-01-31.',
    ),
}


# A batch waits on a worker while it is being checked or committed.
IMPORT_JOBS = Claims(
    model=ImportBatch,
    waiting=Q(status__in=[ImportBatch.Status.VALIDATING, ImportBatch.Status.COMMITTING]),
    timeout_seconds=lambda: settings.JOB_CLAIM_TIMEOUT_SECONDS,
)


def _claim(batch: ImportBatch, status: str) -> Claim | None:
    """This worker's claim on the batch in ``status``, or None (done, or another worker has it)."""
    claim = IMPORT_JOBS.claim(ImportBatch.objects.filter(pk=batch.pk, status=status))
    if not claim:
        logger.info("Import %s is not %s or another worker has it; nothing to do.", batch.pk, status)
        return None
    return claim


def _queue(batch_id: int, status: str) -> None:
    from casework.tasks import import_commit_task, import_validate_task

    task = import_validate_task if status == ImportBatch.Status.VALIDATING else import_commit_task
    transaction.on_commit(partial(task.delay, batch_id))


def import_jobs_recover() -> list[int]:
    """Queue again each batch being checked or committed whose message was lost or whose worker
    died (queued or claimed longer ago than ``JOB_CLAIM_TIMEOUT_SECONDS``)."""
    requeued = IMPORT_JOBS.requeue_stale()
    for batch_id, status in ImportBatch.objects.filter(pk__in=requeued).values_list("pk", "status"):
        logger.warning("Import %s (%s) was lost or its worker died: queued again.", batch_id, status)
        _queue(batch_id, status)
    return requeued


class ImportRefused(ValueError):
    """The file cannot be imported at all (columns, encoding, already imported): say what to do."""


def _header_names(row: list[str]) -> list[str]:
    return [cell.strip().lower().replace(" ", "_") for cell in row]


def _check_header(spec: ImportSpec, header: list[str]) -> None:
    names = _header_names(header)
    missing = [name for name in spec.required if name not in names]
    unknown = [name for name in names if name not in spec.columns]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if missing or unknown or duplicated:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"not recognised: {', '.join(n or '(blank)' for n in unknown)}")
        if duplicated:
            problems.append(f"given twice: {', '.join(duplicated)}")
        raise ImportRefused(
            f"The file's columns are not the expected ones ({'; '.join(problems)}). {spec.describe()} "
            "The first row of the file must name the columns."
        )


def _encoding_refusal(spec: ImportSpec) -> ImportRefused:
    return ImportRefused(
        "The file is not UTF-8 text. In Excel, save it with “Save as type: CSV UTF-8 (Comma delimited)”, "
        f"then upload it again. {spec.describe()}"
    )


def import_start(*, office: Office, by, kind: str, upload: UploadedFile) -> ImportBatch:
    """Check the upload's encoding and columns, keep it and queue the row-by-row check."""
    spec = SPECS[ImportBatch.Kind(kind)]
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    first_lines = ""
    try:
        for chunk in upload.chunks():
            digest.update(chunk)
            text = decoder.decode(chunk)
            if len(first_lines) < 65536:
                first_lines += text
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise _encoding_refusal(spec) from error
    if "\x00" in first_lines:
        raise _encoding_refusal(spec)
    try:
        header = next(csv.reader(io.StringIO(first_lines, newline="")), None)
    except csv.Error as error:
        raise ImportRefused(f"The file is not a CSV file ({error}). {spec.describe()}") from error
    if not header:
        raise ImportRefused(f"The file is empty. {spec.describe()}")
    _check_header(spec, header)

    sha256 = digest.hexdigest()
    earlier = ImportBatch.objects.for_office(office).filter(kind=kind, sha256=sha256, status=ImportBatch.Status.DONE)
    if done := earlier.first():
        raise ImportRefused(
            f"This file was already imported on {timezone.localtime(done.finished_at):%d/%m/%Y at %H:%M}; "
            "importing it again would change nothing. To add rows, upload a file with the new rows."
        )
    upload.seek(0)
    batch = ImportBatch(office=office, kind=kind, original_name=(upload.name or "import.csv")[-255:], sha256=sha256)
    batch.created_by = by
    batch.file.save("import.csv", upload, save=False)
    batch.save()  # queued now (``claimed_at``'s default): the recovery sweep waits from here
    _queue(batch.pk, ImportBatch.Status.VALIDATING)
    return batch


# --- Reading and checking rows -------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Outcome:
    total: int = 0
    new: int = 0
    existing: int = 0
    error_count: int = 0
    errors: list[list] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    fatal: str = ""

    def add_errors(self, errors: list[RowError]) -> None:
        self.error_count += len(errors)
        for error in errors:
            if len(self.errors) < ERRORS_KEPT:
                self.errors.append([error.row, error.column, error.message])


def _rows(batch: ImportBatch, spec: ImportSpec) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {column: stripped value}) for every data row, streamed."""
    with batch.file.open("rb") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        header = _header_names(next(reader))
        for row_number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if row_number - 1 > MAX_ROWS:
                raise ImportRefused(f"The file has more than {MAX_ROWS:,} rows; split it into smaller files.")
            yield row_number, {name: _cell(cells[i] if i < len(cells) else "") for i, name in enumerate(header)}


def _cell(value: str) -> str:
    """A cell's text, without the apostrophe Postbag's own exports put before "+44..." and the
    like (casework.exports.csv_safe), so that an export imports back as it was."""
    value = value.strip()
    if value.startswith("'") and value[1:2] in FORMULA_TRIGGERS:
        return value[1:]
    return value


class _Checker:
    """Checks rows of one kind; ``check(row)`` returns (key, instance fields) or errors."""

    def __init__(self, office: Office):
        self.office = office
        self.seen: dict[tuple, int] = {}

    def existing_keys(self) -> set[tuple]:
        raise NotImplementedError

    def check(self, number: int, row: dict[str, str]) -> tuple[tuple | None, dict, list[RowError]]:
        raise NotImplementedError


def _length(errors: list[RowError], number: int, row: dict, model, name: str) -> None:
    limit = model._meta.get_field(name).max_length
    if limit and len(row.get(name, "")) > limit:
        errors.append(RowError(number, name, f"Too long: at most {limit} characters."))


class _ConstituentChecker(_Checker):
    TEXT = ("title", "first_name", "last_name", "organisation_name", "address_line1", "address_line2", "town")

    def __init__(self, office: Office):
        super().__init__(office)
        self.wards = dict(PostcodeWard.objects.for_office(office).values_list("postcode", "ward_id"))

    @staticmethod
    def key(*, email: str, first_name: str, last_name: str, organisation_name: str, postcode: str) -> tuple:
        if email:
            return ("email", email.lower())
        return ("name", first_name.casefold(), last_name.casefold(), organisation_name.casefold(), postcode)

    def existing_keys(self) -> set[tuple]:
        rows = Constituent.objects.for_office(self.office).values_list(
            "email", "first_name", "last_name", "organisation_name", "postcode"
        )
        return {
            self.key(email=e, first_name=f, last_name=la, organisation_name=o, postcode=p) for e, f, la, o, p in rows
        }

    def check(self, number, row):
        errors: list[RowError] = []
        for name in self.TEXT:
            _length(errors, number, row, Constituent, name)
        if not (row.get("last_name") or row.get("organisation_name")):
            errors.append(RowError(number, "last_name", "Give a last name (or an organisation name)."))
        postcode = row.get("postcode", "")
        if postcode:
            try:
                postcode = postcode_normalise(postcode)
            except ValidationError:
                errors.append(RowError(number, "postcode", POSTCODE_ERROR))
        phone = row.get("phone", "")
        if phone:
            try:
                phone = phone_normalise(phone)
            except ValidationError:
                errors.append(RowError(number, "phone", PHONE_ERROR))
        email = row.get("email", "").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(RowError(number, "email", "Enter an e-mail address such as name@example.org."))
        if errors:
            return None, {}, errors
        fields = {name: row.get(name, "") for name in self.TEXT}
        fields.update(
            postcode=postcode,
            phone=phone,
            email=email,
            kind=Constituent.Kind.ORGANISATION
            if row.get("organisation_name") and not row.get("last_name")
            else Constituent.Kind.PERSON,
            ward_id=self.wards.get(postcode),
        )
        key = self.key(
            email=email,
            first_name=fields["first_name"],
            last_name=fields["last_name"],
            organisation_name=fields["organisation_name"],
            postcode=postcode,
        )
        return key, fields, []


def _parse_date(value: str) -> date:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


def _choice(choices: type, value: str) -> str | None:
    wanted = value.strip().casefold().replace(" ", "_")
    for choice_value, label in choices.choices:
        if wanted in (choice_value.casefold(), label.casefold().replace(" ", "_")):
            return choice_value
    return None


class _CaseChecker(_Checker):
    def __init__(self, office: Office):
        super().__init__(office)
        self.constituents = dict(
            Constituent.objects.for_office(office).filter(merged_into=None).exclude(email="").values_list("email", "pk")
        )
        self.topics: dict[str, int] = {}
        for topic in Topic.objects.for_office(office).select_related("parent"):
            self.topics[str(topic).casefold()] = topic.pk
            if topic.parent_id:
                self.topics[f"{topic.parent.name} > {topic.name}".casefold()] = topic.pk
        self.today = timezone.localdate()

    def existing_keys(self) -> set[tuple]:
        rows = CaseConstituent.objects.for_office(self.office).values_list(
            "constituent_id", "case__summary", "case__opened_at"
        )
        return {(c, s.casefold(), timezone.localtime(o).date()) for c, s, o in rows}

    def check(self, number, row):
        errors: list[RowError] = []
        constituent_id = None
        email = row.get("constituent_email", "").lower()
        if not email:
            errors.append(RowError(number, "constituent_email", "Give the constituent's e-mail address."))
        elif (constituent_id := self.constituents.get(email)) is None:
            errors.append(
                RowError(
                    number, "constituent_email", f"No constituent has the e-mail address {email}; import them first."
                )
            )
        summary = row.get("summary", "")
        if not summary:
            errors.append(RowError(number, "summary", "Give a short summary of the case."))
        _length(errors, number, row, Case, "summary")
        topic_id = None
        if topic := row.get("topic", ""):
            topic_id = self.topics.get(" ".join(topic.split()).casefold())
            if topic_id is None:
                errors.append(
                    RowError(number, "topic", f"This office has no topic “{topic}”; add it or correct the name.")
                )
        status = Case.Status.NEW
        if row.get("status"):
            status = _choice(Case.Status, row["status"])
            if status is None:
                errors.append(RowError(number, "status", f"Use one of: {', '.join(Case.Status.labels)}."))
        outcome = ""
        if row.get("outcome"):
            outcome = _choice(Case.Outcome, row["outcome"]) or ""
            if not outcome:
                errors.append(RowError(number, "outcome", f"Use one of: {', '.join(Case.Outcome.labels)}."))
        if status == Case.Status.CLOSED and not outcome and not row.get("outcome"):
            errors.append(RowError(number, "outcome", "A closed case needs an outcome."))
        priority = Case.Priority.NORMAL
        if row.get("priority"):
            priority = _choice(Case.Priority, row["priority"])
            if priority is None:
                errors.append(RowError(number, "priority", f"Use one of: {', '.join(Case.Priority.labels)}."))
        opened_on, review_by = self.today, None
        for name in ("opened_on", "review_by"):
            if row.get(name):
                try:
                    value = _parse_date(row[name])
                except ValueError:
                    errors.append(RowError(number, name, "Write the date as 31/01/2026 or 2026-01-31."))
                    continue
                if name == "opened_on":
                    if value > self.today:
                        errors.append(RowError(number, name, "A case cannot be opened in the future."))
                    opened_on = value
                else:
                    review_by = value
        if errors:
            return None, {}, errors
        fields = {
            "constituent_id": constituent_id,
            "summary": summary,
            "description": row.get("description", ""),
            "topic_id": topic_id,
            "status": status,
            "outcome": outcome if status == Case.Status.CLOSED else "",
            "priority": priority,
            "opened_on": opened_on.isoformat(),
            "review_by": review_by.isoformat() if review_by else None,
        }
        return (constituent_id, summary.casefold(), opened_on), fields, []


CHECKERS: dict[str, Callable[[Office], _Checker]] = {
    ImportBatch.Kind.CONSTITUENTS: _ConstituentChecker,
    ImportBatch.Kind.CASES: _CaseChecker,
}


def _walk(batch: ImportBatch, *, on_new: Callable[[dict], None] | None, progress: Callable[[int], None]) -> Outcome:
    """Check every row; call ``on_new`` with each new row's fields (only when there is no error)."""
    spec = SPECS[ImportBatch.Kind(batch.kind)]
    checker = CHECKERS[batch.kind](batch.office)
    existing = checker.existing_keys()
    outcome = Outcome()
    try:
        for number, row in _rows(batch, spec):
            outcome.total += 1
            key, fields, errors = checker.check(number, row)
            if not errors and key in checker.seen:
                errors = [RowError(number, "", f"The same as row {checker.seen[key]}; remove one of them.")]
            if errors:
                outcome.add_errors(errors)
            elif key in existing:
                outcome.existing += 1
            else:
                checker.seen[key] = number
                outcome.new += 1
                if len(outcome.preview) < PREVIEW_ROWS:
                    outcome.preview.append({"row": number, **_displayable(fields)})
                if on_new is not None:
                    on_new(fields)
            if outcome.total % PROGRESS_EVERY == 0:
                progress(outcome.total)
    except UnicodeDecodeError:
        outcome.fatal = str(_encoding_refusal(spec))
    except csv.Error as error:
        outcome.fatal = f"The file could not be read as CSV ({error}). {spec.describe()}"
    except ImportRefused as error:
        outcome.fatal = str(error)
    return outcome


def _displayable(fields: dict) -> dict:
    return {name: value for name, value in fields.items() if not name.endswith("_id")}


def _progress_autocommit(claim: Claim) -> Callable[[int], None]:
    def report(done: int) -> None:
        claim.touch(processed_rows=done)  # and the claim stays this live worker's

    return report


def import_validate(*, batch: ImportBatch) -> ImportBatch:
    """Check every row and record the outcome; the batch becomes a preview or shows its errors."""
    claim = _claim(batch, ImportBatch.Status.VALIDATING)
    if claim is None:
        return batch
    outcome = _walk(batch, on_new=None, progress=_progress_autocommit(claim))
    ok = not outcome.fatal and not outcome.error_count
    claim.finish(
        status=ImportBatch.Status.PREVIEW if ok else ImportBatch.Status.INVALID,
        total_rows=outcome.total,
        processed_rows=outcome.total,
        new_rows=outcome.new,
        existing_rows=outcome.existing,
        error_count=outcome.error_count,
        errors=outcome.errors,
        preview=outcome.preview,
        message=outcome.fatal,
    )
    batch.refresh_from_db()
    return batch


class ImportNotReady(ValueError):
    pass


def import_commit(*, batch: ImportBatch, by) -> ImportBatch:
    """Start saving a checked file (once, even if the button is pressed twice)."""
    started = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEW).update(
        status=ImportBatch.Status.COMMITTING, committed_by=by, processed_rows=0, claim="", claimed_at=timezone.now()
    )
    if started != 1:
        raise ImportNotReady("This import is not waiting to be confirmed.")
    _queue(batch.pk, ImportBatch.Status.COMMITTING)
    batch.refresh_from_db()
    return batch


def import_cancel(*, batch: ImportBatch) -> None:
    ImportBatch.objects.filter(pk=batch.pk, status__in=(ImportBatch.Status.PREVIEW, ImportBatch.Status.INVALID)).update(
        status=ImportBatch.Status.CANCELLED
    )


class _SideProgress:
    """Progress written while the import's own transaction is still open.

    Rows inside that transaction are invisible to the page until it commits, so on PostgreSQL
    progress goes through a second connection in autocommit mode. SQLite allows one writer at
    a time, so there the page shows an indeterminate bar until the commit finishes (and the
    claim is not kept fresh: ``JOB_CLAIM_TIMEOUT_SECONDS`` must exceed the longest commit).
    """

    def __init__(self, claim: Claim):
        self.claim = claim
        self.side = connections.create_connection("default") if connection.vendor == "postgresql" else None

    def __call__(self, done: int) -> None:
        if self.side is None:
            return
        # Claim.touch's UPDATE, through the side connection: progress, and the claim kept fresh.
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportBatch._meta.db_table} SET processed_rows = %s, claimed_at = %s "  # noqa: S608
                "WHERE id = %s AND claim = %s",
                [done, timezone.now(), self.claim.ids[0], self.claim.token],
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def import_run_commit(*, batch: ImportBatch) -> ImportBatch:
    """Save every new row of the file, or none: rows are checked again (the office's data may
    have changed since the preview) and any error rolls the whole file back. The batch is
    marked done in the same transaction, only while this worker's claim holds: a worker whose
    claim was taken over (it was thought dead) rolls back, so the file is saved once."""
    claim = _claim(batch, ImportBatch.Status.COMMITTING)
    if claim is None:
        return batch
    progress = _SideProgress(claim)
    writer = {ImportBatch.Kind.CONSTITUENTS: _ConstituentWriter, ImportBatch.Kind.CASES: _CaseWriter}[batch.kind](batch)
    try:
        with transaction.atomic():
            outcome = _walk(batch, on_new=writer.add, progress=progress)
            if outcome.fatal or outcome.error_count:
                raise _RollBack(outcome)
            writer.flush()
            # The rows are saved: the preview of them is no longer needed (the file is kept
            # for UPLOAD_KEEP_DAYS, then removed by ``import_files_expire``).
            finished = claim.finish(
                status=ImportBatch.Status.DONE,
                total_rows=outcome.total,
                processed_rows=outcome.total,
                new_rows=outcome.new,
                existing_rows=outcome.existing,
                finished_at=timezone.now(),
                message="",
                preview=[],
            )
            if not finished:
                raise _Superseded
    except _Superseded:
        logger.warning("Import %s was taken over by another worker; this one saved nothing.", batch.pk)
    except _RollBack as rollback:
        outcome = rollback.outcome
        claim.finish(
            status=ImportBatch.Status.INVALID,
            total_rows=outcome.total,
            processed_rows=outcome.total,
            error_count=outcome.error_count,
            errors=outcome.errors,
            message=outcome.fatal
            or "The office's records changed since the preview and some rows no longer fit. Nothing was saved.",
        )
    finally:
        progress.close()
    batch.refresh_from_db()
    return batch


def import_files_expire(*, now: datetime | None = None) -> int:
    """Delete the files, previews and error lists of imports that finished (or were abandoned)
    more than UPLOAD_KEEP_DAYS ago; the batch keeps its counts, dates and checksum, which is
    all a later upload is checked against. Idempotent: a second sweep finds nothing to do."""
    cutoff = (now or timezone.now()) - timedelta(days=UPLOAD_KEEP_DAYS)
    expired = (
        ImportBatch.objects.exclude(status__in=ImportBatch.ACTIVE_STATUSES)
        .exclude(file="")
        .filter(Q(finished_at__lt=cutoff) | Q(finished_at=None, created_at__lt=cutoff))
    )
    done = 0
    with transaction.atomic():
        for batch in expired.select_for_update(skip_locked=True):
            file_delete_on_commit(batch.file)
            done += ImportBatch.objects.filter(pk=batch.pk).update(file="", preview=[], errors=[])
    return done


def import_fail(*, batch_id: int, message: str) -> None:
    ImportBatch.objects.filter(IMPORT_JOBS.waiting, pk=batch_id).update(
        status=ImportBatch.Status.FAILED, message=message
    )


class _Superseded(Exception):
    """This worker's claim was taken over: its copy of the work is rolled back."""


class _RollBack(Exception):
    def __init__(self, outcome: Outcome):
        self.outcome = outcome


class _ConstituentWriter:
    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.pending: list[Constituent] = []

    def add(self, fields: dict) -> None:
        self.pending.append(
            Constituent(office_id=self.batch.office_id, created_by_id=self.batch.committed_by_id, **fields)
        )
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        Constituent.objects.bulk_create(self.pending, batch_size=CHUNK)
        self.pending = []


class _CaseWriter:
    """Cases with their constituent link and an "opened" timeline entry, in chunks.

    Case numbers are taken in blocks from the office's counter for each year (the UPDATE
    holds the counter's row lock until the import commits, as ``case_reference_next`` does).
    """

    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.office = batch.office
        self.pending: list[dict] = []

    def add(self, fields: dict) -> None:
        self.pending.append(fields)
        if len(self.pending) >= CHUNK:
            self.flush()

    def _numbers(self, year: int, count: int) -> range:
        CaseReferenceCounter.objects.get_or_create(office=self.office, year=year)
        CaseReferenceCounter.objects.filter(office=self.office, year=year).update(last_number=F("last_number") + count)
        last = CaseReferenceCounter.objects.get(office=self.office, year=year).last_number
        return range(last - count + 1, last + 1)

    def flush(self) -> None:
        if not self.pending:
            return
        tz = timezone.get_current_timezone()
        by_year: dict[int, list[dict]] = {}
        for fields in self.pending:
            by_year.setdefault(date.fromisoformat(fields["opened_on"]).year, []).append(fields)
        cases, links = [], []
        for year, rows in by_year.items():
            for number, fields in zip(self._numbers(year, len(rows)), rows, strict=True):
                opened_on = date.fromisoformat(fields["opened_on"])
                opened_at = datetime.combine(opened_on, time(9, 0), tzinfo=tz)
                case = Case(
                    office_id=self.office.pk,
                    reference=f"{self.office.reference_prefix}-{year}-{number:05d}",
                    year=year,
                    number=number,
                    summary=fields["summary"],
                    description=fields["description"],
                    topic_id=fields["topic_id"],
                    status=fields["status"],
                    outcome=fields["outcome"],
                    priority=fields["priority"],
                    review_by=date.fromisoformat(fields["review_by"]) if fields["review_by"] else None,
                    opened_at=opened_at,
                    closed_at=opened_at if fields["status"] == Case.Status.CLOSED else None,
                    created_by_id=self.batch.committed_by_id,
                )
                cases.append(case)
                links.append(fields["constituent_id"])
        Case.objects.bulk_create(cases, batch_size=CHUNK)
        CaseConstituent.objects.bulk_create(
            [
                CaseConstituent(office_id=self.office.pk, case=case, constituent_id=constituent_id)
                for case, constituent_id in zip(cases, links, strict=True)
            ],
            batch_size=CHUNK,
        )
        TimelineEntry.objects.bulk_create(
            [
                TimelineEntry(
                    office_id=self.office.pk,
                    case=case,
                    kind="opened",
                    title=f"Case {case.reference} opened (imported from {self.batch.original_name})"[:300],
                    actor_id=self.batch.committed_by_id,
                    occurred_at=case.opened_at,
                )
                for case in cases
            ],
            batch_size=CHUNK,
        )
        self.pending = []
