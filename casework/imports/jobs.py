"""The import's steps as jobs: upload, validation and commit, claimed by one worker at a time."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from casework.imports.rows import CHECKERS, Outcome, RowError, _rows
from casework.imports.specs import PREVIEW_ROWS, PROGRESS_EVERY, SPECS, ImportRefused, _check_header, _encoding_refusal
from casework.imports.writers import _CaseWriter, _ConstituentWriter, _RollBack, _Superseded
from casework.models import (
    ImportBatch,
)
from casework.subjectdata import UPLOAD_KEEP_DAYS, file_delete_on_commit
from mpoffice.formats import moment
from mpoffice.models import Office
from mpoffice.outbox import Claim, Claims

logger = logging.getLogger(__name__)


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


def import_start(*, office: Office, by: User, kind: str, upload: UploadedFile) -> ImportBatch:
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
            f"This file was already imported on {moment(done.finished_at or done.created_at)}; "
            "importing it again would change nothing. To add rows, upload a file with the new rows."
        )
    upload.seek(0)
    batch = ImportBatch(office=office, kind=kind, original_name=(upload.name or "import.csv")[-255:], sha256=sha256)
    batch.created_by = by
    batch.file.save("import.csv", upload, save=False)
    batch.save()  # queued now (``claimed_at``'s default): the recovery sweep waits from here
    _queue(batch.pk, ImportBatch.Status.VALIDATING)
    return batch


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


def import_commit(*, batch: ImportBatch, by: User) -> ImportBatch:
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
    writers: dict[str, type[_ConstituentWriter | _CaseWriter]] = {
        ImportBatch.Kind.CONSTITUENTS: _ConstituentWriter,
        ImportBatch.Kind.CASES: _CaseWriter,
    }
    writer = writers[batch.kind](batch)
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
