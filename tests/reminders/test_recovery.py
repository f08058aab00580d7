"""Recovery sweeps and the one outbox claim, in-process (Celery eager): a job whose message was
lost, or whose worker died holding its claim, is done by the sweep, once. The same with real
worker processes killed with SIGKILL is in test_reliability.py."""

from __future__ import annotations

import io
import smtplib
import zipfile
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from casework import imports
from casework.models import Constituent, ImportBatch
from letters import services
from letters.bulk import bulk_chunk_process
from letters.emails import LETTER_OUTBOX, letter_emails_send
from letters.models import Letter
from letters.tasks import letter_emails_sweep
from mpoffice.outbox import message_id
from privacy import services as dataprotection
from privacy.models import SubjectAccessExport
from privacy.tasks import jobs_recover_task, subject_access_expire_task
from tests.casework.factories import ConstituentFactory
from tests.letters.factories import approved_letter

pytestmark = pytest.mark.django_db

PEOPLE = "first_name,last_name,postcode,email,phone\nJane,Doe,MK9 3HQ,jane@example.org,\nSam,Roe,MK6 2LB,,\n"


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _long_ago(settings, timeout: str) -> timezone.datetime:
    return timezone.now() - timedelta(seconds=getattr(settings, timeout) + 1)


# --- letter e-mails ------------------------------------------------------------------------------


def _sent_by_email(office, mp, staff) -> Letter:
    """Sent by e-mail, and the nudge published after the commit is lost (never run)."""
    letter = approved_letter(office, mp)
    services.letter_send(letter=letter, by=staff.user, channel="email")  # on_commit never runs here
    letter.refresh_from_db()
    return letter


def test_a_letter_email_whose_message_was_lost_is_sent_by_the_sweep_once(office, mp, staff):
    letter = _sent_by_email(office, mp, staff)
    assert letter.email_state == Letter.EmailState.PENDING and letter.emailed_at is None
    assert not mail.outbox

    letter_emails_sweep.delay()
    letter_emails_sweep.delay()  # the next minute, or a second beat: nothing more

    (message,) = mail.outbox
    assert message.to == [letter.sent_to] and letter.reference in message.subject
    assert message.extra_headers["Message-ID"] == message_id(f"letter-{letter.reference}")
    letter.refresh_from_db()
    assert letter.email_state == Letter.EmailState.SENT and letter.emailed_at is not None


def test_a_letter_email_claimed_by_a_dead_worker_is_sent_again_after_the_timeout(office, mp, staff, settings):
    letter = _sent_by_email(office, mp, staff)
    assert LETTER_OUTBOX.claim_one(letter.pk)  # ...and that worker was killed before sending
    letter_emails_sweep.delay()
    assert not mail.outbox, "a live claim is not taken"
    Letter.objects.filter(pk=letter.pk).update(email_claimed_at=_long_ago(settings, "EMAIL_CLAIM_TIMEOUT_SECONDS"))
    letter_emails_sweep.delay()
    assert len(mail.outbox) == 1
    assert Letter.objects.get(pk=letter.pk).email_state == Letter.EmailState.SENT


def test_a_mail_server_error_keeps_the_letter_waiting(office, mp, staff, monkeypatch):
    letter = _sent_by_email(office, mp, staff)

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        letter_emails_send(letters=Letter.objects.filter(pk=letter.pk))
    letter.refresh_from_db()
    assert letter.email_state == Letter.EmailState.PENDING and letter.emailed_at is None
    monkeypatch.undo()
    assert letter_emails_send() == 1


def test_a_letter_sent_by_post_never_enters_the_outbox(office, mp, staff):
    letter = approved_letter(office, mp)
    services.letter_send(letter=letter, by=staff.user, channel="post")
    letter_emails_sweep.delay()
    assert not mail.outbox
    assert Letter.objects.get(pk=letter.pk).email_state == Letter.EmailState.NONE


# --- CSV imports --------------------------------------------------------------------------------


def _uploaded(office, staff) -> ImportBatch:
    batch = ImportBatch(office=office, kind=ImportBatch.Kind.CONSTITUENTS, original_name="people.csv", sha256="2" * 64)
    batch.created_by = staff.user
    batch.file.save("import.csv", ContentFile(PEOPLE.encode()), save=False)
    batch.save()  # as import_start does; its message to the worker is lost
    return batch


def test_an_import_whose_check_was_lost_is_checked_by_the_sweep(
    office, staff, settings, django_capture_on_commit_callbacks
):
    batch = _uploaded(office, staff)
    with django_capture_on_commit_callbacks(execute=True):
        jobs_recover_task.delay()
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.VALIDATING, "too soon: still queued"

    ImportBatch.objects.filter(pk=batch.pk).update(claimed_at=_long_ago(settings, "JOB_CLAIM_TIMEOUT_SECONDS"))
    with django_capture_on_commit_callbacks(execute=True):
        jobs_recover_task.delay()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW and batch.new_rows == 2


def test_an_import_whose_worker_died_while_saving_is_saved_once_by_the_sweep(
    office, staff, settings, django_capture_on_commit_callbacks
):
    batch = _uploaded(office, staff)
    imports.import_validate(batch=batch)
    imports.import_commit(batch=batch, by=staff.user)  # its message is lost...
    worker = imports.IMPORT_JOBS.claim_one(batch.pk)  # ...or a worker took it and was killed
    assert worker
    with django_capture_on_commit_callbacks(execute=True):
        jobs_recover_task.delay()
    assert not Constituent.objects.filter(office=office).exists(), "a live claim is not taken over"

    ImportBatch.objects.filter(pk=batch.pk).update(claimed_at=_long_ago(settings, "JOB_CLAIM_TIMEOUT_SECONDS"))
    with django_capture_on_commit_callbacks(execute=True):
        jobs_recover_task.delay()
        jobs_recover_task.delay()  # a second beat at once
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert Constituent.objects.filter(office=office).count() == 2
    # The killed worker's claim was taken over: had it come back, it could finish nothing.
    assert worker.finish(status=ImportBatch.Status.DONE) == 0


def test_a_worker_whose_claim_was_taken_over_saves_nothing(office, staff, settings, monkeypatch):
    batch = _uploaded(office, staff)
    imports.import_validate(batch=batch)
    imports.import_commit(batch=batch, by=staff.user)
    real_flush = imports._ConstituentWriter.flush

    def taken_over_meanwhile(writer):
        real_flush(writer)
        # While this worker saves, its claim goes stale and another worker takes the batch.
        ImportBatch.objects.filter(pk=batch.pk).update(claim="another-worker", claimed_at=timezone.now())

    monkeypatch.setattr(imports._ConstituentWriter, "flush", taken_over_meanwhile)
    imports.import_run_commit(batch=ImportBatch.objects.get(pk=batch.pk))
    assert not Constituent.objects.filter(office=office).exists(), "the superseded worker rolled back"
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.COMMITTING


# --- subject-access exports ---------------------------------------------------------------------


def test_an_export_whose_worker_died_is_built_once_by_the_sweep(
    office, staff, settings, django_capture_on_commit_callbacks
):
    person = ConstituentFactory(office=office)
    export = dataprotection.subject_access_request(constituent=person, by=staff.user)  # message lost
    assert dataprotection.SUBJECT_ACCESS_BUILDS.claim_one(export.pk)  # or: claimed, then SIGKILL
    assert SubjectAccessExport.objects.get(pk=export.pk).status == SubjectAccessExport.Status.RUNNING
    with django_capture_on_commit_callbacks(execute=True):
        jobs_recover_task.delay()
    assert SubjectAccessExport.objects.get(pk=export.pk).status == SubjectAccessExport.Status.RUNNING

    SubjectAccessExport.objects.filter(pk=export.pk).update(claimed_at=_long_ago(settings, "JOB_CLAIM_TIMEOUT_SECONDS"))
    with django_capture_on_commit_callbacks(execute=True):
        jobs_recover_task.delay()
        jobs_recover_task.delay()
    export.refresh_from_db()
    assert export.status == SubjectAccessExport.Status.READY and export.file
    assert LogEntry.objects.filter(additional_data__event="subject-access-export").count() == 1


def test_an_export_is_deleted_thirty_days_after_it_was_built(
    office, staff, client_for, django_capture_on_commit_callbacks
):
    person = ConstituentFactory(office=office)
    export = dataprotection.subject_access_request(constituent=person, by=staff.user)
    dataprotection.subject_access_build(export=export)
    export.refresh_from_db()
    storage, name = export.file.storage, export.file.name
    with zipfile.ZipFile(io.BytesIO(storage.open(name).read())) as archive:
        assert "index.html" in archive.namelist()
    download = reverse("privacy:subject-access-download", args=[export.pk])
    client = client_for(staff)

    SubjectAccessExport.objects.filter(pk=export.pk).update(finished_at=timezone.now() - timedelta(days=29))
    subject_access_expire_task.delay()
    assert client.get(download).status_code == 200 and storage.exists(name), "kept for 30 days"

    SubjectAccessExport.objects.filter(pk=export.pk).update(finished_at=timezone.now() - timedelta(days=30, hours=1))
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the row says so
        subject_access_expire_task.delay()
    export.refresh_from_db()
    assert export.status == SubjectAccessExport.Status.EXPIRED and not export.file and export.size is None
    assert not storage.exists(name), "the file is gone"
    assert client.get(download).status_code == 404
    page = client.get(export.get_absolute_url()).content.decode()
    assert "Deleted after 30 days" in page and "hx-trigger" not in page


# --- one send path: single and bulk letters ----------------------------------------------------


def test_single_and_bulk_letters_are_emailed_by_one_composer_from_one_outbox(
    office, mp, staff, django_capture_on_commit_callbacks
):
    from tests.reminders.test_bulk import campaign_with_cases, make_run, start_run

    single = approved_letter(office, mp, body="{{ salutation }},\n\nWe ask for a meeting about knife crime.")
    with django_capture_on_commit_callbacks(execute=True):
        services.letter_send(letter=single, by=staff.user, channel="email")
    campaign, _people = campaign_with_cases(office, people=2)
    run = make_run(office, campaign)
    assert start_run(run).started
    bulk_chunk_process(run_id=run.pk)
    bulk_letter = Letter.objects.get(bulk_item__run=run, sent_channel="email")
    # As if the chunk's worker had died after making the letters, before e-mailing them.
    Letter.objects.filter(pk=bulk_letter.pk).update(
        email_state=Letter.EmailState.PENDING, email_claim="", email_claimed_at=None, emailed_at=None
    )
    del mail.outbox[1:]
    letter_emails_sweep.delay()  # ...and the letters' sweep sends them, as it does single letters'

    single.refresh_from_db()
    first, second = mail.outbox
    for message, letter in ((first, single), (second, bulk_letter)):
        assert message.extra_headers["Message-ID"] == message_id(f"letter-{letter.reference}")
        assert message.subject.endswith(f"[{letter.reference}]")
        assert "Yours sincerely," in message.body and f"{office.mp_name} MP" in message.body
    assert "We ask for a meeting about knife crime." in first.body, "the letter's own text, not only a PDF"
    ((name, content, mimetype),) = first.attachments  # the PDF frozen when it was sent
    assert name == f"{single.reference}.pdf" and content.startswith(b"%PDF")
    assert "Thank you for contacting me about knife crime" in second.body and not second.attachments
    assert Letter.objects.get(pk=bulk_letter.pk).email_state == Letter.EmailState.SENT


def test_single_and_bulk_letters_are_recorded_on_their_case_alike(office, mp, staff):
    from casework.models import Contact
    from tests.reminders.test_bulk import campaign_with_cases, make_run, start_run

    campaign, (person, _other) = campaign_with_cases(office, people=2)
    case = person.cases.get()
    single = approved_letter(
        office, mp, cases=[case], recipient_kind=Letter.RecipientKind.CONSTITUENT, recipient_constituent=person
    )
    services.letter_send(letter=single, by=staff.user, channel="post")
    run = make_run(office, campaign)
    assert start_run(run).started
    bulk_chunk_process(run_id=run.pk)
    bulk_letter = Letter.objects.get(bulk_item__run=run, recipient_constituent=person)
    for letter in (single, bulk_letter):
        contact = Contact.objects.get(case=case, summary__startswith=f"Letter {letter.reference} sent to ")
        assert (contact.constituent, contact.direction, contact.channel) == (person, "out", "letter")
        entry = case.timeline.get(kind="letter", source_id=letter.pk)
        assert entry.title.startswith(f"Letter {letter.reference} sent to {person.display_name}")
        assert letter.transitions.filter(to_status="sent").count() == 1
    # The letter's own entry stands for the contact: no second "contact" entry per letter.
    assert not case.timeline.filter(kind="contact", title__contains="Letter ").exists()
