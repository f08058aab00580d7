"""Subject access, erasure and retention through the real stack: views, services, the Celery
task (in-process through the real app), storage and the audit trail."""

import io
import zipfile
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Response
from casework.models import Attachment, Case, Constituent, Contact, TimelineEntry
from casework.services import note_add
from letters.models import Letter
from privacy import services as dataprotection
from privacy.models import RetentionReview, SubjectAccessExport
from privacy.tasks import retention_sweep_task
from tests.casework.factories import AttachmentFactory, CaseFactory, ConstituentFactory, ContactFactory
from tests.letters.factories import make_letter
from tests.security.factories import make_ready_export

SECRET = "Jane's benefit appeal, DWP ref JX-99"


@pytest.fixture
def jane(office):
    return ConstituentFactory(office=office, first_name="Jane", last_name="Fictional", notes=SECRET)


@pytest.fixture
def janes_records(office, jane):
    """A case of her own with a note, a contact with an attachment and a letter with a PDF;
    a shared case with someone else; a survey response."""
    own = CaseFactory(office=office, constituents=[jane], summary="Benefit appeal", description=SECRET)
    note_add(case=own, by=None, text=SECRET)
    contact = ContactFactory(office=office, case=own, constituent=jane, summary="Phoned about the appeal", body=SECRET)
    attachment = AttachmentFactory(contact=contact, office=office)
    letter = make_letter(office, cases=[own], body=f"Dear DWP,\n\n{SECRET}")
    letter.pdf.save("letter.pdf", ContentFile(b"%PDF-1.4 letter"), save=True)
    neighbour = ConstituentFactory(office=office, first_name="Neighbour")
    shared = CaseFactory(office=office, constituents=[jane, neighbour], summary="Street lighting")
    from tests.campaigns.factories import SurveyFactory

    survey = SurveyFactory(office=office)
    response = Response.objects.create(office=office, survey=survey, external_id="jane@example.org", constituent=jane)
    return {
        "own": own,
        "shared": shared,
        "neighbour": neighbour,
        "contact": contact,
        "attachment": attachment,
        "letter": letter,
        "response": response,
    }


# --- subject access ---------------------------------------------------------------------------


def test_staff_export_everything_held_on_a_person_as_a_zip(
    office, staff, jane, janes_records, client_for, django_capture_on_commit_callbacks
):
    client = client_for(staff)
    page = client.get(reverse("privacy:subject-access", args=[jane.pk]))
    assert page.status_code == 200

    with django_capture_on_commit_callbacks(execute=True):  # the Celery task runs after the commit
        response = client.post(reverse("privacy:subject-access", args=[jane.pk]))

    export = SubjectAccessExport.objects.get(constituent=jane)
    assert response["Location"] == export.get_absolute_url()
    response = client.get(export.get_absolute_url())
    assert export.status == SubjectAccessExport.Status.READY and export.progress == 100
    assert "Download the ZIP" in response.content.decode()
    download = client.get(reverse("privacy:subject-access-download", args=[export.pk]))
    assert download["Content-Disposition"].startswith("attachment;")
    data = b"".join(download.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        index = archive.read("index.html").decode()
        assert "index.html" in names and "data.json" in names
        assert any(name.startswith("attachments/") for name in names)
        assert any(name.startswith("letters/") and name.endswith(".pdf") for name in names)
        assert archive.read(next(n for n in names if n.startswith("letters/"))) == b"%PDF-1.4 letter"
    for text in (
        "Benefit appeal",
        "Street lighting",
        "Phoned about the appeal",
        SECRET,
        "Survey responses",
        "Audit trail",
    ):
        assert text in index or text.replace("'", "&#x27;") in index, text
    assert "Neighbour" not in index  # the other person on the shared case is not disclosed
    events = LogEntry.objects.filter(additional_data__event__startswith="subject-access")
    assert set(events.values_list("additional_data__event", flat=True)) == {
        "subject-access-export",
        "subject-access-download",
    }


def test_html_in_personal_data_is_escaped_in_the_export(office, staff, client_for):
    person = ConstituentFactory(office=office, notes="<script>alert(1)</script>")
    export = dataprotection.subject_access_request(constituent=person, by=staff.user)
    dataprotection.subject_access_build(export=export)
    export.refresh_from_db()
    with zipfile.ZipFile(export.file.open("rb")) as archive:
        index = archive.read("index.html").decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index and "<script>alert" not in index


@pytest.mark.parametrize("url_name", ["privacy:subject-access", "privacy:constituent-erase"])
def test_caseworkers_and_the_mp_cannot_export_or_erase(url_name, office, caseworker, mp, client_for):
    person = ConstituentFactory(office=office)
    for member in (caseworker, mp):
        assert client_for(member).get(reverse(url_name, args=[person.pk])).status_code == 403
        assert client_for(member).post(reverse(url_name, args=[person.pk]), {"confirm": "on"}).status_code == 403
    assert Constituent.objects.filter(pk=person.pk).exists()
    assert not SubjectAccessExport.objects.exists()


def test_export_pages_need_the_staff_role_and_the_office(office, caseworker, outsider, client_for):
    export = make_ready_export(office)
    for name in ("privacy:subject-access-detail", "privacy:subject-access-download"):
        url = reverse(name, args=[export.pk])
        assert client_for(caseworker).get(url).status_code == 403
        assert client_for(outsider).get(url).status_code == 404


def test_the_progress_fragment_is_served_to_htmx(office, staff, client_for):
    export = SubjectAccessExport.objects.create(office=office, constituent=ConstituentFactory(office=office))
    response = client_for(staff).get(export.get_absolute_url(), HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert 'hx-trigger="every 2s"' in content and "<progress" in content and "<html" not in content


# --- erasure ----------------------------------------------------------------------------------


def test_erasure_removes_the_person_from_every_table_and_keeps_counts(
    office, staff, jane, janes_records, client_for, django_capture_on_commit_callbacks
):
    own, shared = janes_records["own"], janes_records["shared"]
    attachment_file = janes_records["attachment"].file
    storage, attachment_name = attachment_file.storage, attachment_file.name
    letter_pdf = janes_records["letter"].pdf.name
    client = client_for(staff)
    preview = client.get(reverse("privacy:constituent-erase", args=[jane.pk]))
    assert preview.status_code == 200 and "cannot be undone" in preview.content.decode()
    assert client.post(reverse("privacy:constituent-erase", args=[jane.pk]), {}).status_code == 200  # no confirm

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:constituent-erase", args=[jane.pk]), {"confirm": "on"})

    assert response.status_code == 302
    assert not Constituent.objects.filter(pk=jane.pk).exists()
    # Her own case stays for the counts, without personal data; the shared case keeps the neighbour.
    own.refresh_from_db()
    assert own.summary == dataprotection.ANONYMISED and own.description == "" and own.topic_id == own.topic_id
    assert not own.case_constituents.exists()
    assert list(shared.constituents.all()) == [janes_records["neighbour"]]
    contact = Contact.objects.get(pk=janes_records["contact"].pk)  # kept for counts, emptied
    assert (contact.summary, contact.body, contact.constituent) == (dataprotection.ANONYMISED, "", None)
    assert not Attachment.objects.exists() and not storage.exists(attachment_name)
    assert not storage.exists(letter_pdf)
    letter = Letter.objects.get(pk=janes_records["letter"].pk)
    assert SECRET not in letter.body and not letter.pdf
    survey_response = Response.objects.get(pk=janes_records["response"].pk)
    assert survey_response.constituent is None and "jane" not in survey_response.external_id
    assert not TimelineEntry.objects.filter(body__contains=SECRET).exists()
    # Nothing anywhere still holds the secret or points at her.
    for model, fk in dataprotection._relations_to_constituent():
        assert not model._base_manager.filter(**{f"{fk.name}_id": jane.pk}).exists(), model
    # The audit trail keeps who did what, without the data, and records the erasure.
    assert not LogEntry.objects.filter(changes__icontains="Benefit appeal").exists()
    assert not LogEntry.objects.filter(object_repr__icontains="Jane").exists()
    erasure = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Constituent),
        object_pk=str(jane.pk),
        additional_data__event="erasure",
    )
    assert erasure.actor == staff.user and "Jane" not in str(erasure.additional_data)


def test_erasing_a_merged_record_erases_its_duplicates_too(office, staff):
    from casework.services import constituent_merge

    survivor = ConstituentFactory(office=office)
    duplicate = ConstituentFactory(office=office)
    constituent_merge(survivor=survivor, merged=duplicate, by=staff.user)

    dataprotection.constituent_erase(constituent=survivor, by=staff.user)

    assert not Constituent.objects.filter(pk__in=[survivor.pk, duplicate.pk]).exists()


# --- retention --------------------------------------------------------------------------------


def _closed_case(office, *, years_ago: float):
    case = CaseFactory(office=office, status=Case.Status.CLOSED, summary="Old housing case")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=365.25 * years_ago))
    case.refresh_from_db()
    return case


def test_the_sweep_lists_only_closed_cases_past_the_period_and_removes_nothing(office):
    old = _closed_case(office, years_ago=7)
    _closed_case(office, years_ago=5)
    CaseFactory(office=office)

    retention_sweep_task.delay()
    retention_sweep_task.delay()  # twice: still one review

    review = RetentionReview.objects.get()
    assert review.case == old and review.decision == RetentionReview.Decision.PENDING
    assert Case.objects.count() == 3 and Case.objects.get(pk=old.pk).summary == "Old housing case"


def test_the_office_sets_its_own_period(office, staff, client_for):
    _closed_case(office, years_ago=4)
    client_for(staff).post(reverse("privacy:retention-period"), {"retention_years": 3})
    office.refresh_from_db()
    assert office.retention_years == 3
    assert dataprotection.retention_flag(office=office) == 1


def test_staff_anonymise_reviewed_cases_and_the_counts_stay(office, staff, client_for):
    case = _closed_case(office, years_ago=7)
    person = case.constituents.get()
    dataprotection.retention_flag(office=office)
    review = RetentionReview.objects.get()
    client = client_for(staff)
    assert case.reference in client.get(reverse("privacy:data-protection")).content.decode()

    client.post(reverse("privacy:retention-decide"), {"reviews": [review.pk], "decision": "anonymised"})

    case.refresh_from_db()
    assert case.summary == dataprotection.ANONYMISED and case.status == Case.Status.CLOSED
    assert not Constituent.objects.filter(pk=person.pk).exists()  # no other casework: erased
    review.refresh_from_db()
    assert review.decision == "anonymised" and review.decided_by == staff.user
    assert LogEntry.objects.filter(additional_data__event="retention-anonymise", object_pk=str(case.pk)).exists()
    assert dataprotection.retention_flag(office=office) == 0  # not listed again


def test_staff_delete_reviewed_cases(office, staff, client_for):
    case = _closed_case(office, years_ago=7)
    dataprotection.retention_flag(office=office)
    review = RetentionReview.objects.get()

    client_for(staff).post(reverse("privacy:retention-decide"), {"reviews": [review.pk], "decision": "deleted"})

    assert not Case.objects.filter(pk=case.pk).exists()
    review.refresh_from_db()
    assert review.decision == "deleted" and review.case_reference == case.reference
    assert LogEntry.objects.filter(additional_data__event="retention-delete").exists()


def test_a_case_reopened_since_it_was_listed_is_not_removed(office, staff):
    case = _closed_case(office, years_ago=7)
    dataprotection.retention_flag(office=office)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.OPEN, outcome="")

    with pytest.raises(dataprotection.RetentionRefused):
        dataprotection.retention_decide(review=RetentionReview.objects.get(), by=staff.user, decision="deleted")
    assert Case.objects.filter(pk=case.pk).exists()


def test_kept_cases_come_back_after_a_year(office, staff):
    _closed_case(office, years_ago=7)
    dataprotection.retention_flag(office=office)
    dataprotection.retention_decide(review=RetentionReview.objects.get(), by=staff.user, decision="kept")

    assert dataprotection.retention_flag(office=office) == 0
    assert dataprotection.retention_flag(office=office, now=timezone.now() + timedelta(days=400)) == 1


def test_only_staff_review_retention(office, caseworker, mp, client_for):
    for member in (caseworker, mp):
        assert client_for(member).get(reverse("privacy:data-protection")).status_code == 403
        assert client_for(member).post(reverse("privacy:retention-decide")).status_code == 403


def test_the_sweep_is_scheduled():
    from django.conf import settings

    assert any(entry["task"] == "casework.tasks.retention_sweep" for entry in settings.CELERY_BEAT_SCHEDULE.values())
