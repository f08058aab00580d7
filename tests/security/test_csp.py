"""A Content Security Policy with no 'unsafe-inline' at all: no page carries a <style> element
or a style attribute, and the charts are SVG images of their own, office-scoped and
role-checked like the pages that show them (the browser side is tests/browser/test_csp.py)."""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests
from casework.models import Case, Topic
from mpoffice.models import Role
from tests.campaigns.factories import CampaignFactory
from tests.casework.factories import CaseFactory, ConstituentFactory
from tests.isolation import BUILDERS, EXEMPT_NAMESPACES
from tests.mpoffice.factories import MembershipFactory, OfficeFactory, WardFactory

for module in pkgutil.walk_packages([str(Path(tests.__file__).parent)], prefix="tests."):
    if module.name.endswith(".builders"):
        importlib.import_module(module.name)


def _directives(header: str) -> dict[str, list[str]]:
    parts = [part.strip().split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def _pages() -> dict[str, URLPattern]:
    def walk(entries, namespace=""):
        for entry in entries:
            if isinstance(entry, URLResolver):
                if entry.namespace not in EXEMPT_NAMESPACES:
                    yield from walk(
                        entry.url_patterns, f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                    )
            elif isinstance(entry, URLPattern) and entry.name:
                yield f"{namespace}{entry.name}", entry

    return dict(walk(get_resolver().url_patterns))


@pytest.fixture
def charted_office(office):
    """Cases with topics and wards, and a campaign that gathers them, so that charts have bars."""
    crime = Topic.objects.create(office=office, name="Crime & policing")
    campaign = CampaignFactory(office=office, name="Knife crime")
    for ward_name in ("Bletchley East", "Oldbrook"):
        ward = WardFactory(office=office, name=ward_name)
        person = ConstituentFactory(office=office, ward=ward)
        case = CaseFactory(office=office, constituents=[person], topic=crime, status=Case.Status.OPEN)
        campaign.campaign_cases.create(office=office, case=case)
    return office, campaign


def test_the_policy_allows_no_inline_style_or_script_anywhere(staff, client_for, client):
    for response in (client.get(reverse("login")), client_for(staff).get(reverse("home"))):
        policy = _directives(response["Content-Security-Policy"])
        assert policy["style-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_no_page_carries_a_style_element_or_attribute(db, client_for):
    """Every page of the project that a member can open, filled by the isolation builders."""
    seen = 0
    for name, pattern in sorted(_pages().items()):
        build = BUILDERS.get(name)
        if pattern.pattern.regex.groups and build is None:
            continue  # the isolation sweep fails on such a pattern
        # A fresh office per page: the builders are made to be called once per office.
        office = OfficeFactory()
        url = reverse(name, kwargs=build(office) if build else None)
        for role in (Role.STAFF, Role.MP):  # the MP only where staff may not look
            client = client_for(MembershipFactory(office=office, role=role))
            client.raise_request_exception = False  # other tests own errors; here only markup counts
            response = client.get(url)
            if response.status_code == 403:
                continue
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                seen += 1
                html = response.content.decode()
                assert not re.search(r"<style\b", html, re.IGNORECASE), f"a <style> element on {url}"
                assert not re.search(r"\sstyle\s*=", html, re.IGNORECASE), f"a style attribute on {url}"
            break
    assert seen > 40  # the walk really opened the pages


def test_the_dashboard_shows_each_chart_as_an_image_with_alt_text_and_its_table(charted_office, mp, client_for):
    html = client_for(mp).get(reverse("home")).content.decode()

    for chart in ("trend", "topics", "wards"):
        src = reverse(f"dashboard-chart-{chart}")
        assert re.search(rf'<img src="{re.escape(src)}" alt="Bar chart of [^"]+"', html), chart
    assert "<svg" not in html
    assert "<caption" in html and "Bletchley East" in html  # the table of the same numbers


@pytest.mark.parametrize("chart", ["trend", "topics", "wards"])
def test_a_dashboard_chart_is_an_svg_image_of_the_members_office(chart, charted_office, other_office, mp, client_for):
    stranger = MembershipFactory(office=other_office, role=Role.MP)
    url = reverse(f"dashboard-chart-{chart}")

    response = client_for(mp).get(url)
    theirs = client_for(stranger).get(url).content.decode()

    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    assert svg.startswith("<svg") and "<script" not in svg
    assert response["Cache-Control"] == "private, no-store"
    assert _directives(response["Content-Security-Policy"])["default-src"] == ["'none'"]
    if chart == "wards":
        assert "Bletchley East" in svg and "Bletchley East" not in theirs  # each office its own numbers


def test_dashboard_charts_are_for_staff_and_the_mp_only(charted_office, caseworker, staff, client_for):
    for chart in ("trend", "topics", "wards"):
        url = reverse(f"dashboard-chart-{chart}")
        assert client_for(caseworker).get(url).status_code == 403
        assert client_for(staff).get(url).status_code == 200
        assert client_for(staff).post(url).status_code == 405


def test_the_briefing_links_its_charts_and_the_pdf_embeds_them(charted_office, caseworker, client_for):
    _, campaign = charted_office
    client = client_for(caseworker)

    html = client.get(reverse("campaign-briefing", args=[campaign.pk])).content.decode()
    for chart in ("trend", "wards"):
        url = reverse(f"campaign-briefing-chart-{chart}", args=[campaign.pk])
        assert f'<img src="{url}" alt="Bar chart of the cases about Knife crime' in html
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
        assert client.post(url).status_code == 405
    assert "Oldbrook" in client.get(reverse("campaign-briefing-chart-wards", args=[campaign.pk])).content.decode()

    pdf = client.get(reverse("campaign-briefing-pdf", args=[campaign.pk]))
    assert pdf.status_code == 200 and pdf.content.count(b"/Subtype /Image") + pdf.content.count(b"/Subtype /Form") >= 2


def test_briefing_charts_of_another_office_are_not_found(charted_office, outsider, client_for):
    _, campaign = charted_office
    for chart in ("trend", "wards"):
        assert (
            client_for(outsider).get(reverse(f"campaign-briefing-chart-{chart}", args=[campaign.pk])).status_code == 404
        )
