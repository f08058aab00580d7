"""Thin Celery entry points: take ids, call a service, return quietly if the row is gone."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task

from letters.models import Letter
from letters.services import letter_email_send

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
)
def letter_email(letter_id: int) -> None:
    if not Letter.objects.filter(pk=letter_id).exists():
        logger.info("letter %s no longer exists; nothing to e-mail", letter_id)
        return
    if letter_email_send(letter_id=letter_id):
        logger.info("letter %s e-mailed", letter_id)
