import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from casework.models import Case, Tag, TimelineEntry
from casework.services import case_open, note_add
from tests.casework.factories import CaseFactory, ConstituentFactory, ContactFactory, TopicFactory
from tests.mpoffice.factories import WardFactory


def test_caseworker_opens_case_for_picked_constituents_with_tags(office, caseworker, client_for):
    alice, bob = ConstituentFactory.create_batch(2, office=office)
    topic = TopicFactory(office=office, name="Knife crime")

    response = client_for(caseworker).post(
        reverse("casework:case-create"),
        {
            "constituents": [alice.pk, bob.pk],
            "summary": "Knife crime near MK College",
            "topic": topic.pk,
            "priority": "high",
            "correspondent_relationship": "self",
            "tags_text": "knife crime, Fishermead, knife crime",
        },
    )

    case = Case.objects.get(office=office)
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.reference == f"MKS-{timezone.localdate().year}-00001"
    assert set(case.constituents.all()) == {alice, bob}
    assert sorted(case.tags.values_list("name", flat=True)) == ["Fishermead", "knife crime"]
    assert case.assignee == caseworker.user
    assert case.timeline.filter(kind="opened").exists()


def test_case_create_refuses_another_offices_constituent(office, caseworker, client_for):
    foreign = ConstituentFactory()
    response = client_for(caseworker).post(
        reverse("casework:case-create"),
        {"constituents": [foreign.pk], "summary": "x", "priority": "normal", "correspondent_relationship": "self"},
    )
    assert response.status_code == 200 and "constituents" in response.context["form"].errors
    assert not Case.objects.exists()


def test_correspondent_needs_relationship_and_consent(office, caseworker, client_for):
    constituent, relative = ConstituentFactory.create_batch(2, office=office)
    data = {
        "constituents": [constituent.pk],
        "summary": "Visa delay",
        "priority": "normal",
        "correspondent": relative.pk,
        "correspondent_relationship": "self",
    }
    response = client_for(caseworker).post(reverse("casework:case-create"), data)
    errors = response.context["form"].errors
    assert "correspondent_relationship" in errors and "correspondent_consent" in errors
    data.update(correspondent_relationship="relative", correspondent_consent="Agreed on the phone, 3 March")
    assert client_for(caseworker).post(reverse("casework:case-create"), data).status_code == 302
    assert Case.objects.get().correspondent == relative


def test_mp_cannot_open_cases(office, mp, client_for):
    assert client_for(mp).get(reverse("casework:case-create")).status_code == 403


def test_autocomplete_finds_only_this_offices_constituents(office, caseworker, client_for):
    mine = ConstituentFactory(office=office, last_name="Quillfeather")
    ConstituentFactory(last_name="Quillfeather")
    response = client_for(caseworker).get(reverse("casework:constituent-autocomplete"), {"q": "quill"})
    assert response.context["results"] == [mine]
    assert f'value="{mine.pk}"'.encode() in response.content


def test_close_case_needs_outcome_and_records_who_and_when(office, caseworker, client_for):
    case = CaseFactory(office=office)
    client = client_for(caseworker)
    url = reverse("casework:case-status", args=[case.pk])

    client.post(url, {"status": "closed"})
    case.refresh_from_db()
    assert case.status == "new"

    client.post(url, {"status": "closed", "outcome": "resolved", "comment": "Repair booked"})
    case.refresh_from_db()
    assert (case.status, case.outcome) == ("closed", "resolved") and case.closed_at
    entry = case.timeline.get(kind="status")
    assert entry.actor == caseworker.user and entry.body == "Repair booked"


def test_mp_cannot_change_status(office, mp, client_for):
    case = CaseFactory(office=office)
    assert client_for(mp).post(reverse("casework:case-status", args=[case.pk]), {"status": "open"}).status_code == 403


def test_assign_case_to_a_member_only(office, caseworker, staff, client_for, outsider):
    case = CaseFactory(office=office)
    client = client_for(caseworker)
    client.post(reverse("casework:case-assign", args=[case.pk]), {"assignee": outsider.user.pk})
    case.refresh_from_db()
    assert case.assignee is None
    client.post(reverse("casework:case-assign", args=[case.pk]), {"assignee": staff.user.pk})
    case.refresh_from_db()
    assert case.assignee == staff.user


def test_edit_case_changes_fields_and_tags(office, caseworker, client_for):
    constituent = ConstituentFactory(office=office)
    case = CaseFactory(office=office, constituents=[constituent], tags=["old"])
    review = (timezone.localdate() + timedelta(days=14)).isoformat()
    response = client_for(caseworker).post(
        reverse("casework:case-edit", args=[case.pk]),
        {
            "constituents": [constituent.pk],
            "summary": "New summary",
            "priority": "urgent",
            "review_by": review,
            "is_sensitive": "on",
            "correspondent_relationship": "self",
            "tags_text": "new",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.summary, case.priority, case.is_sensitive) == ("New summary", "urgent", True)
    assert list(case.tags.values_list("name", flat=True)) == ["new"]
    assert Tag.objects.filter(office=office, name="old").exists()  # the office's tag stays for other cases


def test_note_is_added_to_the_timeline(office, caseworker, client_for):
    case = CaseFactory(office=office)
    client_for(caseworker).post(
        reverse("casework:note-create", args=[case.pk]), {"text": "Called the council\nNo answer"}
    )
    note = case.timeline.get(kind="note")
    assert note.title == "Called the council" and note.actor == caseworker.user


# --- Sensitive cases ----------------------------------------------------------------------


@pytest.fixture
def sensitive_case(office, staff):
    return CaseFactory(office=office, is_sensitive=True, assignee=staff.user)


def test_sensitive_case_is_404_for_a_caseworker_who_is_not_the_assignee(sensitive_case, caseworker, client_for):
    client = client_for(caseworker)
    assert client.get(sensitive_case.get_absolute_url()).status_code == 404
    assert client.post(reverse("casework:note-create", args=[sensitive_case.pk]), {"text": "x"}).status_code == 404
    assert sensitive_case not in client.get(reverse("casework:case-list")).context["page"]


def test_sensitive_case_is_visible_to_assignee_staff_and_mp(sensitive_case, staff, mp, caseworker, client_for):
    assert client_for(staff).get(sensitive_case.get_absolute_url()).status_code == 200
    assert client_for(mp).get(sensitive_case.get_absolute_url()).status_code == 200
    sensitive_case.assignee = caseworker.user
    sensitive_case.save()
    assert client_for(caseworker).get(sensitive_case.get_absolute_url()).status_code == 200


# --- Case list ----------------------------------------------------------------------------


def test_case_list_filters_by_status_topic_ward_assignee_tag_dates_and_overdue(office, caseworker, staff, client_for):
    parent = TopicFactory(office=office, name="Crime & policing")
    knife = TopicFactory(office=office, name="Knife crime", parent=parent)
    ward = WardFactory(office=office, name="Woughton & Fishermead")
    local = ConstituentFactory(office=office, ward=ward)
    target = CaseFactory(
        office=office,
        constituents=[local],
        topic=knife,
        assignee=staff.user,
        tags=["vigil"],
        review_by=timezone.localdate() - timedelta(days=1),
        opened_at=timezone.now() - timedelta(days=10),
    )
    CaseFactory(office=office, summary="Other")
    CaseFactory(office=office, status=Case.Status.CLOSED)
    client = client_for(caseworker)
    tag = Tag.objects.get(name="vigil")
    ten_days_ago = (timezone.localdate() - timedelta(days=10)).isoformat()
    for params in (
        {"topic": parent.pk},
        {"topic": knife.pk},
        {"ward": ward.pk},
        {"assignee": staff.user.pk},
        {"tag": tag.pk},
        {"opened_from": ten_days_ago, "opened_to": ten_days_ago},
        {"overdue": "on"},
        {"status": ["new"], "topic": knife.pk},
    ):
        response = client.get(reverse("casework:case-list"), params)
        assert list(response.context["page"]) == [target], params
    assert response.context["page"].paginator.count == 1
    everything = client.get(reverse("casework:case-list"), {"status": ["open_any", "closed"]})
    assert everything.context["page"].paginator.count == 3


def test_case_list_defaults_to_open_cases(office, mp, client_for):
    open_case = CaseFactory(office=office)
    CaseFactory(office=office, status=Case.Status.CLOSED)
    assert list(client_for(mp).get(reverse("casework:case-list")).context["page"]) == [open_case]


def test_case_list_sorts_by_reference(office, mp, client_for):
    first, second = CaseFactory(office=office), CaseFactory(office=office)
    response = client_for(mp).get(reverse("casework:case-list"), {"status": "open_any", "sort": "reference"})
    assert list(response.context["page"]) == [first, second]


def _case_with_everything(office, staff):
    case = CaseFactory(
        office=office,
        constituents=ConstituentFactory.create_batch(2, office=office, ward=WardFactory(office=office)),
        topic=TopicFactory(office=office, parent=TopicFactory(office=office)),
        assignee=staff.user,
        tags=["a", "b"],
    )
    return case


def test_case_list_query_count_is_the_same_for_2_and_50_cases(office, staff, client_for, django_assert_max_num_queries):
    client = client_for(staff)
    for _ in range(2):
        _case_with_everything(office, staff)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("casework:case-list"), {"status": "open_any"})
    for _ in range(48):
        _case_with_everything(office, staff)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("casework:case-list"), {"status": "open_any"})
    assert len(response.context["page"]) == 25


# --- Timeline -----------------------------------------------------------------------------


def test_case_page_shows_one_ordered_timeline(office, caseworker, client_for):
    case = CaseFactory(office=office, opened_at=timezone.now() - timedelta(days=3))
    ContactFactory(
        office=office, case=case, summary="Rang about repairs", occurred_at=timezone.now() - timedelta(days=2)
    )
    note_add(case=case, by=caseworker.user, text="Chased the landlord")
    TimelineEntry.objects.create(
        office=office,
        case=case,
        kind="letter_from_elsewhere",
        title="A letter",
        occurred_at=timezone.now() - timedelta(days=1),
    )

    response = client_for(caseworker).get(case.get_absolute_url())

    kinds = [entry.kind for entry, _kind in response.context["entries"]]
    assert kinds == ["note", "letter_from_elsewhere", "contact", "opened"]
    content = response.content.decode()
    assert content.index("Chased the landlord") < content.index("A letter") < content.index("Rang about repairs")


def test_case_page_query_count_is_fixed_whatever_the_timeline_length(
    office, caseworker, client_for, django_assert_max_num_queries
):
    case = CaseFactory(office=office)
    client = client_for(caseworker)
    ContactFactory(office=office, case=case)
    note_add(case=case, by=caseworker.user, text="one")
    with django_assert_max_num_queries(30) as few:
        client.get(case.get_absolute_url())
    for n in range(30):
        ContactFactory(office=office, case=case, by=caseworker.user)
        note_add(case=case, by=caseworker.user, text=f"note {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(case.get_absolute_url())
    assert len(response.context["entries"]) == 50  # the timeline is paginated


# --- References ---------------------------------------------------------------------------


def test_case_references_are_sequential_per_office_and_year(office, other_office):
    last_year = timezone.now() - timedelta(days=366)
    refs = [CaseFactory(office=office).reference for _ in range(3)]
    year = timezone.localdate().year
    assert refs == [f"MKS-{year}-00001", f"MKS-{year}-00002", f"MKS-{year}-00003"]
    assert CaseFactory(office=other_office).reference == f"MKN-{year}-00001"
    assert (
        CaseFactory(office=office, opened_at=last_year).reference == f"MKS-{timezone.localtime(last_year).year}-00001"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_case_opens_never_collide(office):
    from tests.conftest import need

    need(connection.vendor == "postgresql", "needs PostgreSQL for real concurrent transactions")
    constituent = ConstituentFactory(office=office)
    references, errors = [], []
    barrier = threading.Barrier(8)

    def open_one():
        try:
            barrier.wait()
            references.append(
                case_open(office=office, by=None, constituents=[constituent], summary="Same moment").reference
            )
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(references)) == 8
