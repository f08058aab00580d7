"""The case page's own forms (status, assignment, note): each posts to the view that saves it,
comes back to the case page with a message, and wrong input shows the case page again with
the errors beside the fields and what was typed still there."""

import pytest
from django.urls import reverse

from casework.selectors import TIMELINE_PAGE_SIZE
from casework.services import note_add
from tests.casework.factories import CaseFactory
from tests.form_sweep import post_forms

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(office):
    return CaseFactory(office=office, summary="Damp in the back bedroom")


def _forms_by_button(response):
    return {form.label: form for form in post_forms(response.content.decode())}


def test_each_case_page_form_posts_to_the_view_that_saves_it(case, caseworker, client_for):
    forms = _forms_by_button(client_for(caseworker).get(case.get_absolute_url()))

    assert forms["Change status"].action == reverse("casework:case-status", args=[case.pk])
    assert forms["Assign"].action == reverse("casework:case-assign", args=[case.pk])
    assert forms["Add note"].action == reverse("casework:note-create", args=[case.pk])


def test_the_case_page_itself_refuses_a_post(case, caseworker, client_for):
    assert client_for(caseworker).post(case.get_absolute_url(), {"text": "Lost"}).status_code == 405


def test_status_change_saves_and_comes_back_with_a_message(case, caseworker, client_for):
    response = client_for(caseworker).post(
        reverse("casework:case-status", args=[case.pk]),
        {"status": "closed", "outcome": "resolved", "comment": "Repair booked"},
        follow=True,
    )

    assert response.redirect_chain == [(case.get_absolute_url(), 302)]
    assert f"{case.reference} is now closed." in response.content.decode()
    assert "Repair booked" in response.content.decode()  # on the timeline
    case.refresh_from_db()
    assert (case.status, case.outcome) == ("closed", "resolved")


def test_closing_without_an_outcome_shows_the_error_beside_the_field_and_keeps_the_comment(
    case, caseworker, client_for
):
    response = client_for(caseworker).post(
        reverse("casework:case-status", args=[case.pk]), {"status": "closed", "comment": "Council replied"}
    )

    assert response.status_code == 200
    assert response.templates[0].name == "casework/case_detail.html"
    form = response.context["status_form"]
    assert form.errors == {"outcome": ["Choose the outcome to close the case, e.g. Resolved."]}
    html = response.content.decode()
    # The error is drawn under the field and tied to it for screen readers.
    assert 'aria-describedby="id_outcome_helptext id_outcome_error" id="id_outcome"' in html
    assert '<div id="id_outcome_error" class="invalid-feedback">' in html
    assert "Council replied</textarea>" in html
    assert _forms_by_button(response)["Change status"].action == reverse("casework:case-status", args=[case.pk])
    case.refresh_from_db()
    assert case.status == "new" and not case.timeline.filter(kind="status").exists()


def test_assigning_someone_outside_the_office_shows_the_error_on_the_case_page(case, caseworker, outsider, client_for):
    response = client_for(caseworker).post(
        reverse("casework:case-assign", args=[case.pk]), {"assignee": outsider.user.pk}
    )

    assert response.status_code == 200
    assert "assignee" in response.context["assign_form"].errors
    case.refresh_from_db()
    assert case.assignee is None


def test_assignment_saves_and_comes_back_with_a_message(case, caseworker, staff, client_for):
    response = client_for(caseworker).post(
        reverse("casework:case-assign", args=[case.pk]), {"assignee": staff.user.pk}, follow=True
    )

    assert response.redirect_chain == [(case.get_absolute_url(), 302)]
    assert "Assignment saved." in response.content.decode()
    case.refresh_from_db()
    assert case.assignee == staff.user


def test_an_empty_note_shows_the_error_and_a_note_is_added(case, caseworker, client_for):
    client = client_for(caseworker)
    url = reverse("casework:note-create", args=[case.pk])

    empty = client.post(url, {"text": "  "})
    assert empty.status_code == 200
    assert empty.context["note_form"].errors == {"text": ["This field is required."]}
    assert not case.timeline.filter(kind="note").exists()

    added = client.post(url, {"text": "Rang the landlord"}, follow=True)
    assert added.redirect_chain == [(case.get_absolute_url(), 302)]
    assert "Note added." in added.content.decode()
    assert case.timeline.get(kind="note").title == "Rang the landlord"


def test_the_case_page_shown_again_after_wrong_input_pages_through_the_case_url(case, caseworker, client_for):
    for number in range(TIMELINE_PAGE_SIZE + 1):
        note_add(case=case, by=caseworker.user, text=f"Note {number}")

    response = client_for(caseworker).post(reverse("casework:note-create", args=[case.pk]), {"text": ""})

    assert f'href="{case.get_absolute_url()}?page=2"' in response.content.decode()


def test_the_mp_reads_the_case_page_without_its_forms(case, mp, client_for):
    response = client_for(mp).get(case.get_absolute_url())

    assert response.status_code == 200
    assert not {"Change status", "Assign", "Add note"} & set(_forms_by_button(response))
