"""Celery entry points of data protection: they take ids, load rows and call the domain functions.

The registered names are those the tasks had in casework (``casework.tasks.*``), so messages
already queued and the beat schedule keep working after the move."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from casework import imports
from casework.subjectdata import UPLOAD_KEEP_DAYS
from privacy import services as dataprotection
from privacy.models import SubjectAccessExport

logger = logging.getLogger(__name__)

SUBJECT_ACCESS_SOFT_LIMIT = 15 * 60


@shared_task(
    name="casework.tasks.subject_access_build",
    ignore_result=True,
    acks_late=True,  # idempotent: the export is claimed atomically (pending -> running) once
    soft_time_limit=SUBJECT_ACCESS_SOFT_LIMIT,
    time_limit=SUBJECT_ACCESS_SOFT_LIMIT + 60,
)
def subject_access_build_task(export_id: int) -> None:
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
    imports.import_jobs_recover()
    dataprotection.subject_access_recover()


@shared_task(name="casework.tasks.subject_access_expire", ignore_result=True, acks_late=True)
def subject_access_expire_task() -> None:
    """Daily: delete subject-access exports built more than 30 days ago (each row stays, marked)."""
    expired = dataprotection.subject_access_expire()
    if expired:
        logger.info("Subject access: %s export file(s) older than 30 days deleted.", expired)


@shared_task(name="casework.tasks.retention_sweep", ignore_result=True, acks_late=True)
def retention_sweep_task() -> None:
    """List, for staff to review, the closed cases past each office's retention period, and
    delete uploaded files kept past theirs.

    Cases are only flagged: none is anonymised or deleted without a person's decision."""
    from mpoffice.models import Office

    expired = imports.import_files_expire() + dataprotection.uploaded_files_expire()
    if expired:
        logger.info("Retention: %s uploaded file(s) past %s days deleted.", expired, UPLOAD_KEEP_DAYS)
    for office in Office.objects.all():
        flagged = dataprotection.retention_flag(office=office)
        if flagged:
            logger.info("Retention: %s case(s) of %s listed for review.", flagged, office)
