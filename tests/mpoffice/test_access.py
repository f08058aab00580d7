"""Roles, the current office and switching between offices."""

import pytest
from django.urls import reverse

from mpoffice.models import Role
from tests.conftest import verified_login
from tests.mpoffice.factories import MembershipFactory, UserFactory

FRIENDLY_403 = "You cannot do that in this office"


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("system-status"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('system-status')}"


def test_caseworker_cannot_open_system_status_and_sees_a_friendly_page(caseworker, client_for):
    response = client_for(caseworker).get(reverse("system-status"))

    assert response.status_code == 403
    assert "403.html" in [template.name for template in response.templates]
    content = response.content.decode()
    assert FRIENDLY_403 in content
    assert "Caseworker in Milton Keynes South (test)" in content
    assert "ask your office manager" in content


@pytest.mark.parametrize("actor", ["staff", "mp"])
def test_staff_and_mp_can_open_system_status(actor, request, client_for):
    membership = request.getfixturevalue(actor)

    response = client_for(membership).get(reverse("system-status"))

    assert response.status_code == 200
    assert "<h1" in response.content.decode() and "System status" in response.content.decode()


def test_system_status_is_in_the_menu_only_for_roles_that_may_open_it(caseworker, staff, client_for):
    link = f'href="{reverse("system-status")}"'

    assert link not in client_for(caseworker).get(reverse("home")).content.decode()
    assert link in client_for(staff).get(reverse("home")).content.decode()


@pytest.mark.parametrize(
    ("actor", "heading"),
    [
        ("caseworker", "Milton Keynes South (test): your casework"),
        ("staff", "Milton Keynes South (test): office overview"),
        ("mp", "Iain Stewart MP: Milton Keynes South (test)"),
    ],
)
def test_each_role_has_its_own_home_page(actor, heading, request, client_for):
    membership = request.getfixturevalue(actor)

    response = client_for(membership).get(reverse("home"))

    assert response.status_code == 200
    assert heading in response.content.decode()
    assert response.wsgi_request.office == membership.office
    assert response.wsgi_request.membership.role == membership.role


@pytest.fixture
def two_office_user(office, other_office):
    """Caseworker in MK South, office staff in MK North (first by name, so the default)."""
    south = MembershipFactory(office=office, role=Role.CASEWORKER, user__username="relief")
    MembershipFactory(office=other_office, role=Role.STAFF, user=south.user)
    return south.user


def test_a_user_of_several_offices_starts_in_the_first_and_can_switch(two_office_user, office, other_office, client):
    verified_login(client, two_office_user)
    assert client.get(reverse("home")).wsgi_request.office == other_office

    response = client.post(reverse("office-switch"), {"office": office.pk}, follow=True)

    assert response.redirect_chain == [(reverse("home"), 302)]
    assert response.wsgi_request.office == office
    assert response.wsgi_request.membership.role == Role.CASEWORKER
    content = response.content.decode()
    assert "You are now working in Milton Keynes South (test) as Caseworker." in content
    assert "Milton Keynes South (test): your casework" in content
    # The choice sticks for the rest of the session.
    assert client.get(reverse("system-status")).status_code == 403


def test_switching_to_an_office_you_do_not_belong_to_is_not_found(two_office_user, other_office, client):
    stranger_office = MembershipFactory().office
    verified_login(client, two_office_user)

    for value in (stranger_office.pk, "not-a-number", ""):
        response = client.post(reverse("office-switch"), {"office": value})
        assert response.status_code == 404, value
    assert client.get(reverse("home")).wsgi_request.office == other_office


def test_switching_to_an_office_whose_membership_was_ended_is_not_found(two_office_user, office, client):
    two_office_user.memberships.filter(office=office).update(is_active=False)
    verified_login(client, two_office_user)

    assert client.post(reverse("office-switch"), {"office": office.pk}).status_code == 404


def test_switching_office_needs_post(two_office_user, office, client):
    verified_login(client, two_office_user)

    assert client.get(reverse("office-switch"), {"office": office.pk}).status_code == 405


def test_navbar_offers_the_office_switcher_only_to_users_of_several_offices(two_office_user, caseworker, client):
    verified_login(client, two_office_user)
    content = client.get(reverse("home")).content.decode()
    assert 'id="office-switcher"' in content
    assert "Milton Keynes South (test) (Caseworker)" in content
    assert "Milton Keynes North (test) (Office staff)" in content

    client.force_login(caseworker.user)
    content = client.get(reverse("home")).content.decode()
    assert 'id="office-switcher"' not in content
    assert "Milton Keynes South (test)" in content


def test_user_without_an_office_gets_a_clear_page_not_an_error(db, client):
    client.force_login(UserFactory(username="newstarter"))

    response = client.get(reverse("home"), follow=True)

    assert response.redirect_chain == [(reverse("no-office"), 302)]
    content = response.content.decode()
    assert "You are not a member of any office yet" in content
    assert "newstarter" in content
    assert "Ask your office manager" in content
    # Office pages refuse them the same way rather than failing.
    assert client.get(reverse("system-status"))["Location"] == reverse("no-office")


def test_the_no_office_page_sends_members_home(caseworker, client_for):
    response = client_for(caseworker).get(reverse("no-office"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_admin_is_for_superusers_only(staff, client, client_for):
    assert client_for(staff).get("/admin/").status_code == 302

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.get("/admin/").status_code == 200
