"""Every letters view with the three actors: a member whose role may act (works), a member
whose role may not (403), and, through tests/test_isolation.py, a member of another office (404)."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from letters import services
from letters.models import Letter, LetterTemplate, Organisation, PostHolder, Status
from tests.letters.factories import (
    OrganisationFactory,
    PostFactory,
    TemplateFactory,
    approved_letter,
    make_case,
    make_letter,
    make_post,
)

ALL = ("caseworker", "staff", "mp")


def _members(request):
    return {role: request.getfixturevalue(role) for role in ALL}


def _draft(office, mp):
    return make_letter(office)


def _awaiting(office, mp):
    letter = make_letter(office)
    services.letter_submit(letter=letter, by=None)
    return letter


def _approved(office, mp):
    return approved_letter(office, mp)


def _sent(office, mp):
    letter = approved_letter(office, mp)
    return services.letter_send(letter=letter, by=None, channel="post", sent_on=date(2026, 3, 2))


# (url pattern, method, make the letter, form data, roles that may, expected status for them)
LETTER_VIEWS = [
    ("/letters/{pk}/", "get", _draft, None, ALL, 200),
    ("/letters/{pk}/preview/", "get", _draft, None, ALL, 200),
    ("/letters/{pk}/letter.pdf", "get", _draft, None, ALL, 200),
    ("/letters/{pk}/edit/", "get", _draft, None, ("caseworker", "staff"), 200),
    ("/letters/{pk}/submit/", "post", _draft, {}, ("caseworker", "staff"), 302),
    ("/letters/{pk}/cosign/", "post", _draft, "cosign", ("staff",), 302),
    ("/letters/{pk}/approve/", "post", _awaiting, {}, ("mp",), 302),
    ("/letters/{pk}/return/", "post", _awaiting, {"comment": "Shorter"}, ("mp",), 302),
    ("/letters/{pk}/send/", "get", _approved, None, ("staff",), 200),
    ("/letters/{pk}/send/", "post", _approved, {"channel": "post", "sent_on": "2026-03-02"}, ("staff",), 302),
    ("/letters/{pk}/close/", "post", _sent, {}, ("caseworker", "staff"), 302),
    ("/letters/{pk}/publish/", "post", _sent, {}, ("staff",), 302),
    ("/letters/{pk}/replies/new/", "get", _sent, None, ("caseworker", "staff"), 200),
]


@pytest.mark.parametrize(("url", "method", "make", "data", "allowed", "expected"), LETTER_VIEWS)
@pytest.mark.parametrize("role", ALL)
def test_letter_views_with_each_role(
    request, office, other_office, client_for, url, method, make, data, allowed, expected, role
):
    members = _members(request)
    letter = make(office, members["mp"])
    if data == "cosign":
        data = {"office": other_office.pk}
    response = getattr(client_for(members[role]), method)(url.format(pk=letter.pk), data or {})
    assert response.status_code == (expected if role in allowed else 403), (url, role)


PAGES = [
    ("/letters/", ALL),
    ("/letters/new/", ("caseworker", "staff")),
    ("/letters/replies/", ALL),
    ("/letters/organisations/", ALL),
    ("/letters/organisations/new/", ("staff",)),
    ("/letters/templates/", ALL),
    ("/letters/templates/new/", ("staff",)),
]


@pytest.mark.parametrize(("url", "allowed"), PAGES)
@pytest.mark.parametrize("role", ALL)
def test_pages_with_each_role(request, url, allowed, role, client_for):
    response = client_for(_members(request)[role]).get(url)
    assert response.status_code == (200 if role in allowed else 403)
    if response.status_code == 200:
        content = response.content.decode()
        assert content.count("<h1") == 1 and "<title>" in content


@pytest.mark.parametrize("suffix", ["", "edit/", "posts/new/", "holders/new/"])
@pytest.mark.parametrize("role", ALL)
def test_organisation_pages_with_each_role(request, office, client_for, suffix, role):
    organisation = OrganisationFactory(office=office)
    response = client_for(_members(request)[role]).get(f"/letters/organisations/{organisation.pk}/{suffix}")
    allowed = ALL if suffix == "" else ("staff",)
    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("role", ALL)
def test_template_edit_with_each_role(request, office, client_for, role):
    template = TemplateFactory(office=office)
    response = client_for(_members(request)[role]).get(f"/letters/templates/{template.pk}/")
    assert response.status_code == (200 if role == "staff" else 403)


def test_caseworker_drafts_a_letter_about_a_case(office, caseworker, client_for):
    case = make_case(office)
    post = make_post(office)
    response = client_for(caseworker).post(
        "/letters/new/",
        {
            "subject": "About {{ case_reference }}",
            "body": "{{ salutation }},\n\nText.",
            "recipient_kind": "post",
            "recipient_post": post.pk,
            "case_references": case.reference.lower(),
        },
    )
    assert response.status_code == 302
    letter = Letter.objects.get()
    assert list(letter.cases.all()) == [case] and letter.status == Status.DRAFT
    assert letter.signatories.get().signer_name == "Iain Stewart"


def test_drafting_from_a_template_to_the_cases_constituent(office, caseworker, client_for):
    case = make_case(office)
    template = TemplateFactory(office=office)
    response = client_for(caseworker).post(
        "/letters/new/",
        {
            "template": template.pk,
            "recipient_kind": "constituent",
            "case_references": case.reference,
        },
    )
    assert response.status_code == 302
    letter = Letter.objects.get()
    assert letter.body == template.body and letter.recipient_constituent == case.constituents.get()
    preview = client_for(caseworker).get(f"/letters/{letter.pk}/preview/").content.decode()
    assert "Dear Ms Fictional" in preview and case.reference in preview


def test_bad_input_on_the_letter_form_is_tied_to_fields_and_text_is_kept(office, caseworker, client_for):
    response = client_for(caseworker).post(
        "/letters/new/",
        {
            "subject": "S",
            "body": "My text {{ constituent.__class__ }}",
            "recipient_kind": "post",
            "case_references": "MKS-1999-99999",
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "is not a merge field" in content
    assert "No case of this office has the reference MKS-1999-99999" in content
    assert "Choose the post the letter is to." in content
    assert "My text {{ constituent.__class__ }}" in content
    assert 'aria-invalid="true"' in content or "is-invalid" in content
    assert not Letter.objects.exists()


def test_staff_adds_an_organisation_post_and_holder(office, staff, client_for):
    client = client_for(staff)
    client.post(
        "/letters/organisations/new/",
        {
            "name": "Home Office",
            "address": "2 Marsham Street",
            "email": "",
            "reply_target_working_days": 20,
            "notes": "",
        },
    )
    organisation = Organisation.objects.get(office=office)
    client.post(f"/letters/organisations/{organisation.pk}/posts/new/", {"title": "Home Secretary", "salutation": ""})
    post = organisation.posts.get()
    response = client.post(
        f"/letters/organisations/{organisation.pk}/holders/new/",
        {
            "post": post.pk,
            "name": "Priti Patel",
            "started_on": "2019-07-24",
            "ended_on": "2019-01-01",
        },
    )
    assert "The end date must be on or after the start date." in response.content.decode()
    client.post(
        f"/letters/organisations/{organisation.pk}/holders/new/",
        {
            "post": post.pk,
            "name": "Priti Patel",
            "started_on": "2019-07-24",
            "ended_on": "",
        },
    )
    assert PostHolder.objects.get().name == "Priti Patel"
    page = client.get(f"/letters/organisations/{organisation.pk}/").content.decode()
    assert "24 Jul 2019" in page  # UK dates, in the one date format


def test_staff_saves_a_valid_template(office, staff, client_for):
    response = client_for(staff).post(
        "/letters/templates/new/",
        {
            "name": "Thanks",
            "subject": "Re {{ case_reference }}",
            "body": "{{ salutation }},\n\nThank you.",
        },
    )
    assert response.status_code == 302
    assert LetterTemplate.objects.get(office=office).created_by == staff.user


def test_an_mp_approves_through_the_page(office, mp, client_for):
    letter = _awaiting(office, mp)
    page = client_for(mp).get(f"/letters/{letter.pk}/").content.decode()
    assert "Approve my signature" in page
    client_for(mp).post(f"/letters/{letter.pk}/approve/")
    letter.refresh_from_db()
    assert letter.status == Status.APPROVED


def _letters(office, count):
    post = make_post(office)
    for _ in range(count):
        make_letter(office, post=post, cases=[make_case(office)])


def test_letter_list_runs_a_fixed_number_of_queries(office, other_office, staff, client_for):
    client = client_for(staff)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/letters/").status_code == 200
        return len(captured)

    _letters(office, 2)
    few = queries()
    _letters(office, 20)
    letter = make_letter(
        other_office, post=PostFactory(office=other_office, organisation=OrganisationFactory(office=other_office))
    )
    services.letter_invite_cosigner(letter=letter, by=None, office=office)
    assert queries() == few


def test_replies_report_runs_a_fixed_number_of_queries(office, mp, staff, client_for):
    client = client_for(staff)
    _sent(office, mp)
    with CaptureQueriesContext(connection) as first:
        client.get("/letters/replies/")
    for _ in range(5):
        _sent(office, mp)
    with CaptureQueriesContext(connection) as second:
        client.get("/letters/replies/")
    assert len(first) == len(second)
