"""Reminders: raised once, with their notifications and side effects, or not at all.

A sweep (a periodic task) derives from the database what is due and calls ``reminder_raise``
for each. The reminder's unique key (kind, source, due date) is a database constraint, and
the reminder, its notifications and its side effect (e.g. a chaser letter) are written in one
transaction: so a reminder and its effects exist exactly once, however many sweeps, beats or
re-delivered messages run. The sweeps themselves live with the data they read
(``letters.reminders``); this module is the part every app shares.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from mpoffice.models import Office, Reminder, SweepError, SweepRun
from mpoffice.notifications import notifications_create

logger = logging.getLogger(__name__)

SWEEP_ERRORS_KEPT_DAYS = 30


def reminder_exists(*, kind: str, source: models.Model, due_on: date) -> bool:
    return Reminder.objects.filter(
        kind=kind, source_type=ContentType.objects.get_for_model(source), source_id=source.pk, due_on=due_on
    ).exists()


def reminder_raise(
    *,
    office: Office,
    kind: str,
    source: models.Model,
    due_on: date,
    title: str,
    recipients: Iterable,
    body: str = "",
    url: str = "",
    effect: Callable[[Reminder], object] | None = None,
    force_email: bool = False,
) -> Reminder | None:
    """Raise the reminder (kind, source, due_on) with its notifications and ``effect``, all in
    one transaction; None, and no change at all, when it was raised before.

    The insert comes first, so that under concurrency the database's unique index decides who
    raises it (the loser waits for the winner's commit, then gets IntegrityError).
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                reminder = Reminder.objects.create(
                    office=office,
                    kind=kind,
                    source_type=ContentType.objects.get_for_model(source),
                    source_id=source.pk,
                    due_on=due_on,
                    title=title[:300],
                )
        except IntegrityError:
            return None
        notifications_create(
            office=office,
            users=recipients,
            kind=kind,
            title=title,
            body=body,
            url=url,
            reminder=reminder,
            force_email=force_email,
        )
        if effect is not None:
            effect(reminder)
    logger.info("reminder raised: %s %s #%s due %s", kind, source._meta.label, source.pk, due_on)
    return reminder


UNEXPECTED_SWEEP_ERROR = "Unexpected error: the server log has the details."


def sweep_error_message(exc: Exception) -> str:
    """What the office is told about a row a sweep could not handle.

    A ValidationError or a ValueError says what is wrong with the record in words (e.g. "not
    to a post, so there is nobody to chase"): its first line is shown. Anything else (a
    database error, a bug) may carry internals (SQL, values, file paths), so the office is
    told only that it happened; the server log has the traceback.
    """
    if isinstance(exc, ValidationError):
        text = " ".join(exc.messages)
    elif isinstance(exc, ValueError):
        text = str(exc)
    else:
        return UNEXPECTED_SWEEP_ERROR
    return (text.strip().splitlines() or [UNEXPECTED_SWEEP_ERROR])[0][:300]


@dataclass
class SweepResult:
    examined: int = 0
    raised: int = 0
    failed: int = 0


RowT = TypeVar("RowT")


def sweep_run(
    *,
    name: str,
    rows: Iterable[RowT],
    handle: Callable[[RowT], object],
    describe: Callable[[RowT], tuple[int, str]],
) -> SweepResult:
    """Call ``handle`` for each row; a row that fails is logged and recorded (SweepError) and the
    sweep goes on with the rest. ``describe(row)`` gives (office id, "which row") for the record.

    Each ``handle`` call is its own transaction (``reminder_raise``), so a failure rolls back
    that row only; the row is tried again on the next run.
    """
    started = timezone.now()
    SweepRun.objects.update_or_create(name=name, defaults={"started_at": started, "finished_at": None})
    result = SweepResult()
    for row in rows:
        result.examined += 1
        try:
            if handle(row):
                result.raised += 1
        except SoftTimeLimitExceeded:
            raise  # out of time, not a broken row: the next run goes on from here
        except Exception as exc:
            result.failed += 1
            office_id, source = describe(row)
            # The traceback goes to the server log only; the office sees a short message.
            logger.exception("sweep %s could not handle %s (office %s)", name, source, office_id)
            SweepError.objects.create(
                office_id=office_id, sweep=name, source=source[:200], error=sweep_error_message(exc)
            )
    SweepRun.objects.filter(name=name).update(
        finished_at=timezone.now(), examined=result.examined, raised=result.raised, failed=result.failed
    )
    SweepError.objects.filter(occurred_at__lt=started - timedelta(days=SWEEP_ERRORS_KEPT_DAYS)).delete()
    if result.raised or result.failed:
        logger.info("sweep %s: %s examined, %s raised, %s failed", name, result.examined, result.raised, result.failed)
    return result
