import logging

from celery import shared_task

from briefings.weekly_summary import weekly_summaries_send

logger = logging.getLogger(__name__)


# The registered name is the one the beat schedule (and any stored django_celery_beat entry)
# has always used; it is a name, not an import path.
@shared_task(name="mpoffice.tasks.weekly_summary", acks_late=True, soft_time_limit=300, time_limit=360)
def weekly_summary() -> None:
    """Monday 08:00 London time: the MP's weekly summary, once per MP per week."""
    logger.info("weekly summaries raised: %s", weekly_summaries_send())
