"""Real Celery worker and beat processes against the real broker (Redis in CI) and the test database."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from mpoffice.celery import HEARTBEAT_TASK
from mpoffice.celery import app as celery_app
from mpoffice.models import Heartbeat
from tests.celery_helpers import celery_processes, wait_for
from tests.conftest import IN_CI, need

pytestmark = [pytest.mark.celery_worker, pytest.mark.xdist_group("celery")]


@pytest.fixture
def real_broker():
    """Tasks go through the broker, not in-process (the autouse fixture turns eager mode on)."""
    need(bool(settings.REDIS_URL) or not IN_CI, "REDIS_URL must be set so that the worker test runs on Redis")
    celery_app.conf.task_always_eager = False


def _heartbeat(component: str) -> Heartbeat | None:
    return Heartbeat.objects.filter(component=component).first()


def test_worker_process_runs_a_task_sent_through_the_broker(transactional_db, real_broker, tmp_path):
    with celery_processes(tmp_path=tmp_path) as celery:
        # The worker records itself when it becomes ready; clear that so only the task can.
        wait_for(lambda: _heartbeat("worker"), what="the worker's start-up heartbeat")
        Heartbeat.objects.all().delete()

        celery.send(HEARTBEAT_TASK)

        heartbeat = wait_for(lambda: _heartbeat("worker"), what=f"the heartbeat task to run\n{celery.log()}")
        assert timezone.now() - heartbeat.last_seen < timedelta(seconds=30)
        assert f"Task {HEARTBEAT_TASK}" in celery.log()
        assert _heartbeat("beat") is None  # a task sent by hand is not beat's doing


def test_killed_worker_is_replaced_and_the_queue_keeps_working(transactional_db, real_broker, tmp_path):
    # The helper's SIGKILL path, which later reliability tests build on: a worker killed without
    # warning leaves no process behind, and a new one picks up what is sent next.
    with celery_processes(tmp_path=tmp_path) as celery:
        first = celery.worker
        celery.kill_worker()
        assert first.poll() == -9

        celery.send(HEARTBEAT_TASK)  # waits in the broker while no worker runs
        Heartbeat.objects.all().delete()
        celery.start_worker()

        wait_for(lambda: "Task mpoffice.tasks.heartbeat" in celery.log("worker-2"), what="the queued task to run")
        assert _heartbeat("worker") is not None


def test_beat_process_publishes_the_heartbeat_on_schedule(transactional_db, real_broker, tmp_path):
    # Make the schedule's first tick due now rather than a minute after beat starts: the entry is
    # written as beat itself would write it, with a last run two minutes ago.
    ModelEntry.from_entry("heartbeat", app=celery_app, **settings.CELERY_BEAT_SCHEDULE["heartbeat"])
    PeriodicTask.objects.filter(name="heartbeat").update(last_run_at=timezone.now() - timedelta(minutes=2))

    with celery_processes(tmp_path=tmp_path) as celery:
        wait_for(lambda: _heartbeat("worker"), what="the worker's start-up heartbeat")
        Heartbeat.objects.all().delete()
        celery.start_beat()

        beat = wait_for(lambda: _heartbeat("beat"), what=f"beat to publish the heartbeat\n{celery.log('beat')}")
        assert timezone.now() - beat.last_seen < timedelta(seconds=60)
        # ...and the message beat published reached the worker through the broker.
        wait_for(lambda: _heartbeat("worker"), what=f"the worker to run beat's heartbeat\n{celery.log()}")
        assert "Sending due task heartbeat" in celery.log("beat")


def test_beat_records_its_heartbeat_when_it_starts_and_each_time_it_publishes(transactional_db, real_broker, tmp_path):
    # A schedule defined only in the database (as the admin would add one), every second.
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="heartbeat-every-second", task=HEARTBEAT_TASK, interval=every_second)

    with celery_processes(tmp_path=tmp_path, worker=False, beat=True) as celery:
        wait_for(lambda: _heartbeat("beat"), what=f"beat's start-up heartbeat\n{celery.log('beat')}")
        Heartbeat.objects.all().delete()

        # Start-up happens once: only publishing the scheduled task can record beat again.
        wait_for(lambda: _heartbeat("beat"), what=f"beat to publish again\n{celery.log('beat')}")
        assert "Sending due task heartbeat-every-second" in celery.log("beat")
        assert _heartbeat("worker") is None  # no worker runs: beat's record does not depend on one
