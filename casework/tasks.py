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
