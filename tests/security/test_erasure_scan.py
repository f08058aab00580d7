"""Erasure and retention proven by a scan, not by a list someone remembered.

A person is given data in every table that can hold it: through the services and views an
office uses (an import that created them, a merged duplicate, cases of their own and a shared
one, contacts, attachments, notes, e-mails and their originals, letters to them and about
their cases with PDFs, replies, transitions, reminders and notifications, a survey answer, a
bulk reply with its print batch, a subject access export, audit entries), and then every
row created for them gets a unique marker in every free-text field (``tests/security/scan.py``
walks ``apps.get_models()``, so a new model or field is marked without being named here).
After erasure through the real erase page, every text and JSON column of every table and
every file under MEDIA_ROOT (inside ZIPs, PDFs and e-mails too) is scanned for the markers.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import CHANGE
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Question, SurveyUpload
from campaigns.services import campaign_case_link
from campaigns.surveys import mapping_guess, survey_file_parse, survey_import_commit
from casework import imports
from casework.models import Case, Constituent, ImportBatch
from casework.services import attachment_add, case_set_constituents, case_set_status, case_update, contact_log, note_add
from inbound.models import InboundMessage
from letters import reminders as letter_reminders
from letters import services as letter_services
from letters.models import Letter, LetterTemplate
from letters.services import bulk_run_prepare
from mpoffice.models import Notification
from privacy import services as dataprotection
from privacy.models import RetentionReview, SharedTextReview
from tests.campaigns.factories import CampaignFactory, SurveyFactory, survey_csv
from tests.casework.factories import CaseFactory, ConstituentFactory, TopicFactory
from tests.inbound.factories import eml
from tests.letters.factories import make_post
from tests.reminders.test_bulk import start_run
from tests.security import scan

pytestmark = pytest.mark.django_db

PHONE_DIGITS = "7400123461"  # a phone number cannot carry a marker; it is searched for as it is
POSTCODE = "MK6 9ZZ"
NEEDLES = [PHONE_DIGITS, POSTCODE, POSTCODE.replace(" ", "")]

# Models with free-text columns that hold nothing about a constituent, and why. A model that is
# neither here nor given rows by the builder fails ``test_every_model_with_text_is_covered``.
NO_PERSONAL_DATA = {
    "mpoffice.Office": "the office itself: the MP's name, constituency and letterhead",
    "mpoffice.Ward": "ward names",
    "mpoffice.Heartbeat": "which worker process last beat",
    "mpoffice.SweepRun": "the names of periodic sweeps",
    "mpoffice.SweepError": "a sweep's failure, naming the row by reference (e.g. 'letter L-2026-00001')",
    "casework.PostcodeWard": "the office's postcode-to-ward table (no person)",
    "geography.Area": "names and codes of wards, councils, constituencies and police force areas",
    "geography.Release": "a postcode directory release: its label, file name and import error",
    "geography.Postcode": "the ONS postcode directory: a postcode and the codes of its areas, no person",
    "geography.OfficeArea": "the office's constituency code",
    "casework.Topic": "the office's topics",
    "casework.Tag": "the office's tag vocabulary",
    "campaigns.Campaign": "a policy subject, not a person",
    "campaigns.KeyFact": "statistics with their sources",
    "campaigns.Meeting": "meetings with organisations about a campaign",
    "campaigns.FollowUpAction": "staff actions after a meeting",
    "campaigns.Survey": "a consultation's title and description",
    "campaigns.Question": "a consultation's questions",
    "campaigns.Option": "a question's options",
    "campaigns.SurveyFinding": "a result the office computed (a percentage of respondents)",
    "letters.Organisation": "organisations letters are sent to",
    "letters.Post": "posts in those organisations",
    "letters.PostHolder": "the holders of public offices",
    "letters.LetterTemplate": "the office's templates (merge fields, not values)",
    "letters.BulkRun": "a bulk reply's description (the campaign it answers)",
    "privacy.SharedTextReview": "names a place and character offsets to redact, never the text",
    "auth.Permission": "Django's permissions",
    "auth.Group": "Django's groups",
    "auth.User": "the office's staff accounts, not constituents",
    "contenttypes.ContentType": "model names",
    "sessions.Session": "staff sign-in sessions (no casework is kept in a session)",
    "django_celery_beat.SolarSchedule": "schedules",
    "django_celery_beat.IntervalSchedule": "schedules",
    "django_celery_beat.CrontabSchedule": "schedules",
    "django_celery_beat.PeriodicTask": "schedules and task names",
    "axes.AccessFailureLog": "staff sign-in attempts",
    "axes.AccessAttempt": "staff sign-in attempts",
    "axes.AccessLog": "staff sign-ins",
    "otp_totp.TOTPDevice": "staff authenticators",
    "otp_static.StaticDevice": "staff backup codes",
    "otp_static.StaticToken": "staff backup codes",
}


@pytest.fixture(autouse=True)
def _mail_stays_here(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _text_file(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


class World:
    """The office before the person arrives: a neighbour with a case the person will share,
    another person whose case the person writes about, topics, a post, a survey, a campaign."""

    def __init__(self, office, staff, mp, markers: scan.Markers):
        self.office, self.staff, self.mp, self.mark = office, staff, mp, markers
        self.topic = TopicFactory(office=office, name="Benefits")
        self.neighbour = ConstituentFactory(office=office, first_name="Nora", last_name="Neighbour")
        self.shared = CaseFactory(office=office, constituents=[self.neighbour], summary="Street lighting on our road")
        self.relative = ConstituentFactory(office=office, first_name="Rita", last_name="Relative")
        self.relatives_case = CaseFactory(office=office, constituents=[self.relative], summary="Care home fees")
        self.post = make_post(office)
        self.survey = SurveyFactory(office=office, title="Build Back Better")
        self.campaign = CampaignFactory(office=office, name="Cost of living")
        self.template = LetterTemplate.objects.create(
            office=office, name="Cost of living reply", subject="Cost of living", body="{{ salutation }},\n\nThanks."
        )
        self.shared_text: list = []  # rows another person's case owns that mention the person
        self.others_rows: list = []  # rows made while building that belong to another person's case


def build_person(world: World, client, capture, *, only_own_case: bool = False) -> Constituent:
    """Give the person data in every table, through the services and pages staff use.

    ``only_own_case`` leaves out what ties them to other people's cases and to surveys, so
    that their one case is all the casework they have (the retention test)."""
    office, staff, mark = world.office, world.staff, world.mark
    by = staff.user

    # They arrive in an import: the raw file and its preview carry them.
    csv_text = (
        "first_name,last_name,postcode,email,phone,title,organisation_name,address_line1,address_line2,town\n"
        f"{mark()},{mark()},{POSTCODE},{mark()}@example.org,0{PHONE_DIGITS},Ms,,{mark()} Road,{mark()},{mark()}\n"
    )
    with capture(execute=True):
        batch = imports.import_start(
            office=office, by=by, kind="constituents", upload=_text_file("people.csv", csv_text)
        )
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW, batch.errors
    with capture(execute=True):
        imports.import_commit(batch=batch, by=by)
    person = Constituent.objects.get(office=office, phone=f"+44{PHONE_DIGITS}")
    Constituent.objects.filter(pk=person.pk).update(
        notes=mark(), organisation_name=mark(), preferred_channel="post", is_vulnerable=True
    )
    person.refresh_from_db()

    # A duplicate record of them, with a contact of its own, merged in on the merge page.
    duplicate = ConstituentFactory(office=office, first_name=mark(), last_name=mark(), email=f"{mark()}@example.org")
    if not only_own_case:  # a contact on no case is casework of its own: it would keep them
        contact_log(office=office, by=by, channel="phone", summary=mark(), body=mark(), constituent=duplicate)
    response = client.post(reverse("casework:constituent-merge", args=[duplicate.pk]), {"survivor": person.pk})
    assert response.status_code == 302, response.content.decode()[:2000]

    # A case of their own, sensitive, with a status change, a note, a contact and an attachment.
    own = CaseFactory(
        office=office,
        constituents=[person],
        by=by,
        topic=world.topic,
        summary=mark(),
        description=mark(),
        is_sensitive=True,
        review_by=date.today(),
    )
    case_set_status(case=own, by=by, status=Case.Status.OPEN, comment=mark())
    note_add(case=own, by=by, text=mark())
    contact = contact_log(
        office=office, by=by, channel="phone", summary=mark(), body=mark(), case=own, constituent=person
    )
    attachment_add(contact=contact, upload=_text_file(f"{mark()}.txt", f"Statement {mark()}"))
    assert client.get(own.get_absolute_url()).status_code == 200  # a recorded view of a sensitive case

    # An e-mail from them naming the case: stored as an original .eml and a contact.
    raw = eml(
        sender=f"{person.first_name} {person.last_name} <{person.email}>",
        subject=f"Re: {own.reference} {mark()}",
        body=f"Dear MP,\n\n{mark()}\n",
        attachments=((f"{mark()}.txt", f"Evidence {mark()}".encode(), "text/plain"),),
        message_id=f"<{mark()}@example.org>",
    )
    client.post(reverse("inbound:inbound-upload"), {"file": SimpleUploadedFile("message.eml", raw)})
    assert InboundMessage.objects.filter(case=own).exists()

    if not only_own_case:
        _share_and_write(world, person, client)

    # Letters: to a post about their case (sent, answered, overdue). about them there (text the neighbour's case owns).
    to_post = letter_services.letter_create(
        office=office, by=by, subject=mark(), body=f"Dear Minister,\n\n{mark()}", recipient_post=world.post, cases=[own]
    )
    letter_services.letter_submit(letter=to_post, by=by)
    letter_services.letter_approve(letter=to_post, member=world.mp)
    letter_services.letter_send(letter=to_post, by=by, channel="post", sent_on=date.today() - timedelta(days=60))
    to_post.refresh_from_db()
    letter_reminders.reply_overdue_raise(to_post)
    letter_services.reply_record(
        letter=to_post,
        by=by,
        received_on=date.today(),
        from_name=mark(),
        summary=mark(),
        outcome="answered",
        document=_text_file("reply.txt", f"We have reviewed {mark()}"),
    )
    waiting = letter_services.letter_create(
        office=office, by=by, subject=mark(), body=mark(), recipient_post=world.post, cases=[own]
    )
    letter_services.letter_submit(letter=waiting, by=by)
    letter_reminders.approval_waiting_raise(waiting.signatories.get(), working_days=0)
    # A bulk reply to a campaign their case is on: a letter and a print batch (they prefer post).
    campaign_case_link(campaign=world.campaign, case=own, by=by)
    run = bulk_run_prepare(
        office=office,
        by=by,
        template=world.template,
        cases=Case.objects.filter(pk=own.pk),
        description="Cost of living",
        campaign=world.campaign,
    )
    with capture(execute=True):
        assert start_run(run).started
    # The MP's approval is told to the member who prepared the run: a line about the office's
    # mailing, which names nobody on it.
    world.others_rows.extend(Notification.objects.filter(url=run.get_absolute_url()))
    assert run.batches.filter(letters=1).exclude(pdf="").exists()

    # An entry in Django's admin log about them.
    AdminLogEntry.objects.create(
        user=by,
        content_type=ContentType.objects.get_for_model(Constituent),
        object_id=str(person.pk),
        object_repr=str(person),
        action_flag=CHANGE,
        change_message=mark(),
    )

    # And a subject access export of everything above.
    with capture(execute=True):
        client.post(reverse("privacy:subject-access", args=[person.pk]))
    return person


def _share_and_write(world: World, person: Constituent, client) -> None:
    """They join the neighbour's case, staff write about them there (text the neighbour's case
    owns), they write on behalf of a relative, get a letter about the shared case, answer a survey."""
    office, staff, mark = world.office, world.staff, world.mark
    by = staff.user
    case_set_constituents(case=world.shared, constituents=[world.neighbour, person])
    contact_log(
        office=office, by=by, channel="phone", summary=mark(), body=mark(), case=world.shared, constituent=person
    )
    world.shared_text.append(
        note_add(case=world.shared, by=by, text=f"Spoke to {person.first_name} {person.last_name} about the lights.")
    )
    case_update(case=world.shared, by=by, description=f"Raised by the neighbour; also {person.email}.")
    world.others_rows.append(world.shared.timeline.filter(kind="update").latest("pk"))  # "Changed description"
    # They write on behalf of a relative.
    Case.objects.filter(pk=world.relatives_case.pk).update(correspondent=person, correspondent_consent=mark())

    to_person = letter_services.letter_create(
        office=office,
        by=by,
        subject=mark(),
        body=f"Dear {person.first_name},\n\n{mark()}",
        recipient_kind=Letter.RecipientKind.CONSTITUENT,
        recipient_constituent=person,
        cases=[world.shared],
    )
    letter_services.letter_submit(letter=to_person, by=by)
    letter_services.letter_approve(letter=to_person, member=world.mp)
    letter_services.letter_send(letter=to_person, by=by, channel="post")
    letter_services.reply_record(
        letter=to_person,
        by=by,
        received_on=date.today(),
        from_name=f"{person.first_name} {person.last_name}",
        summary=mark(),
        outcome="answered",
    )

    # A survey answer, imported from a file that carried them.
    survey_rows = [{"Respondent ID": "R1", "Email": person.email, "Comments": mark()}]
    data = survey_csv(survey_rows)
    parsed = survey_file_parse(data)
    mapping = mapping_guess(parsed)
    mapping["Comments"] = Question.Kind.FREE_TEXT.value
    upload = SurveyUpload(office=office, survey=world.survey, original_name=f"{mark()}.csv", headers=parsed.headers)
    upload.mapping = mapping
    upload.file.save("responses.csv", ContentFile(data), save=False)
    upload.save()
    assert survey_import_commit(survey=world.survey, parsed=parsed, mapping=mapping).ok


@pytest.fixture
def world(office, staff, mp):
    return World(office, staff, mp, scan.Markers())


@pytest.fixture
def person(world, staff, client_for, django_capture_on_commit_callbacks):
    """The person, built after a snapshot: every row made for them is then marked."""
    client = client_for(staff)  # staff's sign-in rows are not the person's
    snapshot = scan.Snapshot.take()
    person = build_person(world, client, django_capture_on_commit_callbacks)
    scan.mark_new_rows(snapshot, world.mark, skip=world.shared_text + world.others_rows, skip_models=NO_PERSONAL_DATA)
    person.refresh_from_db()
    return person


def _media_root():
    return settings.MEDIA_ROOT


def _leaks() -> str:
    return "\n".join(str(leak) for leak in scan.scan_database(NEEDLES) + scan.scan_media(_media_root(), NEEDLES))


def test_every_model_with_text_is_covered(person):
    """A model with free text is either given rows for the person or declared to hold none."""
    marked = scan.marked_columns()
    uncovered = []
    for model in apps.get_models():
        label = model._meta.label
        if not scan.markable_fields(model) or label in NO_PERSONAL_DATA:
            continue
        missing = {f.name for f in scan.markable_fields(model)} - marked.get(label, set())
        if missing:
            uncovered.append(f"{label}: {sorted(missing)}")
    assert not uncovered, "Give these rows in the builder, or declare them in NO_PERSONAL_DATA: " + "; ".join(uncovered)
    # Before erasure the scan finds the person everywhere (the scan itself works).
    leaks = _leaks()
    assert "letters_lettertransition.comment" in leaks
    assert ".pdf (text)" in leaks and ".zip!" in leaks and ".eml" in leaks


def test_erasure_leaves_no_marker_in_any_table_or_file(
    person, world, staff, client_for, django_capture_on_commit_callbacks
):
    client = client_for(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:constituent-erase", args=[person.pk]), {"confirm": "on"})
    assert response.status_code == 302

    # What the neighbour's case owns is listed for staff to review, not edited behind their back.
    reviews = SharedTextReview.objects.filter(office=world.office, resolved_at=None)
    listed = {(r.content_type.model_class()._meta.db_table, r.field_name, r.object_id) for r in reviews}
    # Allowed until staff decide: the listed fields, and the search index made from them.
    allowed = listed | {(table, "search", row) for table, _field, row in listed}
    leaks = [
        leak
        for leak in scan.scan_database(NEEDLES) + scan.scan_media(_media_root(), NEEDLES)
        if (leak.where.split(".")[0], leak.where.split(".")[-1], leak.row) not in allowed
    ]
    assert not leaks, "\n".join(map(str, leaks))
    assert ("casework_timelineentry", "body", world.shared_text[0].pk) in listed
    assert ("casework_case", "description", world.shared.pk) in listed

    # One click per place redacts it; then nothing at all is left.
    page = client.get(reverse("privacy:data-protection"))
    assert "Mentions of erased people on shared cases" in page.content.decode() and "<mark>" in page.content.decode()
    for review in reviews:
        assert client.post(reverse("privacy:shared-text-redact", args=[review.pk])).status_code == 302
    leaks = _leaks()
    assert not leaks, leaks
    world.shared.refresh_from_db()
    assert world.shared.description.startswith("Raised by the neighbour; also ")  # the neighbour's words stay


def test_anonymising_a_case_at_retention_leaves_no_marker(world, staff, client_for, django_capture_on_commit_callbacks):
    """Retention: a person whose one case is anonymised has no other casework, so nothing of
    the case or of them may be left anywhere (their record is erased with it)."""
    client = client_for(staff)
    snapshot = scan.Snapshot.take()
    person = build_person(world, client, django_capture_on_commit_callbacks, only_own_case=True)
    scan.mark_new_rows(snapshot, world.mark, skip=world.others_rows, skip_models=NO_PERSONAL_DATA)
    assert scan.scan_database(NEEDLES)
    case = Case.objects.get(case_constituents__constituent=person)
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED, outcome="resolved", closed_at=timezone.now() - timedelta(days=365 * 8)
    )
    dataprotection.retention_flag(office=world.office)
    review = RetentionReview.objects.get(case=case)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:retention-decide"), {"reviews": [review.pk], "decision": "anonymised"})

    assert response.status_code == 302
    assert not Constituent.objects.filter(pk=person.pk).exists()
    assert Case.objects.get(pk=case.pk).summary == dataprotection.ANONYMISED  # kept for the counts
    leaks = _leaks()
    assert not leaks, leaks
