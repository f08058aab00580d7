"""Two-factor sign-in: required for the MP and staff, optional for caseworkers, with
recovery codes; the password alone never reaches office data for the roles that need more."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from mpoffice.twofactor import services
from tests.mpoffice.factories import PASSWORD


def sign_in(client, username: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD, **extra})


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


@pytest.mark.parametrize("role", ["staff", "mp"])
def test_staff_and_mp_must_set_up_two_factor_before_anything_else(role, request, client):
    membership = request.getfixturevalue(role)
    sign_in(client, membership.user.username)

    for url in (reverse("home"), reverse("casework:case-list"), reverse("letters:list")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("two-factor-setup")), url


@pytest.fixture
def no_throttle(settings):
    """Tests that type a wrong code and then the right one at once; throttling has its own test."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def test_setting_up_shows_a_qr_code_then_recovery_codes_and_lets_them_in(staff, client, no_throttle):
    sign_in(client, "staff")
    page = client.get(reverse("two-factor-setup"), {"next": reverse("casework:case-list")})
    content = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in content and "QR code for your authenticator app" in content
    device = TOTPDevice.objects.get(user=staff.user, confirmed=False)

    wrong = client.post(reverse("two-factor-setup"), {"token": "000000"})
    assert "did not match" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=staff.user, confirmed=True).exists()

    done = client.post(reverse("two-factor-setup"), {"token": code_for(device), "next": reverse("casework:case-list")})

    assert done.status_code == 200
    codes = StaticToken.objects.filter(device__user=staff.user).values_list("token", flat=True)
    assert len(codes) == 10
    for code in codes:
        assert code in done.content.decode()
    assert client.get(reverse("casework:case-list")).status_code == 200


def test_a_user_with_an_authenticator_must_enter_a_code_after_the_password(staff, client, no_throttle):
    device = confirmed_device(staff.user)
    response = sign_in(client, "staff", next=reverse("casework:case-list"))
    assert response["Location"] == reverse("casework:case-list")

    blocked = client.get(reverse("casework:case-list"))
    assert blocked["Location"].startswith(reverse("two-factor-verify"))

    refused = client.post(reverse("two-factor-verify"), {"token": "123456"})
    assert refused.status_code == 200 and "not accepted" in refused.content.decode()

    client.post(reverse("two-factor-verify"), {"token": code_for(device), "next": reverse("casework:case-list")})
    assert client.get(reverse("casework:case-list")).status_code == 200


def test_a_recovery_code_works_once(staff, client, no_throttle):
    confirmed_device(staff.user)
    code = services.recovery_codes_issue(user=staff.user)[0]
    sign_in(client, "staff")

    response = client.post(reverse("two-factor-verify"), {"token": code}, follow=True)

    assert "recovery code; 9 left" in response.content.decode()
    assert client.get(reverse("home")).status_code == 200
    client.logout()
    sign_in(client, "staff")
    assert client.post(reverse("two-factor-verify"), {"token": code}).status_code == 200  # refused, form again
    assert client.get(reverse("home"))["Location"].startswith(reverse("two-factor-verify"))


def test_a_redirect_after_the_code_never_leaves_the_site(staff, client):
    device = confirmed_device(staff.user)
    sign_in(client, "staff")

    response = client.post(reverse("two-factor-verify"), {"token": code_for(device), "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_two_factor_is_optional_for_caseworkers(caseworker, client):
    sign_in(client, "caseworker")
    assert client.get(reverse("casework:case-list")).status_code == 200
    page = client.get(reverse("two-factor"))
    assert "optional for your role" in page.content.decode()


def test_a_caseworker_who_added_an_authenticator_is_asked_for_it_and_may_remove_it(caseworker, client):
    device = confirmed_device(caseworker.user)
    sign_in(client, "caseworker")
    assert client.get(reverse("home"))["Location"].startswith(reverse("two-factor-verify"))
    client.post(reverse("two-factor-verify"), {"token": code_for(device)})

    client.post(reverse("two-factor-remove"))

    assert not TOTPDevice.objects.filter(user=caseworker.user).exists()


def test_staff_cannot_remove_two_factor(staff, client_for):
    response = client_for(staff).post(reverse("two-factor-remove"))

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=staff.user).exists()


def test_new_recovery_codes_replace_the_old_ones(staff, client_for):
    old = services.recovery_codes_issue(user=staff.user)
    response = client_for(staff).post(reverse("two-factor-recovery-codes"))

    assert response.status_code == 200
    tokens = set(StaticToken.objects.filter(device__user=staff.user).values_list("token", flat=True))
    assert len(tokens) == 10 and not tokens & set(old)


def test_wrong_codes_are_throttled(staff, client):
    device = confirmed_device(staff.user)
    sign_in(client, "staff")
    client.post(reverse("two-factor-verify"), {"token": "000000"})

    # Even the right code waits out the back-off after a failure (it doubles with each one).
    client.post(reverse("two-factor-verify"), {"token": code_for(device)})

    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert client.get(reverse("home"))["Location"].startswith(reverse("two-factor-verify"))


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    for name in ("two-factor", "two-factor-setup", "two-factor-verify"):
        assert client.get(reverse(name))["Location"].startswith(reverse("login"))


def test_demo_accounts_get_the_public_demo_authenticator_and_the_command_prints_its_code(settings, db, capsys):
    settings.DEBUG = True
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    device = TOTPDevice.objects.get(user__username="mks-staff")
    assert device.name == services.DEMO_DEVICE_NAME and device.confirmed
    assert not TOTPDevice.objects.filter(user__username="mks-caseworker").exists()

    call_command("demo_totp_code", "mks-staff")

    assert capsys.readouterr().out.strip().endswith(code_for(device))
