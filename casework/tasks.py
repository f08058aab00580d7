"""Celery entry points of casework: they take ids, load rows and call the domain functions."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from casework import imports
from casework.models import ImportBatch

logger = logging.getLogger(__name__)

# A 100,000-row file is checked in well under a minute; the limits only stop a runaway.
IMPORT_SOFT_LIMIT = 20 * 60
IMPORT_HARD_LIMIT = IMPORT_SOFT_LIMIT + 60


def _batch(batch_id: int, status: str) -> ImportBatch | None:
    batch = ImportBatch.objects.select_related("office").filter(pk=batch_id, status=status).first()
    if batch is None:
        logger.info("Import %s is gone or no longer %s; nothing to do.", batch_id, status)
    return batch


@shared_task(
    name="casework.tasks.import_validate",
    ignore_result=True,
    acks_late=True,  # idempotent: it only runs while the batch is still "validating"
    soft_time_limit=IMPORT_SOFT_LIMIT,
    time_limit=IMPORT_HARD_LIMIT,
)
def import_validate_task(batch_id: int) -> None:
    batch = _batch(batch_id, ImportBatch.Status.VALIDATING)
    if batch is None:
        return
    try:
        imports.import_validate(batch=batch)
    except SoftTimeLimitExceeded:
        imports.import_fail(batch_id=batch_id, message="Checking the file took too long. Split it and try again.")


@shared_task(
    name="casework.tasks.import_commit",
    ignore_result=True,
    acks_late=True,  # idempotent: the transaction saves all or nothing and flips the status once
    soft_time_limit=IMPORT_SOFT_LIMIT,
    time_limit=IMPORT_HARD_LIMIT,
)
def import_commit_task(batch_id: int) -> None:
    batch = _batch(batch_id, ImportBatch.Status.COMMITTING)
    if batch is None:
        return
    try:
        imports.import_run_commit(batch=batch)
    except SoftTimeLimitExceeded:
        imports.import_fail(batch_id=batch_id, message="Importing took too long and nothing was saved. Split the file.")


# --- Data protection ---------------------------------------------------------------------------

SUBJECT_ACCESS_SOFT_LIMIT = 15 * 60


@shared_task(
    name="casework.tasks.subject_access_build",
    ignore_result=True,
    acks_late=True,  # idempotent: the export is claimed atomically (pending -> running) once
    soft_time_limit=SUBJECT_ACCESS_SOFT_LIMIT,
    time_limit=SUBJECT_ACCESS_SOFT_LIMIT + 60,
)
def subject_access_build_task(export_id: int) -> None:
    from casework import dataprotection
    from casework.models import SubjectAccessExport

    export = SubjectAccessExport.objects.select_related("constituent", "office").filter(pk=export_id).first()
    if export is None:
        logger.info("Subject access export %s is gone (erased?); nothing to do.", export_id)
        return
    try:
        dataprotection.subject_access_build(export=export)
    except SoftTimeLimitExceeded:
        dataprotection.subject_access_failed(export_id=export_id, error="Preparing the export took too long.")
    except Exception:
        logger.exception("Subject access export %s failed", export_id)
        dataprotection.subject_access_failed(export_id=export_id, error="Preparing the export failed; try again.")
        raise


@shared_task(name="casework.tasks.jobs_recover", ignore_result=True, acks_late=True, soft_time_limit=50, time_limit=60)
def jobs_recover_task() -> None:
    """Every minute: queue again the CSV imports and subject-access exports whose message was
    lost or whose worker died (queued or claimed longer ago than JOB_CLAIM_TIMEOUT_SECONDS)."""
    from casework import dataprotection

    imports.import_jobs_recover()
    dataprotection.subject_access_recover()


@shared_task(name="casework.tasks.subject_access_expire", ignore_result=True, acks_late=True)
def subject_access_expire_task() -> None:
    """Daily: delete subject-access exports built more than 30 days ago (each row stays, marked)."""
    from casework import dataprotection

    expired = dataprotection.subject_access_expire()
    if expired:
        logger.info("Subject access: %s export file(s) older than 30 days deleted.", expired)


@shared_task(name="casework.tasks.retention_sweep", ignore_result=True, acks_late=True)
def retention_sweep_task() -> None:
    """List, for staff to review, the closed cases past each office's retention period, and
    delete uploaded files kept past theirs.

    Cases are only flagged: none is anonymised or deleted without a person's decision."""
    from casework import dataprotection
    from mpoffice.models import Office

    expired = imports.import_files_expire() + dataprotection.survey_uploads_expire()
    if expired:
        logger.info("Retention: %s uploaded file(s) past %s days deleted.", expired, dataprotection.UPLOAD_KEEP_DAYS)
    for office in Office.objects.all():
        flagged = dataprotection.retention_flag(office=office)
        if flagged:
            logger.info("Retention: %s case(s) of %s listed for review.", flagged, office)


@shared_task(name="casework.tasks.mailboxes_poll", ignore_result=True, soft_time_limit=50, time_limit=60)
def mailboxes_poll_task() -> None:
    """Every minute (beat): queue a read of each office mailbox that is due."""
    from casework import mailbox_sync

    for connection_id in mailbox_sync.mailboxes_due():
        mailbox_poll_task.delay(connection_id)


@shared_task(
    name="casework.tasks.mailbox_poll", ignore_result=True, acks_late=True, soft_time_limit=4 * 60, time_limit=5 * 60
)
def mailbox_poll_task(connection_id: int) -> None:
    """Read one mailbox. Safe to run twice: the claim lets one worker in, the watermark and the
    message fingerprint take nothing twice. Mail-server errors are recorded on the connection
    (shown on System status) and retried by the next beat after the back-off."""
    from casework import mailbox_sync

    connection = mailbox_sync.mailbox_claim(connection_id)
    if connection is None:
        logger.info("Mailbox %s: not due, inactive, gone or being read by another worker.", connection_id)
        return
    try:
        mailbox_sync.mailbox_poll(connection=connection)
    except SoftTimeLimitExceeded:
        # A very full mailbox: what was taken is recorded (watermark); the next beat goes on.
        mailbox_sync.mailbox_release(connection=connection)
        raise
