"""Pages a caseworker lives in all day, on a desk (1366×900) and on a phone (390×844), for each
role (issue 16): no overlapping controls, no "[invalid name]" label, no unstyled form control,
no text under 10 px, no page wider than the screen, the staff bar on one line on a desk and a
working menu on a phone, chart labels of at least 10 px, and axe-core clean on every page.

With SCREENSHOTS=1 the case list and a case page are written to docs/screenshots/ at both sizes.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from casework.models import Case, Topic
from casework.services import constituent_create
from letters.models import Letter
from mpoffice import demo as mpoffice_demo
from mpoffice.models import Office, Ward
from tests.browser.journey import Journey
from tests.letters.factories import make_case, make_letter, make_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]

DESK, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
SMALLEST_TEXT_PX = 10
# One line of Bootstrap's dark navbar: 56 px (40 px links and 8 px padding top and bottom).
ONE_LINE_NAV_PX = 64

# Visible form controls and buttons of the page's main part whose boxes overlap another's.
OVERLAPS_JS = """
() => {
  const boxes = [...document.querySelectorAll('main input, main select, main textarea, main button, main label')]
    .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
    .map(e => ({e, r: e.getBoundingClientRect()}))
    .filter(({r}) => r.width > 0 && r.height > 0);
  const name = e => `${e.tagName.toLowerCase()}#${e.id || e.name || ''} "${(e.innerText || '').trim().slice(0, 30)}"`;
  const clash = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.e.contains(b.e) || b.e.contains(a.e)) continue;  // a control inside its label
    const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
    const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
    if (w > 2 && h > 2) clash.push(`${name(a.e)} overlaps ${name(b.e)}`);
  }
  return clash;
}
"""

# Form controls drawn without Bootstrap's classes (the look of a 1995 form).
UNSTYLED_JS = """
() => [...document.querySelectorAll('main select, main textarea, main input')]
  .filter(e => e.type !== 'hidden' && e.type !== 'submit' && e.offsetParent !== null)
  .filter(e => {
    const c = e.classList;
    if (e.tagName === 'SELECT') return !(c.contains('form-select'));
    if (e.type === 'checkbox' || e.type === 'radio') return !c.contains('form-check-input');
    if (e.type === 'file') return !c.contains('form-control');
    return !c.contains('form-control');
  })
  .map(e => `${e.tagName.toLowerCase()}[name=${e.name}]`)
"""

# Visible text smaller than the smallest readable size.
SMALL_TEXT_JS = """
(limit) => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || el.offsetParent === null) continue;
    if (el.closest('.visually-hidden, .skip-link')) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < limit) small.push(`${size}px: ${node.textContent.trim().slice(0, 40)}`);
  }
  return small;
}
"""


@pytest.fixture
def office_day() -> dict:
    """The Milton Keynes South office and its people (the demo loader), with cases in three
    wards and two topics, one with a draft letter about it."""
    mpoffice_demo.load(log=lambda _message: None)
    office = Office.objects.get(reference_prefix="MKS")
    wards = list(Ward.objects.for_office(office).order_by("name")[:3])
    crime = Topic.objects.create(office=office, name="Crime & policing")
    knife = Topic.objects.create(office=office, name="Knife crime", parent=crime)
    housing = Topic.objects.create(office=office, name="Housing")
    people = [
        constituent_create(
            office=office,
            by=None,
            title=title,
            first_name=first,
            last_name=last,
            address_line1=f"{n + 4} Larkspur Grove",
            town="Milton Keynes",
            email=f"{first.lower()}.{last.lower()}@example.org",
            phone=f"07700 900{n:03d}",
            consent_to_contact=True,
        )
        for n, (title, first, last) in enumerate(
            [("Ms", "Amelia", "Oakhanger"), ("Mr", "Kwame", "Brindley"), ("Dr", "Priya", "Saltmarsh")]
        )
    ]
    for person, ward in zip(people, wards, strict=True):
        type(person).objects.filter(pk=person.pk).update(ward=ward)
    cases = [
        make_case(office, constituents=[people[0]], summary="Worried about knife crime near the school", topic=knife),
        make_case(
            office, constituents=[people[1]], summary="Damp and mould not repaired by the landlord", topic=housing
        ),
        make_case(office, constituents=[people[2]], summary="Motorbikes on the redways at night", topic=knife),
    ]
    Case.objects.filter(pk=cases[1].pk).update(review_by=timezone.localdate() - timedelta(days=3))
    letter = make_letter(
        office, cases=[cases[0]], post=make_post(office), subject="Knife crime near the school in Fishermead"
    )
    return {"office": office, "case": cases[0], "letter": letter}


def _assert_page_is_usable(page: Page, label: str) -> None:
    page.wait_for_load_state()
    assert "[invalid name]" not in page.inner_text("body"), f"{label}: a label reads [invalid name]"
    overlaps = page.evaluate(OVERLAPS_JS)
    assert not overlaps, f"{label}: overlapping controls: {overlaps[:5]}"
    unstyled = page.evaluate(UNSTYLED_JS)
    assert not unstyled, f"{label}: unstyled form controls: {unstyled}"
    small = page.evaluate(SMALL_TEXT_JS, SMALLEST_TEXT_PX)
    assert not small, f"{label}: text under {SMALLEST_TEXT_PX} px: {small[:5]}"
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{label}: the page is {width[0]} px wide on a {width[1]} px screen"


def _chart_label_px(page: Page) -> list[tuple[str, float]]:
    """The on-screen size of each chart's labels: the SVG's own label font size, scaled by how
    wide the image is drawn against the width the SVG was drawn for."""
    sizes = []
    for chart in page.locator("figure.chart img").all():
        chart.scroll_into_view_if_needed()
        expect(chart).to_be_visible()
        src = chart.get_attribute("src")
        svg = page.request.get(src).text()
        drawn_for = float(re.search(r'<svg[^>]*\swidth="([\d.]+)"', svg).group(1))
        fonts = [
            float(size) for size in re.findall(r"\.(?:axis|guides) [^{]*text[^{]*\{[^}]*font-size:\s*([\d.]+)px", svg)
        ]
        fonts = fonts or [float(size) for size in re.findall(r"font-size:\s*([\d.]+)px", svg)]
        shown = chart.evaluate("img => img.getBoundingClientRect().width")
        sizes.append((src, min(fonts) * shown / drawn_for))
    return sizes


def _nav_is_one_line(page: Page) -> None:
    height = page.locator("nav.navbar").evaluate("nav => nav.getBoundingClientRect().height")
    assert height <= ONE_LINE_NAV_PX, f"the navigation bar is {height} px high: it wraps"


def _phone_menu_works(page: Page) -> None:
    toggler = page.get_by_role("button", name="Show navigation")
    expect(toggler).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    toggler.click()
    menu = page.locator("#main-nav")
    expect(menu).to_have_class(re.compile(r"(^|\s)show(\s|$)"))  # opened, its animation over
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("link", name="Letters", exact=True)).to_be_visible()
    assert menu.evaluate("m => m.getBoundingClientRect().bottom") <= PHONE["height"], "the menu runs off the screen"
    toggler.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()


@pytest.mark.parametrize("username", ["mks-caseworker", "mks-staff", "mks-mp"])
def test_every_daily_page_is_usable_on_a_desk_and_on_a_phone(
    page: Page, axe_check, office_day: dict, username: str
) -> None:
    j = Journey(page, axe_check)
    case, letter = office_day["case"], office_day["letter"]
    writer = username != "mks-mp"
    pages = [("the case list", "/cases/"), ("a case page", case.get_absolute_url())]
    pages += [("the letter", letter.get_absolute_url())]
    if writer:
        pages += [("a new constituent", "/constituents/new/"), ("a new case", "/cases/new/")]
        pages += [("a new letter", f"/letters/new/?case={case.reference}&to={Letter.RecipientKind.CONSTITUENT}")]
    if username != "mks-caseworker":
        pages += [("the dashboard", "/dashboard/")]
    if username == "mks-staff":
        pages += [("a new bulk reply", "/letters/bulk/new/")]

    page.set_viewport_size(DESK)
    with j.step(f"{username} signs in"):
        j.sign_in(username)
        j.check(f"the home page ({username})")
    for size_name, size in (("desk", DESK), ("phone", PHONE)):
        page.set_viewport_size(size)
        for label, url in pages:
            with j.step(f"{label} on a {size_name}"):
                page.goto(url)
                j.check(f"{label} ({size_name}, {username})")
                _assert_page_is_usable(page, f"{label} ({size_name}, {username})")
                if size_name == "desk":
                    _nav_is_one_line(page)
                if url == "/dashboard/":
                    for src, px in _chart_label_px(page):
                        assert px >= SMALLEST_TEXT_PX, f"{src}: chart labels are {px:.1f} px on a {size_name}"
                if username == "mks-caseworker" and url == "/cases/":
                    j.shot(f"case-list-{size_name}")
                if username == "mks-caseworker" and url == case.get_absolute_url():
                    j.shot(f"case-page-{size_name}")
        if size_name == "phone":
            with j.step("the phone menu opens and closes"):
                page.goto("/cases/")
                _phone_menu_works(page)
    j.assert_every_page_checked()


def test_case_page_leads_to_a_letter_about_the_case(page: Page, axe_check, office_day: dict) -> None:
    """From a case to its letter in one click, the case and recipient filled in."""
    j = Journey(page, axe_check)
    case = office_day["case"]
    page.set_viewport_size(DESK)
    j.sign_in("mks-caseworker")
    page.goto(case.get_absolute_url())
    j.check("the case page")
    letters = page.get_by_role("region", name="Letters")
    expect(letters).to_contain_text(office_day["letter"].reference)
    page.get_by_role("link", name="Write a letter").click()
    j.check("the new letter form")
    expect(page.get_by_label(re.compile(r"^\s*About cases"))).to_have_value(case.reference)
    expect(page.get_by_label("The constituent of the linked case")).to_be_checked()
