"""The case page's own forms in Chromium, as a caseworker uses them every day: change the
status, assign the case, add a note, and close it (first forgetting the outcome). Each change
must be saved and visible on the timeline; every page seen is checked with axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from casework.models import Case
from mpoffice import demo as mpoffice_demo
from mpoffice.models import Office
from tests.browser.journey import Journey
from tests.browser.test_reference_story import field, flash, heading
from tests.letters.factories import make_case, make_constituent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]


@pytest.fixture
def open_case() -> Case:
    """The Milton Keynes South office and its people (the demo loader), with one new case."""
    mpoffice_demo.load(log=lambda _message: None)
    office = Office.objects.get(reference_prefix="MKS")
    resident = make_constituent(office, title="Mr", first_name="Tomasz", last_name="Fictional", postcode="MK6 3LP")
    return make_case(office, constituents=[resident], summary="Damp and mould in a housing association flat")


def test_caseworker_changes_status_assigns_notes_and_closes_on_the_case_page(
    page: Page, axe_check, open_case: Case
) -> None:
    j = Journey(page, axe_check)
    reference = open_case.reference
    timeline = page.locator("ol.timeline")

    with j.step("the caseworker opens the case"):
        j.sign_in("mks-caseworker")
        j.check("the caseworker's home page")
        page.goto(open_case.get_absolute_url())
        heading(page, f"{reference}: Damp and mould in a housing association flat")
        j.check("the case page")

    with j.step("changes the status"):
        field(page, "Status").select_option(label="Awaiting organisation")
        field(page, "Comment").fill("Wrote to the housing association.")
        page.get_by_role("button", name="Change status").click()
        flash(page, f"{reference} is now awaiting organisation.")
        expect(page).to_have_url(re.compile(rf"{open_case.get_absolute_url()}$"))
        expect(timeline).to_contain_text("Status: New → Awaiting organisation")
        expect(timeline).to_contain_text("Wrote to the housing association.")

    with j.step("assigns the case to the office manager"):
        field(page, "Assignee").select_option(label="Robin Demo (office manager, MKS)")
        page.get_by_role("button", name="Assign").click()
        flash(page, "Assignment saved.")
        expect(timeline).to_contain_text("Assigned to Robin Demo (office manager, MKS)")
        expect(page.get_by_role("definition").filter(has_text="Robin Demo")).to_have_text(
            "Robin Demo (office manager, MKS)"
        )

    with j.step("adds a note"):
        field(page, "Note").fill("The association will send a surveyor on Monday.")
        page.get_by_role("button", name="Add note").click()
        flash(page, "Note added.")
        expect(timeline).to_contain_text("The association will send a surveyor on Monday.")
        j.check("the case page after its changes")

    with j.step("tries to close the case without an outcome"):
        field(page, "Status").select_option(label="Closed")
        field(page, "Comment").fill("Mould treated and the vent repaired.")
        page.get_by_role("button", name="Change status").click()
        outcome = field(page, "Outcome")
        expect(outcome).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#id_outcome_error")).to_have_text("Choose the outcome to close the case, e.g. Resolved.")
        # Nothing typed is lost, and nothing was saved.
        expect(field(page, "Status")).to_have_value("closed")
        expect(field(page, "Comment")).to_have_value("Mould treated and the vent repaired.")
        expect(timeline).not_to_contain_text("→ Closed")
        j.check("the case page with the outcome missing")

    with j.step("closes it with an outcome"):
        outcome.select_option(label="Resolved")
        page.get_by_role("button", name="Change status").click()
        flash(page, f"{reference} is now closed.")
        expect(timeline).to_contain_text("Status: Awaiting organisation → Closed (Resolved)")
        expect(timeline).to_contain_text("Mould treated and the vent repaired.")
        expect(page.get_by_text(re.compile(r"· Resolved ·"))).to_be_visible()

    j.assert_every_page_checked()
    open_case.refresh_from_db()
    assert (open_case.status, open_case.outcome, open_case.assignee.username) == ("closed", "resolved", "mks-staff")
    assert open_case.timeline.filter(kind="note").count() == 1
    print(j.report())
