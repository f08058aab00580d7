"""The reference story (../shared/STORY.md), end to end in Chromium, as the people who live it.

Set-up creates only what an office has on its first day: the two Milton Keynes offices with
their people (the mpoffice demo loader), their topics and their postcode-to-ward tables.
Everything after that is done through the pages, by the caseworker, the office manager and
the two MPs in turn; each page they see is checked with axe-core.

``make screenshots`` runs this module with SCREENSHOTS=1 to refresh docs/screenshots/.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from casework.models import Topic
from geography import demo as geography_demo
from letters.pdf import uk_date
from letters.workdays import add_working_days
from mpoffice import demo as mpoffice_demo
from mpoffice.formats import day
from mpoffice.models import Office
from tests.browser.journey import DATA, Journey
from tests.celery_helpers import CeleryProcesses, celery_processes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]

TOPICS = {
    "Crime & policing": ["Knife crime", "Anti-social behaviour", "Policing"],
    "Housing": ["Repairs", "Homelessness"],
    "Transport": ["Roads"],
}
CAMPAIGN = "Knife crime in Milton Keynes"
SURVEY = "Build Back Better in Milton Keynes South"
CRIME_OPTION = "Tackling crime and anti-social behaviour"
# Letter texts staff type into the template form; FINDING is where they paste the survey finding.
JOINT_LETTER = (DATA / "joint_letter.txt").read_text(encoding="utf-8").strip()
COVERING_LETTER = (DATA / "covering_letter.txt").read_text(encoding="utf-8").strip()
BULK_REPLY = (DATA / "bulk_reply.txt").read_text(encoding="utf-8").strip()


@pytest.fixture
def two_offices():
    """Day one of both offices: people, topics and the postcode table, and nothing else."""
    mpoffice_demo.load(log=lambda _message: None)
    geography_demo.load(log=lambda _message: None)  # the directory extract: each office's postcode table
    for office in Office.objects.all():
        for parent_name, children in TOPICS.items():
            parent = Topic.objects.create(office=office, name=parent_name)
            for name in children:
                Topic.objects.create(office=office, parent=parent, name=name)


@pytest.fixture
def journey(page: Page, axe_check, two_offices) -> Journey:
    page.set_viewport_size({"width": 1280, "height": 900})
    return Journey(page, axe_check)


@pytest.fixture
def real_worker(transactional_db, live_server, tmp_path) -> Iterator[CeleryProcesses]:
    """A real Celery worker process on the test database, its own queue and the real broker
    (Redis in CI). Started now without waiting, so that its start-up overlaps the story's first
    steps; the steps that need it wait for it and point the app at it (``app_publishes_here``).
    Until then tasks run eagerly in the live server, as in every other test."""
    env = {"MEDIA_ROOT": str(settings.MEDIA_ROOT), "EMAIL_URL": f"filemail://{tmp_path / 'mail'}"}
    with celery_processes(tmp_path=tmp_path, worker=False, extra_env=env) as celery:
        celery.start_worker(wait=False)
        yield celery


def nav(page: Page, menu: str, item: str | None = None) -> None:
    """Use the main navigation bar, as a person would."""
    main_nav = page.get_by_role("navigation", name="Main")
    if item is None:
        main_nav.get_by_role("link", name=menu, exact=True).click()
    else:
        main_nav.get_by_role("button", name=menu).or_(main_nav.get_by_role("link", name=menu, exact=True)).click()
        main_nav.get_by_role("link", name=item, exact=True).click()


def field(page: Page, label: str):
    """The input with exactly this label (crispy marks required ones with an asterisk)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def heading(page: Page, text: str | re.Pattern) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def flash(page: Page, text: str | re.Pattern) -> None:
    expect(page.get_by_role("status").filter(has_text=text).first).to_be_visible()


# --- the people's journeys ---------------------------------------------------------------------


def staff_creates_the_campaign(j: Journey) -> None:
    page = j.page
    j.sign_in("mks-staff")
    heading(page, "Milton Keynes South: office overview")
    j.check("the office manager's home page")
    nav(page, "Campaigns")
    heading(page, "Campaigns")
    j.check("the campaign list")
    page.get_by_role("link", name="New campaign").click()
    heading(page, "New campaign")
    j.check("the new campaign form")
    field(page, "Name").fill(CAMPAIGN)
    field(page, "Description").fill(
        "Knife crime in Milton Keynes has risen by 90% over two years. Constituents' concerns, the facts, "
        "the meetings with the Police and Crime Commissioner and the joint letter to the Home Secretary."
    )
    page.get_by_role("button", name="Save campaign").click()
    flash(page, f"Campaign “{CAMPAIGN}” created.")
    heading(page, CAMPAIGN)
    page.get_by_text("Add a key fact").click()
    field(page, "Statement").fill("Knife crime in Milton Keynes rose by 90% over two years.")
    field(page, "Source").fill("Thames Valley Police figures")
    field(page, "Date of the source").fill("2021-04-20")
    page.get_by_role("button", name="Add key fact").click()
    flash(page, "Key fact added.")
    page.get_by_text("Record a meeting").click()
    field(page, "Held on").fill("2021-04-16")
    field(page, "Place").fill("Netherfield")
    field(page, "Attendees").fill(
        "Iain Stewart MP\nMatthew Barber, Police and Crime Commissioner for Thames Valley\nLocal officers"
    )
    field(page, "Notes").fill("Violent crime in Milton Keynes South, its causes and possible answers.")
    page.get_by_role("button", name="Record meeting").click()
    flash(page, "Meeting recorded.")
    j.check("the campaign page")


def caseworker_takes_a_phone_call(j: Journey) -> str:
    """A constituent rings about knife crime: new constituent, a case, the call on its timeline."""
    page = j.page
    j.sign_in("mks-caseworker")
    heading(page, "Milton Keynes South: your casework")
    j.check("the caseworker's home page")
    nav(page, "Casework", "Constituents")
    heading(page, "Constituents")
    field(page, "Name, postcode, e-mail or phone").fill("Brindley")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No constituents found.")).to_be_visible()
    j.check("the constituent list")
    page.get_by_role("link", name="New constituent").click()
    heading(page, "New constituent")
    j.check("the new constituent form")
    field(page, "Title").fill("Mrs")
    field(page, "First name").fill("Grace")
    field(page, "Last name").fill("Brindley")
    field(page, "Address line 1").fill("7 Denbigh Road")
    field(page, "Town").fill("Bletchley")
    field(page, "Postcode").fill("mk3 6eb")
    field(page, "Phone").fill("01908 123456")
    field(page, "Preferred channel").select_option(label="Phone")
    # Nothing is ticked until the person says so: Mrs Brindley agrees to be contacted by post.
    page.get_by_label("Consent to contact").check()
    page.get_by_label("Contact by post").check()
    page.get_by_role("button", name="Save constituent").click()
    flash(page, "Saved Mrs Grace Brindley.")
    heading(page, "Mrs Grace Brindley")
    expect(page.get_by_text("Bletchley Park")).to_be_visible()  # the ward, from the postcode table
    j.check("the constituent page")

    page.get_by_role("link", name="Open a case").click()
    heading(page, "New case")
    expect(page.get_by_label(re.compile("Mrs Grace Brindley"))).to_be_checked()
    j.check("the new case form")
    field(page, "Summary").fill("Knife crime: teenagers carrying knives near Bletchley station")
    field(page, "Description").fill(
        "Mrs Brindley's grandson was threatened with a knife on Denbigh Road. She asks what Mr Stewart is doing "
        "about knife crime after the stabbing at MK College."
    )
    field(page, "Topic").select_option(label="Crime & policing › Knife crime")
    field(page, "Tags").fill("knife crime, Bletchley")
    page.get_by_role("button", name="Save case").click()
    flash(page, re.compile(r"Opened case MKS-\d{4}-\d{5}\."))
    reference = page.get_by_role("heading", level=1).inner_text().split(":")[0]

    page.get_by_role("link", name="Log a call").click()
    heading(page, re.compile("Log a call"))
    j.check("the log-a-call form")
    expect(field(page, "Channel")).to_have_value("phone")
    field(page, "Summary").fill("Rang about a knife shown to her grandson near Bletchley station")
    field(page, "Full text").fill(
        "Mrs Brindley rang at 10:05. Her grandson (15) was threatened near the station on Friday evening; "
        "reported to Thames Valley Police, crime number given. She wants more patrols and a reply from the MP."
    )
    page.get_by_role("button", name="Log contact").click()
    flash(page, "Contact logged.")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("Phone, from the constituent (Mrs Grace Brindley): Rang about a knife shown")
    expect(timeline).to_contain_text(f"Case {reference} opened")
    j.check("the case page with its timeline")
    j.shot("case-timeline")
    return reference


def caseworker_adds_an_email(j: Journey) -> str:
    """An e-mail saved from the office mailbox (.eml) is uploaded to the inbox and opens a case."""
    page = j.page
    page.goto("/inbox/")
    heading(page, "Inbox")
    j.check("the inbox")
    page.get_by_role("link", name=re.compile("Add an e-mail")).click()
    heading(page, "Add an e-mail")
    j.check("the add-an-e-mail form")
    field(page, "E-mail file (.eml)").set_input_files(DATA / "asb_fishermead.eml")
    page.get_by_role("button", name="Add the message").click()
    flash(page, "The message is in the inbox, waiting for triage.")
    heading(page, "Knife crime and anti-social behaviour near Fishermead underpasses")
    j.check("an inbound message")
    field(page, "Topic").select_option(label="Crime & policing › Anti-social behaviour")
    page.get_by_role("button", name="Open a case").click()
    flash(page, re.compile(r"Case MKS-\d{4}-\d{5} was opened from the message\."))
    reference = page.get_by_role("heading", level=1).inner_text().split(":")[0]
    expect(page.locator("ol.timeline")).to_contain_text("Knife crime and anti-social behaviour near Fishermead")
    return reference


def caseworker_records_a_surgery_visit(j: Journey) -> str:
    page = j.page
    nav(page, "Casework", "Constituents")
    page.get_by_role("link", name="New constituent").click()
    field(page, "Title").fill("Mr")
    field(page, "First name").fill("Tomasz")
    field(page, "Last name").fill("Kowalczyk")
    field(page, "Address line 1").fill("21 Tattenhoe Lane")
    field(page, "Town").fill("Milton Keynes")
    field(page, "Postcode").fill("MK4 3GN")
    field(page, "E-mail").fill("tomasz.kowalczyk@example.org")
    page.get_by_label("Consent to contact").check()
    page.get_by_label("Contact by e-mail").check()
    page.get_by_label("Contact by post").check()
    page.get_by_role("button", name="Save constituent").click()
    flash(page, "Saved Mr Tomasz Kowalczyk.")
    page.get_by_role("link", name="Open a case").click()
    field(page, "Summary").fill("Anti-social behaviour and knife crime fears at Tattenhoe Park")
    field(page, "Topic").select_option(label="Crime & policing › Anti-social behaviour")
    page.get_by_role("button", name="Save case").click()
    flash(page, re.compile(r"Opened case MKS-\d{4}-\d{5}\."))
    reference = page.get_by_role("heading", level=1).inner_text().split(":")[0]
    page.get_by_role("link", name="Log a contact").click()
    heading(page, re.compile("Log a contact"))
    field(page, "Channel").select_option(label="Surgery")
    field(page, "Summary").fill("Came to the Saturday surgery about gangs and knives at Tattenhoe Park")
    field(page, "Full text").fill(
        "Runs the residents' association. Young people carrying knives in the park in the evenings; "
        "asks the MP to press the Home Office and Thames Valley Police for a long-term answer."
    )
    page.get_by_role("button", name="Log contact").click()
    flash(page, "Contact logged.")
    expect(page.locator("ol.timeline")).to_contain_text("Surgery, from the constituent (Mr Tomasz Kowalczyk)")
    return reference


def caseworker_finds_and_links_the_cases(j: Journey, references: list[str]) -> None:
    page = j.page
    page.goto("/search/")
    heading(page, "Search cases and contacts")
    field(page, "Words to find").fill("knife")
    page.get_by_role("button", name="Search").click()
    for reference in references[::2]:  # the phone call's and the surgery's cases say "knife" in the summary
        expect(page.get_by_role("link", name=reference)).to_be_visible()
    j.check("the search results")
    field(page, "Contacts (e-mails, calls, letters)").check()
    field(page, "Words to find").fill("underpass")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=references[1])).to_be_visible()

    page.goto("/search/constituents/?q=MK4")
    j.check("constituent search")
    expect(page.get_by_role("link", name="Mr Tomasz Kowalczyk")).to_be_visible()

    nav(page, "Campaigns")
    page.get_by_role("link", name=CAMPAIGN).click()
    heading(page, CAMPAIGN)
    for reference in references:
        field(page, "Add a case by reference").fill(reference)
        page.get_by_role("button", name="Add case").click()
        flash(page, f"{reference} is now part of “{CAMPAIGN}”.")
    expect(page.get_by_role("heading", name="Cases raising it (3)")).to_be_visible()
    j.check("the campaign page with its cases")


def staff_imports_the_survey(j: Journey) -> str:
    """The Google Forms export as downloaded, its columns recognised; 39% (36–42%) is cited."""
    page = j.page
    j.sign_in("mks-staff")
    nav(page, "Surveys")
    heading(page, "Surveys")
    j.check("the survey list")
    page.get_by_role("link", name="New survey").click()
    heading(page, "New survey")
    j.check("the new survey form")
    field(page, "Title").fill(SURVEY)
    field(page, "Description").fill("Iain Stewart's constituency survey on the priorities for recovery.")
    field(page, "Opened on").fill("2021-03-01")
    field(page, "Closed on").fill("2021-04-11")
    page.get_by_role("button", name="Save survey").click()
    flash(page, f"Survey “{SURVEY}” created. Now import its responses.")
    heading(page, f"Import responses to “{SURVEY}”")
    j.check("the survey import form")
    # The Google Forms export as downloaded: no respondent id, day-first timestamps with seconds.
    field(page, "Survey export (CSV or Excel .xlsx)").set_input_files(DATA / "build_back_better_mks.csv")
    page.get_by_role("button", name="Upload and choose columns").click()

    heading(page, "Choose what each column holds")
    expect(page.get_by_text("Recognised a Google Forms export")).to_contain_text("1,210 responses")
    expect(page.get_by_label("Timestamp", exact=True)).to_have_value("submitted_at")
    expect(page.get_by_label("What is your postcode?", exact=True)).to_have_value("postcode")
    priority = page.get_by_label(re.compile("^Which one thing should be the priority"))
    expect(priority).to_have_value("single")
    j.check("the column-mapping step")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("status").filter(has_text="Every row can be imported")).to_contain_text(
        "1,210 new responses"
    )
    j.check("the column-mapping step, checked")
    page.get_by_role("button", name=re.compile(r"Import 1,?210 responses")).click()
    flash(page, "Imported 1,210 responses.")
    heading(page, SURVEY)
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=CRIME_OPTION))
    expect(row.get_by_role("cell").nth(0)).to_have_text("472")
    expect(row.get_by_role("cell").nth(1)).to_have_text("39%")
    expect(row.get_by_role("cell").nth(2)).to_have_text("36–42%")
    j.check("the survey results")
    j.shot("survey-results")
    row.get_by_label(f"Campaign for “{CRIME_OPTION}”").select_option(label=CAMPAIGN)
    row.get_by_role("button", name="Save as finding").click()
    flash(page, re.compile(r"Saved to Knife crime in Milton Keynes: 39% of 1,210 respondents \(95% CI 36–42%\)"))
    heading(page, CAMPAIGN)
    finding = page.get_by_role("region", name="Survey findings").locator("blockquote").first
    return finding.evaluate("node => node.firstChild.textContent").strip()


def staff_drafts_the_joint_letter(j: Journey, finding: str, references: list[str]) -> str:
    """The Home Office in the address book, a template citing the finding, the draft, MK North invited."""
    page = j.page
    nav(page, "Letters")
    page.get_by_role("link", name="Organisations").click()
    heading(page, "Organisations")
    j.check("the address book")
    page.get_by_role("link", name="New organisation").click()
    j.check("the new organisation form")
    field(page, "Name").fill("Home Office")
    field(page, "Postal address").fill("2 Marsham Street\nLondon\nSW1P 4DF")
    field(page, "Email").fill("public.enquiries@homeoffice.example.org")
    expect(field(page, "Reply target (working days)")).to_have_value("20")
    page.get_by_role("button", name="Save").click()
    flash(page, "Home Office saved.")
    page.get_by_role("link", name="Add a post", exact=True).click()
    j.check("the new post form")
    field(page, "Title").fill("Home Secretary")
    field(page, "Salutation").fill("Dear Home Secretary")
    page.get_by_role("button", name="Save").click()
    flash(page, "Post added. Now add who holds it.")
    page.get_by_role("link", name="Add a post-holder").click()
    j.check("the new post-holder form")
    field(page, "Post").select_option(label="Home Secretary, Home Office")
    field(page, "Name").fill("Priti Patel")
    field(page, "Started on").fill("2019-07-24")
    page.get_by_role("button", name="Save").click()
    flash(page, "Post-holder added.")
    expect(page.get_by_text("Priti Patel: from 24 Jul 2019 (current)")).to_be_visible()
    j.check("an organisation with its posts")

    page.get_by_role("link", name="Templates").click()
    heading(page, "Letter templates")
    j.check("the template list")
    page.get_by_role("link", name="New template").click()
    j.check("the new template form")
    field(page, "Name").fill("Joint letter: knife crime in Milton Keynes")
    field(page, "Subject").fill("Knife crime in Milton Keynes")
    field(page, "Body").fill(JOINT_LETTER.replace("FINDING", finding))
    page.get_by_role("button", name="Save template").click()
    flash(page, "Template “Joint letter: knife crime in Milton Keynes” saved.")
    page.get_by_role("link", name="New template").click()
    field(page, "Name").fill("Covering letter: forwarding a reply")
    field(page, "Subject").fill("Knife crime: the Home Office's reply")
    field(page, "Body").fill(COVERING_LETTER)
    page.get_by_role("button", name="Save template").click()
    flash(page, "Template “Covering letter: forwarding a reply” saved.")

    page.get_by_role("link", name="Letters", exact=True).first.click()
    heading(page, "Letters")
    j.check("the letter list")
    page.get_by_role("link", name="New letter").click()
    heading(page, "New letter")
    j.check("the new letter form")
    field(page, "Template").select_option(label="Joint letter: knife crime in Milton Keynes")
    page.get_by_label(re.compile("A post-holder")).check()
    field(page, "Post").select_option(label="Home Secretary, Home Office")
    field(page, "About cases").fill(", ".join(references))
    field(page, "Campaign").select_option(label=CAMPAIGN)
    page.get_by_role("button", name="Save draft").click()
    flash(page, re.compile(r"Draft MKS-L-\d{4}-\d{4} saved\."))
    reference = page.get_by_role("heading", level=1).inner_text().split(":")[0]
    expect(page.locator(".letter-text")).to_contain_text(finding)
    expect(page.get_by_text("To: Home Secretary, Home Office")).to_be_visible()

    field(page, "Invite another MP to co-sign").select_option(label="Milton Keynes North")
    page.get_by_role("button", name="Invite").click()
    flash(page, "Ben Everitt MP will co-sign; their office now sees this letter.")
    page.get_by_role("button", name="Send to the MPs for approval").click()
    flash(page, "Sent to the MP for approval.")
    expect(page.get_by_text("Awaiting MP approval").first).to_be_visible()
    j.check("a joint letter awaiting approval")
    return reference


def staff_drafts_a_letter_of_his_own(j: Journey) -> str:
    """Iain Stewart also writes to the Home Secretary in his own right (STORY.md, 7)."""
    page = j.page
    nav(page, "Letters")
    page.get_by_role("link", name="New letter").click()
    field(page, "Subject").fill("Knife crime in Milton Keynes South")
    field(page, "Body").fill(
        "{{ salutation }},\n\nFurther to the joint letter from Ben Everitt and me, I write about Milton Keynes "
        "South in particular, where 39% of respondents to my survey said tackling crime and anti-social "
        "behaviour should be the local priority.\n\nI should be grateful for your reply."
    )
    page.get_by_label(re.compile("A post-holder")).check()
    field(page, "Post").select_option(label="Home Secretary, Home Office")
    field(page, "Campaign").select_option(label=CAMPAIGN)
    page.get_by_role("button", name="Save draft").click()
    flash(page, re.compile(r"Draft MKS-L-\d{4}-\d{4} saved\."))
    reference = page.get_by_role("heading", level=1).inner_text().split(":")[0]
    page.get_by_role("button", name="Send to the MP for approval").click()
    flash(page, "Sent to the MP for approval.")
    return reference


def mp_reads_and_approves(j: Journey, username: str, joint: str, own: str | None = None) -> None:
    page = j.page
    j.sign_in(username)
    waiting = page.get_by_role("region", name="Letters waiting for approval")
    expect(waiting.get_by_role("link", name=re.compile(joint))).to_be_visible()
    j.check("the MP's dashboard with letters to approve")
    if own is not None:
        # Iain Stewart sends his own letter back with a comment before approving the joint one.
        waiting.get_by_role("link", name=re.compile(own)).click()
        heading(page, re.compile(own))
        field(page, "What should change").fill(
            "Mention my meeting with the PCC and local officers in Netherfield, and ask her to visit."
        )
        page.get_by_role("button", name="Return with comments").click()
        flash(page, "Returned to the drafter with your comments.")
        expect(page.get_by_text("Returned with comments").first).to_be_visible()
        page.get_by_role("link", name="Home").click()
    waiting.get_by_role("link", name=re.compile(joint)).click()
    heading(page, re.compile(joint))
    j.check("a letter awaiting the MP's approval")
    if own is None:
        j.shot("letter-approval")  # Ben Everitt approving, in his office, a letter drafted in MK South
    page.get_by_role("button", name="Approve my signature").click()
    flash(page, re.compile("Approved. The office can now send it.|Your approval is recorded"))
    j.check("a letter the MP approved")


def staff_fixes_the_returned_letter(j: Journey, own: str) -> None:
    page = j.page
    j.sign_in("mks-staff")
    nav(page, "Letters")
    field(page, "Status").select_option(label="Returned with comments")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=own).click()
    expect(page.get_by_role("region", name="History")).to_contain_text("Mention my meeting with the PCC")
    page.get_by_role("link", name="Edit").click()
    j.check("the letter edit form")
    body = field(page, "Body")
    body.fill(
        body.input_value().replace(
            "\n\nI should be grateful",
            "\n\nI have met the Police and Crime Commissioner and local officers in Netherfield to discuss "
            "violent crime, its causes and possible answers. I invite you to visit Milton Keynes.\n\n"
            "I should be grateful",
        )
    )
    page.get_by_role("button", name="Save draft").click()
    flash(page, "Letter saved.")
    page.get_by_role("button", name="Send to the MP for approval").click()
    flash(page, "Sent to the MP for approval.")


def mp_approves_the_fixed_letter(j: Journey, own: str) -> None:
    page = j.page
    j.sign_in("mks-mp")
    page.get_by_role("region", name="Letters waiting for approval").get_by_role("link", name=re.compile(own)).click()
    expect(page.locator(".letter-text")).to_contain_text("in Netherfield")
    page.get_by_role("button", name="Approve my signature").click()
    flash(page, "Approved. The office can now send it.")


def staff_sends_and_publishes(j: Journey, joint: str) -> date:
    """Sent by post today: the reply is due 20 working days later. Then published as an open letter."""
    page = j.page
    j.sign_in("mks-staff")
    nav(page, "Letters")
    page.get_by_role("link", name=joint).click()
    page.get_by_role("link", name="Send", exact=True).click()
    heading(page, f"Send {joint}")
    j.check("the send form")
    page.get_by_label("Post", exact=True).check()
    page.get_by_role("button", name="Send", exact=True).click()
    flash(page, f"Letter {joint} marked as posted; it is on the timeline of each linked case.")
    today = timezone.localdate()
    due = add_working_days(today, 20)
    expect(page.get_by_text(f"Sent: {day(today)} by post; reply due {day(due)}")).to_be_visible()
    page.get_by_role("button", name="Mark as published (open letter)").click()
    flash(page, "Marked as published (an open letter).")
    expect(page.get_by_text(f"Published {day(today)}")).to_be_visible()
    j.check("a sent, published letter")

    # What the recipient sees, and the PDF that was sent (stored, never rendered again).
    page.get_by_role("link", name="Preview as the recipient will see it").click()
    expect(page.get_by_text("Priti Patel")).to_be_visible()
    expect(page.get_by_text("Dear Home Secretary,")).to_have_count(1)  # the body's own greeting is not repeated
    expect(page.get_by_text("Ben Everitt")).to_be_visible()
    j.check("the letter preview")
    page.set_viewport_size({"width": 860, "height": 1100})  # about the width of an A4 page
    j.shot("letter-preview")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.go_back()
    pdf = page.request.get(page.get_by_role("link", name="The PDF that was sent").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert text.count("Dear Home Secretary") == 1 and "Iain Stewart" in text and "Ben Everitt" in text
    return due


def reminders_chase_the_late_reply(j: Journey, joint: str, due: date) -> None:
    """The clock moves past the due date: the periodic sweep raises the reminder and drafts the chaser.

    The sweep is called directly, with its clock moved on: the periodic task beat runs
    (letters.tasks.reminders_replies_overdue) is this call with today's date and takes no
    date of its own; tests/reminders/test_reliability.py runs it through real workers."""
    from letters.reminders import sweep_replies_overdue  # the body of the periodic task

    sweep_replies_overdue(today=due + timedelta(days=1))
    page = j.page
    page.reload()
    page.get_by_role("link", name=re.compile("Notifications")).click()
    heading(page, re.compile("Notifications"))
    expect(page.get_by_text(f"Reply overdue: {joint} to Home Office", exact=True)).to_be_visible()
    j.check("the notifications")
    nav(page, "Letters")
    chaser = page.get_by_role("row").filter(has_text=f"Chasing our letter {joint}")
    expect(chaser).to_contain_text("Draft")
    chaser.get_by_role("link").first.click()
    expect(page.locator(".letter-text")).to_contain_text(f"A reply was due by {uk_date(due)}")
    j.check("the chaser draft")


def staff_logs_the_reply_and_forwards_it(j: Journey, joint: str) -> None:
    page = j.page
    nav(page, "Letters")
    page.get_by_role("link", name=joint).click()
    page.get_by_role("link", name="Record a reply").click()
    heading(page, f"Record a reply to {joint}")
    j.check("the record-a-reply form")
    field(page, "From").fill("Home Office, Direct Communications Unit")
    field(page, "Summary").fill(
        "The Home Office will work with Thames Valley Police and the Violence Reduction Unit on a long-term "
        "approach, and officials will contact both offices about a visit to Milton Keynes."
    )
    field(page, "Outcome").select_option(label="Agreed to act")
    field(page, "Document").set_input_files(DATA / "home_office_reply.pdf")
    page.get_by_role("button", name="Record reply").click()
    flash(page, "Reply recorded on the letter and on each linked case.")
    expect(page.get_by_text("Reply received").first).to_be_visible()
    j.check("a letter with its reply")
    page.get_by_role("link", name="Forward to the constituents").click()
    heading(page, "Forward the reply to the constituents")
    j.check("the forward-a-reply form")
    field(page, "Covering letter template").select_option(label="Covering letter: forwarding a reply")
    page.get_by_role("button", name="Draft the covering letters").click()
    flash(page, "3 covering letters drafted and sent to the MP for approval")


def staff_prepares_the_bulk_reply(j: Journey) -> str:
    """A template and a bulk reply to every constituent on the campaign; nothing is sent: it waits
    for the MP to approve the template and the number of letters. Returns the run's heading."""
    page = j.page
    nav(page, "Letters")
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("link", name="New template").click()
    field(page, "Name").fill("Bulk reply: what your MPs did about knife crime")
    field(page, "Subject").fill("Knife crime in Milton Keynes: what we have done")
    field(page, "Body").fill(BULK_REPLY)
    page.get_by_role("button", name="Save template").click()
    flash(page, "Template “Bulk reply: what your MPs did about knife crime” saved.")
    page.get_by_role("link", name="Bulk replies").click()
    heading(page, "Bulk replies")
    j.check("the bulk reply list")
    page.get_by_role("link", name="New bulk reply").click()
    heading(page, "New bulk reply")
    j.check("the new bulk reply form")
    field(page, "Letter template").select_option(label="Bulk reply: what your MPs did about knife crime")
    page.get_by_label("Every constituent on a campaign's cases").check()
    page.locator("select[name=campaign]").first.select_option(label=CAMPAIGN)
    page.get_by_role("button", name="Preview").click()
    heading(page, re.compile(r"Bulk reply #\d+"))
    flash(page, "Prepared and sent to the MP for approval.")
    expect(page.get_by_text("3 letters will be made")).to_be_visible()
    expect(page.get_by_text("Waiting for Iain Stewart MP to approve")).to_be_visible()
    expect(page.get_by_role("button", name="Send 3 letters")).to_have_count(0)
    j.check("the bulk reply preview")
    return page.get_by_role("heading", level=1).inner_text()


def mp_approves_the_bulk_reply(j: Journey, run: str) -> None:
    """Iain Stewart finds the bulk reply on his dashboard, reads the sample letter and approves."""
    page = j.page
    j.sign_in("mks-mp")
    waiting = page.get_by_role("region", name="Bulk replies waiting for approval")
    waiting.get_by_role("link", name=re.compile(f"^{re.escape(run)}:")).click()
    heading(page, run)
    expect(page.get_by_text("3 letters will be made")).to_be_visible()
    expect(page.get_by_text("Knife crime in Milton Keynes: what we have done").first).to_be_visible()
    j.check("a bulk reply awaiting the MP's approval")
    page.get_by_role("button", name="Approve 3 letters").click()
    flash(page, "Approved: the office can now send these 3 letters.")
    j.check("a bulk reply the MP approved")


def staff_runs_the_bulk_reply(j: Journey, celery: CeleryProcesses, run: str) -> None:
    """One letter to every constituent on the campaign, made by a real Celery worker process from
    the queue the live server's start button publishes to; the progress bar reaches 100%."""
    page = j.page
    j.sign_in("mks-staff")
    nav(page, "Letters")
    page.get_by_role("link", name="Bulk replies").click()
    page.get_by_role("link", name=run.replace("Bulk reply ", ""), exact=True).click()
    heading(page, run)
    expect(page.get_by_text("Approved. When you start it, the recipients are counted again")).to_be_visible()
    celery.wait_until_ready()
    with celery.app_publishes_here():
        page.get_by_role("button", name="Send 3 letters").click()
        flash(page, "Bulk reply started: 3 letters are being made.")
        progress = page.get_by_role("progressbar", name="Letters made")
        try:
            expect(progress).to_have_attribute("aria-valuenow", "100", timeout=30_000)
        except AssertionError as error:
            raise AssertionError(f"{error}\nThe worker's log:\n{celery.log()}") from error
    assert "Task letters.tasks.bulk_chunk[" in celery.log(), "the letters were made by the worker process"
    expect(page.locator("#bulk-progress")).to_contain_text("3 done, 0 failed, 0 left of 3")
    j.check("the bulk reply progress")
    j.shot("bulk-progress", full_page=False)


def mp_reads_the_dashboard_and_briefing(j: Journey, finding: str) -> None:
    page = j.page
    j.sign_in("mks-mp")
    heading(page, "Iain Stewart MP: Milton Keynes South")
    expect(page.get_by_text("Open cases").locator("xpath=following-sibling::p")).to_have_text("3")
    # The three covering letters wait for him; the survey headline is the finding staff saved.
    expect(page.get_by_role("region", name="Letters waiting for approval").get_by_role("listitem")).to_have_count(3)
    expect(page.get_by_role("region", name="Campaigns")).to_contain_text(finding)
    j.check("the MP's dashboard")
    j.shot("mp-dashboard", full_page=False)
    page.get_by_role("region", name="Campaigns").get_by_role("link", name=CAMPAIGN).click()
    heading(page, f"Briefing: {CAMPAIGN}")
    briefing = page.locator(".briefing")
    expect(briefing).to_contain_text("Knife crime in Milton Keynes rose by 90% over two years.")
    expect(briefing).to_contain_text(finding)
    expect(briefing).to_contain_text("Knife crime in Milton Keynes")  # the joint letter
    j.check("the campaign briefing")
    page.get_by_role("heading", name="Key facts").evaluate("heading => heading.scrollIntoView({block: 'start'})")
    j.shot("campaign-briefing", full_page=False)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as PDF").click()
    download = download_info.value
    assert download.suggested_filename == "briefing-knife-crime-in-milton-keynes.pdf"
    text = "".join(p.extract_text() for p in PdfReader(download.path()).pages)
    assert CAMPAIGN in text and "39%" in text


def mk_north_cannot_find_mk_south_constituents(j: Journey) -> None:
    """The MK North caseworker: MK South's people are not found by search, by URL or by autocomplete."""
    page = j.page
    j.sign_in("mks-caseworker")
    nav(page, "Casework", "Constituents")
    page.get_by_label("Name, postcode, e-mail or phone").fill("Brindley")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Mrs Grace Brindley").click()
    south_person = page.url
    page.go_back()

    j.sign_in("mkn-caseworker")
    heading(page, "Milton Keynes North: your casework")
    south_names = re.compile("Brindley|Kowalczyk|Okonkwo")
    for query in ("Brindley", "Kowalczyk", "Okonkwo", "MK3 6EB", "tomasz.kowalczyk@example.org", "01908 123456"):
        page.goto(f"/constituents/?q={quote(query)}")
        expect(page.get_by_text("No constituents found.")).to_be_visible()
        page.goto(f"/search/constituents/?q={quote(query)}")
        expect(page.get_by_text(re.compile(r"^\s*0 constituents"))).to_be_visible()
        expect(page.locator("main").get_by_role("link", name=south_names)).to_have_count(0)
    j.check("another office's constituent search")
    page.goto("/search/?q=knife")
    expect(page.locator("main")).not_to_contain_text("MKS-")
    j.check("another office's case search")
    response = page.goto(south_person)
    assert response.status == 404
    j.check("the not-found page")
    page.goto("/cases/new/")
    page.get_by_label("Find a constituent (name, postcode, e-mail or phone)").press_sequentially("Brindley", delay=20)
    expect(page.locator("#constituent-results")).to_contain_text("No constituent matches “Brindley”.")
    j.check("the new case form in another office")


def test_the_knife_crime_story_end_to_end(journey: Journey, real_worker: CeleryProcesses):
    j = journey
    with j.step("Staff, MK South: creates the knife-crime campaign"):
        staff_creates_the_campaign(j)
    with j.step("Caseworker, MK South: a phone call opens a case"):
        phone_case = caseworker_takes_a_phone_call(j)
    with j.step("Caseworker, MK South: an e-mail upload opens a case"):
        email_case = caseworker_adds_an_email(j)
    with j.step("Caseworker, MK South: a surgery visit opens a case"):
        surgery_case = caseworker_records_a_surgery_visit(j)
    with j.step("Caseworker, MK South: finds the cases by search and links them to the campaign"):
        caseworker_finds_and_links_the_cases(j, [phone_case, email_case, surgery_case])
    with j.step("Staff, MK South: imports the survey and saves the 39% finding"):
        finding = staff_imports_the_survey(j)
    with j.step("Staff, MK South: drafts the joint letter from a template and invites MK North"):
        joint = staff_drafts_the_joint_letter(j, finding, [phone_case, email_case, surgery_case])
    with j.step("Staff, MK South: drafts Iain Stewart's own letter"):
        own = staff_drafts_a_letter_of_his_own(j)
    with j.step("MP, MK South: returns his own letter with a comment, approves the joint one"):
        mp_reads_and_approves(j, "mks-mp", joint, own=own)
    with j.step("MP, MK North: approves the joint letter in his own office"):
        mp_reads_and_approves(j, "mkn-mp", joint)
    with j.step("Staff, MK South: fixes and resubmits the returned letter; the MP approves it"):
        staff_fixes_the_returned_letter(j, own)
        mp_approves_the_fixed_letter(j, own)
    with j.step("Staff, MK South: sends the joint letter and marks it published; the reply is due in 20 days"):
        due = staff_sends_and_publishes(j, joint)
    with j.step("Reminders: past the due date, the overdue reminder and the chaser draft appear"):
        reminders_chase_the_late_reply(j, joint, due)
    with j.step("Staff, MK South: logs the Home Office reply and forwards it to the constituents"):
        staff_logs_the_reply_and_forwards_it(j, joint)
    with j.step("Staff, MK South: prepares a bulk reply to every constituent on the campaign"):
        run = staff_prepares_the_bulk_reply(j)
    with j.step("MP, MK South: reads the sample letter and approves the bulk reply"):
        mp_approves_the_bulk_reply(j, run)
    with j.step("Staff, MK South: sends the approved bulk reply; a worker makes every letter"):
        staff_runs_the_bulk_reply(j, real_worker, run)
    with j.step("MP, MK South: reads the dashboard and the campaign briefing, downloads the PDF"):
        mp_reads_the_dashboard_and_briefing(j, finding)
    with j.step("Isolation: the MK North caseworker cannot find MK South's constituents"):
        mk_north_cannot_find_mk_south_constituents(j)
    print("\n" + j.report())
    j.assert_every_page_checked()


# --- keyboard only ------------------------------------------------------------------------------


def tab_to(page: Page, target, *, limit: int = 60) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


def test_a_caseworker_logs_a_call_and_opens_a_case_with_the_keyboard_only(journey: Journey):
    """Tab, Enter and Space (and typing into fields): no mouse anywhere after signing in."""
    page = journey.page
    journey.sign_in("mks-caseworker")
    heading(page, "Milton Keynes South: your casework")
    main_nav = page.get_by_role("navigation", name="Main")

    tab_to(page, main_nav.get_by_role("button", name="Casework"))
    page.keyboard.press("Enter")
    tab_to(page, main_nav.get_by_role("link", name="Constituents"))
    page.keyboard.press("Enter")
    heading(page, "Constituents")
    tab_to(page, page.get_by_role("link", name="New constituent"))
    page.keyboard.press("Enter")
    heading(page, "New constituent")
    for label, text in (("First name", "Aisha"), ("Last name", "Brindley"), ("Postcode", "MK6 2LP")):
        tab_to(page, field(page, label))
        page.keyboard.type(text)
    tab_to(page, page.get_by_role("button", name="Save constituent"))
    page.keyboard.press("Enter")
    flash(page, "Saved Aisha Brindley.")
    journey.check("the constituent page (keyboard)")

    tab_to(page, page.get_by_role("link", name="Open a case"))
    page.keyboard.press("Enter")
    heading(page, "New case")
    expect(page.get_by_label(re.compile("Aisha Brindley"))).to_be_checked()
    tab_to(page, field(page, "Summary"))
    page.keyboard.type("Knife crime: a knife found in the Fishermead underpass")
    tab_to(page, field(page, "Sensitive"))
    page.keyboard.press("Space")
    expect(field(page, "Sensitive")).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Save case"))
    page.keyboard.press("Space")
    flash(page, re.compile(r"Opened case MKS-\d{4}-\d{5}\."))

    tab_to(page, page.get_by_role("link", name="Log a call"))
    page.keyboard.press("Enter")
    heading(page, re.compile("Log a call"))
    tab_to(page, field(page, "Summary"))
    page.keyboard.type("Rang to report the knife; police informed")
    tab_to(page, page.get_by_role("button", name="Log contact"))
    page.keyboard.press("Enter")
    flash(page, "Contact logged.")
    expect(page.locator("ol.timeline")).to_contain_text("Phone, from the constituent (Aisha Brindley): Rang to report")
    journey.check("the case page (keyboard)")  # the story checks every other page on the way
