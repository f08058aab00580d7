"""A real browser: sign in through the form, switch office from the navigation bar, and check
every page seen on the way with axe-core."""

import base64
import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from playwright.sync_api import expect

from mpoffice.models import Role
from tests.mpoffice.factories import PASSWORD, MembershipFactory, OfficeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]


@pytest.fixture
def relief_caseworker():
    north = OfficeFactory(name="Milton Keynes North", mp_name="Ben Everitt", reference_prefix="MKN")
    south = OfficeFactory(name="Milton Keynes South", mp_name="Iain Stewart", reference_prefix="MKS")
    membership = MembershipFactory(
        office=north, role=Role.CASEWORKER, user__username="relief", user__first_name="Charlie"
    )
    MembershipFactory(office=south, role=Role.STAFF, user=membership.user)
    return membership.user


def sign_in(page, username: str) -> None:
    page.goto(reverse("home"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/accounts/two-factor/setup/" in page.url:
        # Office staff and MPs set up an authenticator before anything else: read the key
        # shown under the QR code, as an app would, and type the code it gives.
        key = base64.b32decode(page.locator("code").first.inner_text())
        page.get_by_label("Code from your app").fill(f"{totp(key):06d}")
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
        page.get_by_role("link", name="I have saved them – continue").click()


def test_sign_in_then_switch_office_from_the_navigation_bar(page, relief_caseworker, axe_check):
    page.goto(reverse("login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Postbag")
    axe_check(page, "the sign-in page")

    sign_in(page, "relief")

    expect(page.get_by_role("heading", level=1)).to_have_text("Milton Keynes North: your casework")
    expect(page).to_have_title("Home – Milton Keynes North – Postbag")
    axe_check(page, "the caseworker's home page")

    page.get_by_label("Office").select_option(label="Milton Keynes South (Office staff)")
    page.get_by_role("button", name="Switch").click()

    expect(page.get_by_role("status")).to_have_text("You are now working in Milton Keynes South as Office staff.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Milton Keynes South: office overview")
    expect(page.get_by_label("Office")).to_have_value(str(relief_caseworker.memberships.get(role=Role.STAFF).office_id))
    axe_check(page, "the staff home page after switching")

    page.get_by_role("button", name="Office", exact=True).click()  # the Office menu of the bar
    page.get_by_role("link", name="System status").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("System status")
    axe_check(page, "the System status panel")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_skip_link_moves_focus_to_the_main_content(page, relief_caseworker):
    sign_in(page, "relief")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # visible when focused, for keyboard users
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.parametrize(
    ("role", "path", "heading"),
    [
        (Role.MP, "home", "Iain Stewart MP: Milton Keynes South"),
        (Role.CASEWORKER, "system-status", "You cannot do that in this office"),
        (None, "no-office", "You are not a member of any office yet"),
        (None, "password_reset", "Reset your password"),
    ],
)
def test_other_pages_have_no_serious_accessibility_violations(page, axe_check, role, path, heading):
    if role is not None:
        south = OfficeFactory(name="Milton Keynes South", mp_name="Iain Stewart", reference_prefix="MKS")
        MembershipFactory(office=south, role=role, user__username="member")
        sign_in(page, "member")
    elif path == "no-office":
        UserFactory(username="newstarter")
        sign_in(page, "newstarter")

    page.goto(reverse(path))

    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    axe_check(page, path)
