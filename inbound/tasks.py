"""Celery entry points of inbound: they take ids, load rows and call the domain functions."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

logger = logging.getLogger(__name__)


@shared_task(name="inbound.tasks.mailboxes_poll", ignore_result=True, soft_time_limit=50, time_limit=60)
def mailboxes_poll_task() -> None:
    """Every minute (beat): queue a read of each office mailbox that is due."""
    from inbound import mailbox_sync

    for connection_id in mailbox_sync.mailboxes_due():
        mailbox_poll_task.delay(connection_id)


@shared_task(
    name="inbound.tasks.mailbox_poll", ignore_result=True, acks_late=True, soft_time_limit=4 * 60, time_limit=5 * 60
)
def mailbox_poll_task(connection_id: int) -> None:
    """Read one mailbox. Safe to run twice: the claim lets one worker in, the watermark and the
    message fingerprint take nothing twice. Mail-server errors are recorded on the connection
    (shown on System status) and retried by the next beat after the back-off."""
    from inbound import mailbox_sync

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
