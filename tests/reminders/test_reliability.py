"""Reliability against the real services: worker processes killed with SIGKILL in the middle of a
sweep and of a bulk run, Redis restarted during a run, two beats by mistake. Afterwards every
reminder exists exactly once (with its one chaser) and every constituent has exactly one letter.

The worker processes use the test database (a file on SQLite, or PostgreSQL with DATABASE_URL)
and the real broker (Redis with REDIS_URL, else the no-server filesystem broker).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections import Counter
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django_celery_beat.models import PeriodicTask, PeriodicTasks
from django_celery_beat.schedulers import ModelEntry

from casework import imports
from casework.models import Attachment, Case, Constituent, ImportBatch
from letters import services
from letters.bulk import bulk_run_prepare
from letters.models import BulkItem, BulkRun, Letter, LetterTemplate, Status
from mpoffice.celery import app as celery_app
from mpoffice.models import Notification, Reminder
from mpoffice.outbox import message_id
from privacy import services as dataprotection
from privacy.models import SubjectAccessExport
from tests.casework.factories import ConstituentFactory, ContactFactory
from tests.celery_helpers import celery_processes, wait_for
from tests.conftest import IN_CI, need
from tests.letters.factories import make_case, make_constituent, make_post

pytestmark = [pytest.mark.celery_worker, pytest.mark.xdist_group("celery")]

SWEEP = "letters.tasks.reminders_replies_overdue"
RESUME = "letters.tasks.bulk_resume_stalled"
# Five SIGKILLs mid-sweep and five mid-bulk-run: ten kills per run of this file.
KILLS_PER_TEST = 5


@pytest.fixture
def real_broker():
    need(bool(settings.REDIS_URL) or not IN_CI, "REDIS_URL must be set so that the reliability tests run on Redis")
    celery_app.conf.task_always_eager = False


@pytest.fixture
def worker_env(tmp_path):
    return {
        "EMAIL_URL": f"filemail://{tmp_path / 'mail'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "BULK_CHUNK_SIZE": "8",
        "BULK_STALL_SECONDS": "1",
        # An e-mail claimed by a killed worker is sent again after this long (10 minutes in production).
        "EMAIL_CLAIM_TIMEOUT_SECONDS": "2",
        "LOG_LEVEL": "INFO",
    }


def _overdue_letters(office, staff, count: int) -> list[Letter]:
    """Sent letters whose reply is overdue. Made as drafts by the service, then marked sent
    directly: the sending path (PDF rendering) is not what these tests are about."""
    post = make_post(office)
    letters = []
    for i in range(count):
        letter = services.letter_create(
            office=office, by=staff.user, subject=f"Question {i}", body="Please reply.", recipient_post=post
        )
        letters.append(letter)
    sent_on = timezone.localdate() - timedelta(days=60)
    Letter.objects.filter(pk__in=[letter.pk for letter in letters]).update(
        status=Status.SENT, sent_on=sent_on, sent_channel="post", reply_due_on=sent_on + timedelta(days=28)
    )
    return letters


def _reminded() -> int:
    return Reminder.objects.filter(kind=Reminder.Kind.REPLY_OVERDUE).count()


def _assert_each_letter_reminded_once(letters: list[Letter], recipients: int) -> None:
    ids = [letter.pk for letter in letters]
    per_letter = Counter(
        Reminder.objects.filter(kind=Reminder.Kind.REPLY_OVERDUE, source_id__in=ids).values_list("source_id", flat=True)
    )
    assert per_letter == Counter(dict.fromkeys(ids, 1)), "each overdue letter reminded exactly once"
    chasers = Counter(
        Letter.objects.filter(subject__startswith="Chasing our letter ").values_list("subject", flat=True)
    )
    assert len(chasers) == len(letters) and set(chasers.values()) == {1}, "exactly one chaser per letter"
    per_reminder = Notification.objects.filter(reminder__kind=Reminder.Kind.REPLY_OVERDUE).values("reminder_id")
    assert {row["n"] for row in per_reminder.annotate(n=Count("pk"))} == {recipients}


def _like_beat(celery, task: str, condition, *, what: str, timeout: float = 120, every: float = 2.0):
    """Send ``task`` every ``every`` seconds until ``condition()`` holds, as beat would tick."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _send_quietly(celery, task)
        try:
            return wait_for(condition, what=what, timeout=every, interval=0.1)
        except AssertionError:
            continue
    raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")


def _kill_mid_way(celery, progress, *, total: int, what: str) -> int:
    """Wait until ``progress()`` moved on from where it was (but is not finished), then SIGKILL
    the worker and its children at once. Returns the progress seen just before the kill."""
    before = progress()
    seen = wait_for(
        lambda: now if before < (now := progress()) else None,
        what=f"{what} to make progress",
        timeout=60,
        interval=0.02,
    )
    celery.kill_worker()
    assert seen < total, f"the kill came too late to be mid-way through {what}"
    return seen


def test_killing_the_worker_mid_sweep_loses_and_doubles_no_reminder(
    transactional_db, real_broker, tmp_path, worker_env, office, staff, caseworker
):
    letters = _overdue_letters(office, staff, count=150)
    with celery_processes(tmp_path=tmp_path, extra_env=worker_env) as celery:
        for _kill in range(KILLS_PER_TEST):
            celery.send(SWEEP)  # beat's nudge; the previous one may have died with its worker
            _kill_mid_way(celery, _reminded, total=len(letters), what="the overdue sweep")
            celery.start_worker()
        assert celery.worker_starts == KILLS_PER_TEST + 1  # five killed mid-sweep, and the last one
        celery.send(SWEEP)
        wait_for(lambda: _reminded() == len(letters), what="the sweep to finish", timeout=120)
        # A sweep that runs again (a second beat, the next minute) raises nothing more.
        celery.send(SWEEP)
        wait_for(
            lambda: (
                celery.log(f"worker-{KILLS_PER_TEST + 1}").count(f"Task {SWEEP}[") >= 2
                and celery.log(f"worker-{KILLS_PER_TEST + 1}").count("succeeded") >= 2
            ),
            what="the repeat sweep",
        )
    _assert_each_letter_reminded_once(letters, recipients=1)  # the creator is the office's only staff member


def _bulk_run(office, people: int) -> BulkRun:
    campaign_cases = []
    for i in range(people):
        constituent = make_constituent(
            office, first_name=f"Person{i}", email=f"p{i}@example.org", preferred_channel="email" if i % 3 else "post"
        )
        campaign_cases.append(make_case(office, constituents=[constituent]).pk)
    template = LetterTemplate.objects.create(
        office=office,
        name="Reply",
        subject="Knife crime",
        body="Thank you, {{ constituent_name }}. {{ case_reference }}",
    )
    run = bulk_run_prepare(
        office=office, by=None, template=template, cases=Case.objects.filter(pk__in=campaign_cases), description="All"
    )
    # Started, as the start button does, minus its on-commit nudge: the resume sweep queues it.
    BulkRun.objects.filter(pk=run.pk).update(
        status=BulkRun.Status.RUNNING, started_at=timezone.now(), last_progress_at=timezone.now() - timedelta(hours=1)
    )
    return run


def _finished(run: BulkRun):
    return lambda: BulkRun.objects.filter(pk=run.pk, status=BulkRun.Status.FINISHED).exists()


def _done(run: BulkRun):
    return lambda: BulkItem.objects.filter(run=run).exclude(status=BulkItem.Status.PENDING).count()


def _assert_one_letter_each(run: BulkRun, people: int) -> None:
    run.refresh_from_db()
    assert run.status == BulkRun.Status.FINISHED
    assert BulkItem.objects.filter(run=run, status=BulkItem.Status.DONE).count() == people
    per_constituent = Counter(
        Letter.objects.filter(template=run.template).values_list("recipient_constituent_id", flat=True)
    )
    assert len(per_constituent) == people and set(per_constituent.values()) == {1}, "one letter per constituent"
    assert set(BulkItem.objects.filter(run=run).exclude(letter=None).values_list("letter_id", flat=True)) == set(
        Letter.objects.filter(template=run.template).values_list("pk", flat=True)
    ), "no letter without its item (nothing made outside the item's transaction)"
    postal = BulkItem.objects.filter(run=run, channel="post")
    assert not postal.filter(batch=None).exists(), "every postal letter is in a print batch"
    emailed = BulkItem.objects.filter(run=run, channel="email")
    assert not emailed.exclude(letter__email_state=Letter.EmailState.SENT).exists(), "every e-mail left (at least once)"


def test_killing_the_worker_mid_bulk_run_gives_exactly_one_letter_each(
    transactional_db, real_broker, tmp_path, worker_env, office
):
    people = 120
    run = _bulk_run(office, people)
    with celery_processes(tmp_path=tmp_path, extra_env=worker_env, concurrency=2) as celery:
        for _ in range(KILLS_PER_TEST):
            celery.send(RESUME)  # beat's resume sweep: the run has not moved for BULK_STALL_SECONDS
            _kill_mid_way(celery, _done(run), total=people, what="the bulk run")
            time.sleep(1.1)  # stalled for longer than BULK_STALL_SECONDS
            celery.start_worker(concurrency=2)
        assert celery.worker_starts == KILLS_PER_TEST + 1  # five killed mid-run, and the last one
        _like_beat(celery, RESUME, _finished(run), what="the bulk run to finish")
    _assert_one_letter_each(run, people)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_server(port: int, directory) -> None:
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        check=True,
        capture_output=True,
    )
    wait_for(lambda: _redis_ping(port), what=f"redis-server on port {port}", timeout=10, interval=0.1)


def _redis_ping(port: int) -> bool:
    result = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True)
    return result.stdout.strip() == "PONG"


def _redis_shutdown(port: int) -> None:
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)
    wait_for(lambda: not _redis_ping(port), what="redis to stop", timeout=10, interval=0.1)


def test_restarting_redis_mid_run_loses_and_doubles_nothing(
    transactional_db, real_broker, tmp_path, worker_env, office, staff
):
    # A Redis of the test's own (another port), so that restarting it disturbs no other test run.
    need(bool(settings.REDIS_URL), "REDIS_URL is not set: the Redis restart test runs on Redis only")
    need(bool(shutil.which("redis-server")), "redis-server is not installed")
    port = _free_port()
    _redis_server(port, tmp_path)
    url = f"redis://127.0.0.1:{port}/0"
    letters = _overdue_letters(office, staff, count=120)
    people = 60
    run = _bulk_run(office, people)
    try:
        with celery_processes(tmp_path=tmp_path, extra_env=worker_env, redis_url=url, concurrency=2) as celery:
            celery.send(SWEEP)
            celery.send(RESUME)
            wait_for(lambda: 0 < _reminded() < len(letters), what="the sweep to be under way", interval=0.02)
            _redis_shutdown(port)  # every queued and unacknowledged message is gone (nosave)
            time.sleep(1)
            _redis_server(port, tmp_path)
            # The worker reconnects by itself; the next beat ticks find what is still due.
            time.sleep(1.1)
            _like_beat(celery, SWEEP, lambda: _reminded() == len(letters), what="the next sweep to catch up")
            _like_beat(celery, RESUME, _finished(run), what="the bulk run to finish after the restart")
    finally:
        _redis_shutdown(port)
    _assert_each_letter_reminded_once(letters, recipients=1)
    _assert_one_letter_each(run, people)


def _send_quietly(celery, task: str) -> bool:
    try:
        celery.send(task)
    except Exception:  # Redis still restarting
        return False
    return True


def test_two_beats_by_mistake_raise_each_reminder_once(
    transactional_db, real_broker, tmp_path, worker_env, office, staff
):
    letters = _overdue_letters(office, staff, count=80)
    # Both beats find the sweep due at once (its last run long ago), as after a restart.
    ModelEntry.from_entry(
        "reminders-replies-overdue", app=celery_app, **settings.CELERY_BEAT_SCHEDULE["reminders-replies-overdue"]
    )
    PeriodicTask.objects.filter(name="reminders-replies-overdue").update(
        last_run_at=timezone.now() - timedelta(minutes=5)
    )
    with celery_processes(tmp_path=tmp_path, extra_env=worker_env, concurrency=2) as celery:
        celery.start_beat()
        celery.start_beat(name="beat-2")
        beats = ("beat", "beat-2")
        wait_for(lambda: all("beat: Starting" in celery.log(b) for b in beats), what="both beats to start")
        sent = "Sending due task reminders-replies-overdue"

        def sends() -> int:
            return sum(celery.log(b).count(sent) for b in beats)

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (sends() >= 4 and all(sent in celery.log(b) for b in beats)):
            # The sweep falls due for both at once (as when both were started after a pause);
            # update_changed() is how django-celery-beat tells a running beat to re-read. A beat
            # may write its own last run back in between (then that round sends nothing): retry.
            PeriodicTask.objects.filter(name="reminders-replies-overdue").update(
                last_run_at=timezone.now() - timedelta(minutes=5)
            )
            PeriodicTasks.update_changed()
            before = sends()
            with contextlib.suppress(AssertionError):
                wait_for(lambda before=before: sends() > before, what="a beat to send the sweep", timeout=5)
        total = sends()
        assert all(sent in celery.log(b) for b in beats), "both beats sent the sweep"
        wait_for(lambda: _reminded() == len(letters), what="the sweeps to finish", timeout=120)
        wait_for(
            lambda: sum(SWEEP in line and "succeeded" in line for line in celery.log().splitlines()) >= total,
            what="every sweep the two beats sent to finish",
            timeout=60,
        )
    _assert_each_letter_reminded_once(letters, recipients=1)


# --- every job that waits on a message: killed workers and lost messages ------------------------
# Each job below is published, its message dropped (never delivered), then found by its recovery
# sweep; its worker is SIGKILLed half-way and the queue dropped again (no redelivery: on Redis an
# unacknowledged message comes back only after the 2-hour visibility timeout). Beat's sweeps,
# sent by the test every 2 s as beat would every minute, must finish each job exactly once.

JOBS_RECOVER = "casework.tasks.jobs_recover"
LETTER_EMAILS = "letters.tasks.letter_emails_sweep"


@pytest.fixture
def job_env(worker_env):
    # A job or e-mail claimed or queued this long ago is taken again (30 and 10 minutes in production).
    return {**worker_env, "JOB_CLAIM_TIMEOUT_SECONDS": "3", "EMAIL_CLAIM_TIMEOUT_SECONDS": "3"}


def _kill_when(celery, condition, *, what: str) -> None:
    """SIGKILL the worker (and its pool) as soon as ``condition()`` holds: half-way through a job."""
    wait_for(condition, what=what, timeout=90, interval=0.02)
    celery.kill_worker()


def _people_csv(rows: int) -> bytes:
    lines = ["first_name,last_name,postcode,email,phone\n"]
    lines += [f"Person{n},Surname{n % 997},MK{n % 19 + 1} {n % 10}AB,person{n}@example.org,\n" for n in range(rows)]
    return "".join(lines).encode()


def test_an_import_lost_and_killed_is_checked_and_saved_exactly_once(
    transactional_db, real_broker, tmp_path, job_env, office, staff
):
    rows = 40_000
    upload = SimpleUploadedFile("people.csv", _people_csv(rows), content_type="text/csv")
    with celery_processes(tmp_path=tmp_path, extra_env=job_env, worker=False) as celery:
        with celery.app_publishes_here():
            batch = imports.import_start(office=office, by=staff.user, kind="constituents", upload=upload)
        assert celery.drop_messages() == 1, "the check's message was published, and is lost"
        celery.start_worker()

        def batch_now():
            return ImportBatch.objects.get(pk=batch.pk)

        def checking_half_way():
            b = batch_now()
            return b.status == ImportBatch.Status.VALIDATING and 0 < b.processed_rows < rows

        _like_beat(celery, JOBS_RECOVER, checking_half_way, what="the sweep to queue the check again")
        celery.kill_worker()
        assert batch_now().status == ImportBatch.Status.VALIDATING, "killed half-way through the check"
        celery.drop_messages()
        celery.start_worker()
        _like_beat(
            celery,
            JOBS_RECOVER,
            lambda: batch_now().status == ImportBatch.Status.PREVIEW,
            what="the check to be done again",
        )
        assert (batch_now().total_rows, batch_now().new_rows) == (rows, rows)

        with celery.app_publishes_here():
            imports.import_commit(batch=batch_now(), by=staff.user)
        if connection.vendor == "postgresql":  # progress shows while the transaction is open
            _kill_when(celery, lambda: batch_now().processed_rows > 0, what="the import to be half-way through saving")
        else:
            _kill_when(
                celery,
                lambda: "casework.tasks.import_commit[" in celery.log(f"worker-{celery.worker_starts}"),
                what="the worker to start saving",
            )
        assert batch_now().status == ImportBatch.Status.COMMITTING, "killed half-way through saving"
        assert not Constituent.objects.filter(office=office).exists(), "the killed transaction saved nothing"
        celery.drop_messages()
        celery.start_worker()
        _like_beat(
            celery, JOBS_RECOVER, lambda: batch_now().status == ImportBatch.Status.DONE, what="the import to be saved"
        )
        # The next sweeps find nothing more to do.
        for _ in range(2):
            celery.send(JOBS_RECOVER)
        wait_for(
            lambda: celery.log(f"worker-{celery.worker_starts}").count(f"Task {JOBS_RECOVER}[") >= 2,
            what="the later sweeps",
        )
    assert Constituent.objects.filter(office=office).count() == rows, "every row saved, once"
    assert Constituent.objects.filter(office=office).values("email").distinct().count() == rows


def test_a_subject_access_export_lost_and_killed_is_built_exactly_once(
    transactional_db, real_broker, tmp_path, job_env, office, staff
):
    person = ConstituentFactory(office=office)
    contact = ContactFactory(office=office, constituent=person)
    # Enough files to take the build a few seconds, so that the kill falls half-way.
    stored = default_storage.save("attachments/big.bin", ContentFile(os.urandom(512 * 1024)))
    files = 120
    Attachment.objects.bulk_create(
        Attachment(
            office=office,
            contact=contact,
            file=stored,
            original_name=f"scan-{n}.pdf",
            content_type="application/pdf",
            size=512 * 1024,
            sha256="0" * 64,
        )
        for n in range(files)
    )
    with celery_processes(tmp_path=tmp_path, extra_env=job_env, worker=False) as celery:
        with celery.app_publishes_here():
            export = dataprotection.subject_access_request(constituent=person, by=staff.user)
        assert celery.drop_messages() == 1, "the build's message was published, and is lost"
        celery.start_worker()

        def export_now():
            return SubjectAccessExport.objects.get(pk=export.pk)

        def building_half_way():
            e = export_now()
            return e.status == SubjectAccessExport.Status.RUNNING and 30 < e.progress < 90

        _like_beat(celery, JOBS_RECOVER, building_half_way, what="the sweep to queue the build again")
        celery.kill_worker()
        assert export_now().status == SubjectAccessExport.Status.RUNNING, "killed half-way through the build"
        celery.drop_messages()
        celery.start_worker()
        _like_beat(
            celery,
            JOBS_RECOVER,
            lambda: export_now().status == SubjectAccessExport.Status.READY,
            what="the export to be built again",
        )
    done = export_now()
    names = dataprotection.zip_names(done.file.read())
    assert sum(name.startswith("attachments/") for name in names) == files
    events = LogEntry.objects.filter(additional_data__event="subject-access-export", object_pk=str(person.pk))
    assert events.count() == 1, "made (and audited) once"
    left = {p.name for p in (tmp_path / "media" / "subject-access" / str(office.pk)).iterdir()}
    assert left == {os.path.basename(done.file.name)}, "no copy of a superseded build left behind"


def test_letter_emails_lost_and_killed_all_leave_at_least_once(
    transactional_db, real_broker, tmp_path, job_env, office, staff
):
    post = make_post(office)
    pdf = default_storage.save("letters/sent.pdf", ContentFile(b"%PDF-1.4 a letter\n" * 2000))
    count = 200
    letters = [
        services.letter_create(
            office=office, by=staff.user, subject=f"Question {i}", body="Please reply.", recipient_post=post
        )
        for i in range(count)
    ]
    # Sent by e-mail, their nudges lost: the PDFs are not what this test is about.
    Letter.objects.filter(pk__in=[letter.pk for letter in letters]).update(
        status=Status.SENT,
        sent_on=timezone.localdate(),
        sent_channel="email",
        sent_to="minister@example.org",
        pdf=pdf,
        email_state=Letter.EmailState.PENDING,
    )

    def emailed() -> int:
        return Letter.objects.filter(pk__in=[letter.pk for letter in letters], email_state="sent").count()

    with celery_processes(tmp_path=tmp_path, extra_env=job_env) as celery:
        celery.send(LETTER_EMAILS)
        seen = wait_for(lambda: n if (n := emailed()) > 0 else None, what="the e-mails to leave", interval=0.02)
        celery.kill_worker()
        assert seen < count, "killed half-way through the outbox"
        celery.drop_messages()
        celery.start_worker()
        _like_beat(celery, LETTER_EMAILS, lambda: emailed() == count, what="every letter to be e-mailed")
    lines = [line for path in (tmp_path / "mail").iterdir() for line in path.read_text().splitlines()]
    per_letter = Counter(line.split(":", 1)[1].strip() for line in lines if line.startswith("Message-ID:"))
    expected = {message_id(f"letter-{letter.reference}") for letter in letters}
    assert set(per_letter) == expected, "every letter e-mailed, each with its own stable Message-ID"
    # At least once: only an e-mail in flight when the worker was killed may leave twice.
    assert sum(per_letter.values()) - count <= 1


# --- broker redelivery ---------------------------------------------------------------------------


def test_redis_redelivers_a_task_whose_worker_was_killed_and_it_completes_once(
    transactional_db, real_broker, tmp_path, worker_env, office, staff
):
    """No sweep, no resend: the broker alone brings the message back (acks_late), after the
    visibility timeout, shortened for this test."""
    need(bool(settings.REDIS_URL), "REDIS_URL is not set: redelivery by the broker is Redis's")
    letters = _overdue_letters(office, staff, count=150)
    env = {**worker_env, "CELERY_VISIBILITY_TIMEOUT_SECONDS": "4"}
    started = time.monotonic()
    with celery_processes(tmp_path=tmp_path, extra_env=env) as celery:
        celery.send(SWEEP)  # once, and never again
        _kill_mid_way(celery, _reminded, total=len(letters), what="the overdue sweep")
        celery.start_worker()
        wait_for(lambda: _reminded() == len(letters), what="Redis to deliver the sweep again", timeout=45)
        # The second worker received the one message again, and finished it.
        wait_for(lambda: f"Task {SWEEP}[" in (log := celery.log("worker-2")) and "succeeded" in log, what="its end")
    _assert_each_letter_reminded_once(letters, recipients=1)
    assert time.monotonic() - started < 60
