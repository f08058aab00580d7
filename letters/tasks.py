"""Thin Celery entry points: take ids, call a service, return quietly if the row is gone."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.conf import settings

from letters import reminders, services
from letters.emails import letter_emails_send
from letters.models import BulkRun, Letter

logger = logging.getLogger(__name__)


@shared_task(
    name="letters.tasks.letter_email",
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
    soft_time_limit=120,
    time_limit=150,
)
def letter_email(letter_id: int) -> None:
    """The nudge after a letter is sent by e-mail: send it now rather than at the next sweep."""
    if not Letter.objects.filter(pk=letter_id).exists():
        logger.info("letter %s no longer exists; nothing to e-mail", letter_id)
        return
    if letter_emails_send(letters=Letter.objects.filter(pk=letter_id)):
        logger.info("letter %s e-mailed", letter_id)


@shared_task(
    name="letters.tasks.letter_emails_sweep",
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
    acks_late=True,  # idempotent: letters are claimed, and a second run finds nothing to claim
    soft_time_limit=120,
    time_limit=150,
)
def letter_emails_sweep() -> None:
    """Every minute: the letter outbox. Sends what a lost nudge or a killed worker left waiting
    (a claim is taken again once older than EMAIL_CLAIM_TIMEOUT_SECONDS)."""
    total = 0
    while sent := letter_emails_send():
        total += sent
    if total:
        logger.info("letter e-mails sent by the sweep: %s", total)


# --- reminders and bulk replies -----------------------------------------------------------------
# Sweeps and chunks are idempotent (unique reminder keys, row-locked claims), so they are acked
# late: a worker killed mid-task has its message delivered again, and doing it twice is harmless.


@shared_task(name="letters.tasks.reminders_replies_overdue", acks_late=True, soft_time_limit=240, time_limit=300)
def reminders_replies_overdue() -> None:
    """Every minute: replies past their due date (notify, and draft a chaser once)."""
    reminders.sweep_replies_overdue()


@shared_task(name="letters.tasks.reminders_casework", acks_late=True, soft_time_limit=240, time_limit=300)
def reminders_casework() -> None:
    """Case review dates reached, follow-up actions past due."""
    reminders.sweep_casework()


@shared_task(name="letters.tasks.reminders_approvals", acks_late=True, soft_time_limit=240, time_limit=300)
def reminders_approvals() -> None:
    """Letters waiting for the MP more than APPROVAL_REMINDER_WORKING_DAYS working days."""
    reminders.sweep_approvals(working_days=settings.APPROVAL_REMINDER_WORKING_DAYS)


@shared_task(
    name="letters.tasks.bulk_chunk",
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=240,
    time_limit=300,
)
def bulk_chunk(run_id: int) -> None:
    """Make the next chunk of a bulk run's letters, then queue the next chunk while work is left."""
    if not BulkRun.objects.filter(pk=run_id).exists():
        logger.info("bulk run %s no longer exists; nothing to do", run_id)
        return
    if services.bulk_chunk_process(run_id=run_id):
        bulk_chunk.delay(run_id)


@shared_task(name="letters.tasks.bulk_resume_stalled", acks_late=True, soft_time_limit=50, time_limit=60)
def bulk_resume_stalled() -> None:
    """Every minute: queue again the runs whose worker died (no progress for BULK_STALL_SECONDS)."""
    services.bulk_runs_resume()
