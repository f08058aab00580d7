"""In a real browser, under the real Content Security Policy (no 'unsafe-inline'): the pages that
used to need inline styles (charts, progress bars, pre-formatted text, the letter preview)
report no policy violation, and every chart image loads."""

import io

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from casework.models import Case, Topic
from mpoffice.models import Role
from mpoffice.notifications import notifications_create
from tests.browser.journey import sign_in
from tests.campaigns.factories import CampaignFactory
from tests.casework.factories import CaseFactory, ConstituentFactory
from tests.inbound.factories import inbound_message
from tests.letters.factories import make_letter
from tests.mpoffice.factories import PASSWORD, MembershipFactory, OfficeFactory, WardFactory
from tests.reminders.builders import _bulk_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]

# Collects every violation the page's own document reports, from the first script on.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
});
"""


@pytest.fixture
def office_with_data():
    office = OfficeFactory(name="Milton Keynes South", mp_name="Iain Stewart", reference_prefix="MKS")
    staff = MembershipFactory(office=office, role=Role.STAFF, user__username="csp-staff")
    MembershipFactory(office=office, role=Role.MP, user__username="csp-mp")
    crime = Topic.objects.create(office=office, name="Crime & policing")
    campaign = CampaignFactory(office=office, name="Knife crime")
    for ward_name in ("Bletchley East", "Oldbrook"):
        person = ConstituentFactory(office=office, ward=WardFactory(office=office, name=ward_name))
        case = CaseFactory(office=office, constituents=[person], topic=crime, status=Case.Status.OPEN)
        campaign.campaign_cases.create(office=office, case=case)
    notifications_create(
        office=office, users=[staff.user], kind="test", title="Reply overdue", body="Line one\nLine two"
    )
    return {
        "briefing": reverse("campaign-briefing", args=[campaign.pk]),
        "staff pages": [
            reverse("notification-list"),
            reverse("inbound:inbound-detail", args=[inbound_message(office).pk]),
            reverse("letters:bulk-detail", args=[_bulk_run(office).pk]),
            reverse("letters:preview", args=[make_letter(office).pk]),
            reverse("system-status"),
        ],
    }


def _open(page, url: str, console: list[str]) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__cspViolations")
    assert violations == [], f"{url}: {violations}"
    assert not [line for line in console if "Content Security Policy" in line], f"{url}: {console}"
    broken = page.evaluate(
        "[...document.images].filter((img) => !img.complete || img.naturalWidth === 0).map((img) => img.src)"
    )
    assert broken == [], f"{url}: images that did not load: {broken}"


def test_pages_and_charts_show_without_any_policy_violation(page, office_with_data):
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.context.add_init_script(WATCH_VIOLATIONS)

    sign_in(page, "csp-mp", PASSWORD)  # the MP's home page is the dashboard
    expect(
        page.get_by_role("img", name="Bar chart of open cases by ward (the numbers are in the table below)")
    ).to_be_visible()
    _open(page, reverse("home"), console)
    assert page.locator("figure.chart img").count() == 3
    # Drawn in the chart's colours: the <style> inside the SVG image applies.
    chart = Image.open(io.BytesIO(page.locator("figure.chart img").nth(2).screenshot())).convert("RGB")
    assert sum(n for n, (red, green, blue) in chart.getcolors(1 << 20) if blue > 150 and red < 80) > 100
    _open(page, office_with_data["briefing"], console)
    assert page.locator("figure.chart img").count() == 2

    sign_in(page, "csp-staff", PASSWORD)
    for url in office_with_data["staff pages"]:
        _open(page, url, console)


def test_the_watch_would_see_an_inline_style(page, office_with_data):
    """The check above can fail: an inline style added to a page is reported as a violation."""
    page.context.add_init_script(WATCH_VIOLATIONS)
    sign_in(page, "csp-staff", PASSWORD)
    page.goto(reverse("notification-list"))
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">inline</p>')")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__cspViolations") != []
