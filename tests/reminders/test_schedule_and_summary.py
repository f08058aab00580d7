"""The beat schedule (Monday 08:00 London across the clock changes) and the weekly summary."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from briefings.weekly_summary import weekly_summaries_send
from mpoffice.celery import app as celery_app
from mpoffice.models import Notification, Reminder
from tests.mpoffice.factories import MembershipFactory

LONDON = ZoneInfo("Europe/London")


def _first_due(schedule: crontab, last_run: datetime) -> datetime:
    """The first minute at which beat finds ``schedule`` due after ``last_run``, found as beat
    finds it: by asking ``is_due`` with the clock at each minute of the next Monday morning."""
    now = (last_run + timedelta(days=7)).astimezone(UTC).replace(hour=5, minute=0)
    for _ in range(6 * 60):
        probe = crontab(
            minute=schedule._orig_minute,
            hour=schedule._orig_hour,
            day_of_week=schedule._orig_day_of_week,
            app=celery_app,
            nowfun=lambda now=now: now,
        )
        if probe.is_due(last_run).is_due:
            return now
        now += timedelta(minutes=1)
    raise AssertionError("never due on the Monday morning")


@pytest.mark.parametrize(
    ("last_run", "expected_utc"),
    [
        # Clocks go forward on Sunday 29 March 2026: 08:00 GMT is 08:00 UTC, 08:00 BST is 07:00 UTC.
        (datetime(2026, 3, 23, 8, 0, tzinfo=LONDON), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
        # Clocks go back on Sunday 25 October 2026: 08:00 BST is 07:00 UTC, 08:00 GMT is 08:00 UTC.
        (datetime(2026, 10, 19, 8, 0, tzinfo=LONDON), datetime(2026, 10, 26, 8, 0, tzinfo=UTC)),
    ],
)
def test_weekly_summary_runs_at_eight_london_time_across_the_clock_change(last_run, expected_utc):
    schedule = settings.CELERY_BEAT_SCHEDULE["weekly-summary"]["schedule"]
    assert celery_app.conf.timezone == "Europe/London"
    next_run = _first_due(schedule, last_run)
    assert next_run.astimezone(UTC) == expected_utc
    assert next_run.astimezone(LONDON).strftime("%A %H:%M") == "Monday 08:00"


def test_database_scheduler_keeps_the_london_timezone(db):
    # Beat runs the DatabaseScheduler: the crontab row it stores must keep Europe/London, or
    # the summary would drift by an hour at each clock change.
    ModelEntry.from_entry("weekly-summary", app=celery_app, **settings.CELERY_BEAT_SCHEDULE["weekly-summary"])
    task = PeriodicTask.objects.get(name="weekly-summary")
    assert str(task.crontab.timezone) == "Europe/London"
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "8", "1")


def test_digest_is_at_seven_and_every_sweep_is_scheduled():
    schedule = settings.CELERY_BEAT_SCHEDULE
    digest = schedule["notifications-digest"]["schedule"]
    assert digest.hour == {7} and digest.minute == {0}
    tasks = {entry["task"] for entry in schedule.values()}
    celery_app.loader.import_default_modules()
    assert tasks <= set(celery_app.tasks), tasks - set(celery_app.tasks)


@pytest.fixture
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.django_db
def test_weekly_summary_goes_to_each_mp_once_per_week(mp, outsider, other_office, _locmem_mail, settings):
    other_mp = MembershipFactory(office=other_office, role="mp")
    monday_9am = datetime(2026, 3, 30, 9, 0, tzinfo=LONDON)
    assert weekly_summaries_send(now=monday_9am) == 2
    assert weekly_summaries_send(now=monday_9am + timedelta(hours=3)) == 0  # a second beat, a re-run
    assert Reminder.objects.filter(kind=Reminder.Kind.WEEKLY_SUMMARY).count() == 2
    summaries = Notification.objects.filter(kind=Reminder.Kind.WEEKLY_SUMMARY)
    assert {n.user_id for n in summaries} == {mp.user_id, other_mp.user_id}
    assert all(n.email_state == Notification.EmailState.PENDING for n in summaries)  # always e-mailed
    body = summaries.get(user=mp.user).body
    assert "Open cases: 0" in body and "Letters waiting for your approval: 0" in body
    # Next week is a new summary.
    assert weekly_summaries_send(now=monday_9am + timedelta(days=7)) == 2


@pytest.mark.django_db
def test_no_summary_before_eight_on_monday(mp):
    assert weekly_summaries_send(now=datetime(2026, 3, 30, 7, 59, tzinfo=LONDON)) == 0
    assert not Reminder.objects.exists()


@pytest.mark.django_db
def test_weekly_summary_is_emailed_even_to_an_mp_who_chose_in_app(mp, _locmem_mail, django_capture_on_commit_callbacks):
    from mpoffice.models import Delivery
    from mpoffice.notifications import delivery_set

    delivery_set(user=mp.user, delivery=Delivery.IN_APP)
    with django_capture_on_commit_callbacks(execute=True):
        weekly_summaries_send(now=datetime(2026, 3, 30, 8, 0, tzinfo=LONDON))
    assert len(mail.outbox) == 1
    assert "weekly summary" in mail.outbox[0].subject
