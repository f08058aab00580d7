"""Celery entry point of geography: the directory import, which takes ids and calls the service."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from geography import services
from geography.models import Release

logger = logging.getLogger(__name__)

# A full directory (2.7 million rows) takes a few minutes; the limits only stop a runaway.
IMPORT_SOFT_LIMIT = 45 * 60
IMPORT_HARD_LIMIT = IMPORT_SOFT_LIMIT + 60


@shared_task(
    name="geography.tasks.release_import",
    ignore_result=True,
    acks_late=False,  # not idempotent mid-way: a lost run is marked failed and uploaded again
    soft_time_limit=IMPORT_SOFT_LIMIT,
    time_limit=IMPORT_HARD_LIMIT,
)
def release_import_task(release_id: int) -> None:
    release = Release.objects.filter(pk=release_id, status=Release.Status.QUEUED).first()
    if release is None:
        logger.info("Directory release %s is gone or already started; nothing to do.", release_id)
        return
    try:
        services.release_run(release=release)
    except SoftTimeLimitExceeded:
        Release.objects.filter(pk=release_id).update(
            status=Release.Status.FAILED, error="The import took too long and was stopped; nothing was changed."
        )
