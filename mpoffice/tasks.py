import logging

from celery import shared_task

from mpoffice.services import heartbeat_record

logger = logging.getLogger(__name__)


@shared_task(name="mpoffice.tasks.heartbeat", ignore_result=True, acks_late=False)
def heartbeat() -> None:
    """Sent by beat every minute; running it proves a worker is consuming the queue."""
    heartbeat_record(component="worker")
