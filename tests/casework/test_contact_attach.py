from django.urls import reverse

from casework.models import TimelineEntry
from tests.casework.factories import CaseFactory, ConstituentFactory, ContactFactory


def test_a_call_logged_before_the_case_is_put_on_it_and_its_timeline(office, caseworker, client_for):
    person = ConstituentFactory(office=office)
    call = ContactFactory(office=office, constituent=person, case=None, summary="Rang about a stabbing")
    case = CaseFactory(office=office, constituents=[person])
    client = client_for(caseworker)

    page = client.get(person.get_absolute_url()).content.decode()
    assert reverse("casework:contact-attach", args=[call.pk]) in page

    response = client.post(reverse("casework:contact-attach", args=[call.pk]), {"case": case.pk})

    assert response.status_code == 302
    call.refresh_from_db()
    assert call.case == case
    assert TimelineEntry.objects.filter(case=case, kind="contact", source_id=call.pk).count() == 1
    assert "Rang about a stabbing" in client.get(case.get_absolute_url()).content.decode()


def test_a_contact_cannot_go_to_someone_elses_case_or_move_twice(office, caseworker, client_for):
    person = ConstituentFactory(office=office)
    call = ContactFactory(office=office, constituent=person, case=None)
    own_case = CaseFactory(office=office, constituents=[person])
    other_case = CaseFactory(office=office, constituents=[ConstituentFactory(office=office)])
    client = client_for(caseworker)

    client.post(reverse("casework:contact-attach", args=[call.pk]), {"case": other_case.pk}, follow=True)
    call.refresh_from_db()
    assert call.case is None

    client.post(reverse("casework:contact-attach", args=[call.pk]), {"case": own_case.pk})
    again = client.post(reverse("casework:contact-attach", args=[call.pk]), {"case": own_case.pk}, follow=True)
    assert "already on case" in again.content.decode()
    assert TimelineEntry.objects.filter(kind="contact", source_id=call.pk).count() == 1


def test_the_mp_cannot_move_contacts(office, mp, client_for):
    person = ConstituentFactory(office=office)
    call = ContactFactory(office=office, constituent=person, case=None)
    case = CaseFactory(office=office, constituents=[person])
    assert client_for(mp).post(reverse("casework:contact-attach", args=[call.pk]), {"case": case.pk}).status_code == 403


def test_another_offices_case_is_not_found(office, other_office, caseworker, client_for):
    person = ConstituentFactory(office=office)
    call = ContactFactory(office=office, constituent=person, case=None)
    foreign = CaseFactory(office=other_office)
    response = client_for(caseworker).post(reverse("casework:contact-attach", args=[call.pk]), {"case": foreign.pk})
    assert response.status_code == 404
