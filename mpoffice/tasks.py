import logging
import smtplib

from celery import shared_task

from mpoffice.notifications import notification_digests_send, notification_emails_send
from mpoffice.services import heartbeat_record

logger = logging.getLogger(__name__)


@shared_task(name="mpoffice.tasks.heartbeat", ignore_result=True, acks_late=False)
def heartbeat() -> None:
    """Sent by beat every minute; running it proves a worker is consuming the queue."""
    heartbeat_record(component="worker")


# Time limits: a sweep or a batch of e-mails takes seconds; a stuck SMTP connection must not
# hold a worker process for the global limit.
@shared_task(
    name="mpoffice.tasks.notifications_email",
    acks_late=True,  # idempotent: rows are claimed, and a second run finds nothing to claim
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
    soft_time_limit=120,
    time_limit=150,
)
def notifications_email() -> None:
    """The outbox: send pending notification e-mails, a batch at a time."""
    total = 0
    while sent := notification_emails_send():
        total += sent
    if total:
        logger.info("notification e-mails sent: %s", total)


@shared_task(
    name="mpoffice.tasks.notifications_digest",
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=6,
    soft_time_limit=300,
    time_limit=360,
)
def notifications_digest() -> None:
    """07:00 London time: one e-mail per person who chose the daily digest."""
    logger.info("daily digests sent: %s", notification_digests_send())
