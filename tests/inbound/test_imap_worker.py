"""The mailbox read by real Celery beat and worker processes from a real dovecot: beat queues
the poll, the worker is killed half-way through a sync, and after a restart every message is
in the inbox exactly once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from inbound.models import InboundMessage, MailboxConnection
from mpoffice.celery import app as celery_app
from tests.celery_helpers import celery_processes, wait_for
from tests.conftest import IN_CI, need
from tests.inbound.builders import make_mailbox
from tests.inbound.dovecot import PASSWORD, USER

MAIL = Path(__file__).parent / "mail"
MESSAGES = 300


def _message(n: int) -> bytes:
    raw = (MAIL / "01-gmail-alternative.eml").read_bytes()
    raw = raw.replace(
        b"CAJx7Lq0p3kT0vGm2n5nRz=Y9wJ8b+X1Q3sFh4Ux6D2_kP1mZ@mail.gmail.com", f"worker-{n}@example.org".encode()
    )
    return raw.replace(b"Subject: Street lights out", f"Subject: {n}: Street lights out".encode())


@pytest.mark.celery_worker
def test_beat_polls_and_a_worker_killed_mid_sync_loses_and_doubles_nothing(transactional_db, tmp_path, office, dovecot):
    need(bool(settings.REDIS_URL) or not IN_CI, "REDIS_URL must be set so that the worker tests run on Redis")
    celery_app.conf.task_always_eager = False
    dovecot.deliver(*(_message(n) for n in range(MESSAGES)))
    connection = make_mailbox(office, port=dovecot.port, username=USER, secret=PASSWORD)
    # Beat finds the poll due at once (its last run long ago), as after a restart.
    ModelEntry.from_entry("mailboxes-poll", app=celery_app, **settings.CELERY_BEAT_SCHEDULE["mailboxes-poll"])
    PeriodicTask.objects.filter(name="mailboxes-poll").update(last_run_at=timezone.now() - timedelta(minutes=5))
    env = {
        "MEDIA_ROOT": str(tmp_path / "media"),
        "MAILBOX_FETCH_BATCH": "1",  # one round trip per message: a long sync to interrupt
        "MAILBOX_CLAIM_TIMEOUT_SECONDS": "2",  # a killed worker's claim is taken over after this
        "LOG_LEVEL": "INFO",
    }
    with celery_processes(tmp_path=tmp_path, beat=True, extra_env=env) as celery:
        wait_for(
            lambda: InboundMessage.objects.count() >= 20,
            what=f"the beat-queued poll to take mail\n{celery.log()}\n{celery.log('beat')}",
            timeout=120,
        )
        celery.kill_worker()
        taken_when_killed = InboundMessage.objects.count()
        assert taken_when_killed < MESSAGES, "the sync finished before the worker was killed: nothing was tested"
        assert "Sending due task mailboxes-poll" in celery.log("beat")

        celery.start_worker()

        def all_taken() -> bool:
            celery.send("inbound.tasks.mailboxes_poll")  # beat's next tick, sooner
            return InboundMessage.objects.count() >= MESSAGES and MailboxConnection.objects.get(
                pk=connection.pk
            ).uid_watermark == max(dovecot.uids())

        wait_for(all_taken, what=f"the rest of the mail\n{celery.log('worker-2')}", timeout=180, interval=2)

    assert InboundMessage.objects.count() == MESSAGES
    subjects = set(InboundMessage.objects.values_list("subject", flat=True))
    assert subjects == {f"{n}: Street lights out on Willen Road" for n in range(MESSAGES)}
    connection.refresh_from_db()
    assert connection.state == MailboxConnection.State.OK
