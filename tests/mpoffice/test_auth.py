"""Signing in and out, password reset by e-mail and login throttling, through the real forms."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.urls import reverse

from tests.mpoffice.factories import PASSWORD, MembershipFactory


def sign_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_member_signs_in_with_the_form_and_lands_on_their_home_page(caseworker, client):
    response = client.post(reverse("login"), {"username": "caseworker", "password": PASSWORD}, follow=True)

    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "Milton Keynes South (test): your casework" in response.content.decode()
    assert response.wsgi_request.user == caseworker.user


def test_sign_in_goes_on_to_the_page_asked_for(staff, client):
    response = client.post(
        reverse("login"), {"username": "staff", "password": PASSWORD, "next": reverse("system-status")}
    )

    assert response["Location"] == reverse("system-status")


def test_a_wrong_password_is_refused_with_a_message(caseworker, client):
    response = sign_in(client, "caseworker", "not the password")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_ends_the_session(caseworker, client):
    sign_in(client, "caseworker", PASSWORD)

    response = client.post(reverse("logout"))

    assert response["Location"] == reverse("login")
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_password_reset_sends_a_link_that_sets_a_new_password(caseworker, client):
    response = client.post(reverse("password_reset"), {"email": caseworker.user.email})
    assert response["Location"] == reverse("password_reset_done")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [caseworker.user.email]
    assert message.subject == "Reset your Postbag password"
    link = re.search(r"https?://testserver(/accounts/reset/\S+/)", message.body).group(1)

    form_page = client.get(link, follow=True)  # Django swaps the token for a session-bound URL
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"}
    )
    assert done["Location"] == reverse("password_reset_complete")

    client.logout()
    assert sign_in(client, "caseworker", PASSWORD).status_code == 200  # the old one no longer works
    assert sign_in(client, "caseworker", "a brand new passphrase")["Location"] == reverse("home")
    # The link works once.
    assert "already been used or has expired" in client.get(link, follow=True).content.decode()


def test_password_reset_does_not_reveal_unknown_addresses(db, client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})

    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


@pytest.mark.xdist_group("axes")
def test_repeated_failures_lock_the_account_from_that_address(caseworker, client):
    limit = settings.AXES_FAILURE_LIMIT
    for attempt in range(limit - 1):
        response = sign_in(client, "caseworker", f"guess {attempt}")
        assert response.status_code == 200, f"attempt {attempt + 1} of {limit} should still show the form"

    response = sign_in(client, "caseworker", "last guess")

    assert response.status_code == 429
    assert "registration/locked_out.html" in [template.name for template in response.templates]
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert AccessAttempt.objects.get(username="caseworker").failures_since_start == limit
    # Even the right password is refused while locked, and no session is started.
    assert sign_in(client, "caseworker", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_does_not_stop_other_users_at_the_same_address(caseworker, client):
    other = MembershipFactory(office=caseworker.office, user__username="colleague")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "caseworker", f"guess {attempt}")

    assert sign_in(client, other.user.username, PASSWORD)["Location"] == reverse("home")
