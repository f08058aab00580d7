"""The daily flow (issue 16), through the test client: nothing pre-ticked that the person has
not chosen, Ofcom's fictional phone numbers accepted and every number shown as people write it,
one date format and one date-and-time format, labelled filters, the case page's letters and
"Write a letter", the correspondent chosen by name, one sign-off per letter, and a quiet log."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from campaigns import demo as demo_story
from casework import demo as casework_demo
from casework.models import Case, Constituent
from letters.models import Letter
from mpoffice.logs import ClientErrorsWithoutTraceback
from tests.casework.factories import ConstituentFactory
from tests.letters.factories import make_case, make_constituent, make_letter
from tests.mpoffice.factories import WardFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
CHOSEN_BY_THE_PERSON = ("consent_to_contact", "contact_by_email", "contact_by_post", "contact_by_phone")
# Any numeric date such as 24/11/2026, or a 12-hour clock: the formats the pages used to mix in.
NUMERIC_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")
TWELVE_HOUR = re.compile(r"\b\d{1,2}:\d{2} ?[ap]\.?m\.?", re.IGNORECASE)


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content.decode(), "html.parser")


def _day(value: date) -> str:
    """The expected "24 Nov 2026", written independently of Django's formatter."""
    return f"{value.day} {value:%b %Y}"


def _moment(value: datetime) -> str:
    local = value.astimezone(LONDON)
    return f"{local.day} {local:%b %Y, %H:%M}"


# --- Nothing pre-ticked -------------------------------------------------------------------------


def test_new_constituent_form_ticks_no_consent_or_channel(office, caseworker, client_for):
    page = _soup(client_for(caseworker).get(reverse("casework:constituent-create")))
    for name in CHOSEN_BY_THE_PERSON:
        box = page.find("input", attrs={"name": name})
        assert box is not None and box.get("type") == "checkbox", name
        assert not box.has_attr("checked"), f"{name} is ticked before the person chose it"
    assert not page.find("input", attrs={"type": "checkbox", "checked": True})


def test_constituent_saved_without_ticks_has_no_consent_and_edit_keeps_their_choices(office, caseworker, client_for):
    client = client_for(caseworker)
    data = {"kind": "person", "first_name": "Tomasz", "last_name": "Fictional", "preferred_channel": "email"}
    assert client.post(reverse("casework:constituent-create"), data).status_code == 302
    person = Constituent.objects.get(office=office)
    assert (person.consent_to_contact, person.contact_by_email, person.contact_by_post, person.contact_by_phone) == (
        False,
        False,
        False,
        False,
    )
    # Once chosen, the edit form shows the choice (only a new record starts empty).
    person.consent_to_contact = person.contact_by_post = True
    person.save()
    page = _soup(client.get(reverse("casework:constituent-edit", args=[person.pk])))
    assert page.find("input", attrs={"name": "consent_to_contact"}).has_attr("checked")
    assert page.find("input", attrs={"name": "contact_by_post"}).has_attr("checked")
    assert not page.find("input", attrs={"name": "contact_by_email"}).has_attr("checked")


# --- Phones ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("07700 900123", "+447700900123", "07700 900123"),  # Ofcom's drama range: mobile
        ("+44 7700 900999", "+447700900999", "07700 900999"),
        ("01632 960001", "+441632960001", "01632 960001"),  # drama range: geographic
        ("020 7946 0123", "+442079460123", "020 7946 0123"),
        ("01908 555125", "+441908555125", "01908 555125"),  # an ordinary Milton Keynes number
    ],
)
def test_fictional_and_real_uk_numbers_are_accepted_stored_e164_and_shown_nationally(
    office, caseworker, client_for, typed, stored, shown
):
    client = client_for(caseworker)
    data = {"kind": "person", "first_name": "Grace", "last_name": "Fictional", "phone": typed}
    response = client.post(reverse("casework:constituent-create"), {**data, "preferred_channel": "phone"})
    assert response.status_code == 302, response.context["form"].errors
    person = Constituent.objects.get(office=office)
    assert person.phone == stored
    assert shown in _soup(client.get(person.get_absolute_url())).get_text()
    assert stored not in client.get(person.get_absolute_url()).content.decode()
    assert shown in _soup(client.get(reverse("casework:constituent-list"))).get_text()


@pytest.mark.parametrize("typed", ["07700 901123", "01632 961000", "12345", "+33 1 23 45 67 89"])
def test_numbers_outside_the_uk_plan_and_the_drama_ranges_are_refused(office, caseworker, client_for, typed):
    response = client_for(caseworker).post(
        reverse("casework:constituent-create"),
        {
            "kind": "person",
            "first_name": "Grace",
            "last_name": "Fictional",
            "phone": typed,
            "preferred_channel": "email",
        },
    )
    assert response.status_code == 200
    assert "01908 555125 or 07700 900123" in response.context["form"].errors["phone"][0]
    assert not Constituent.objects.exists()


def test_a_demo_constituent_opens_and_saves_unchanged(office, caseworker, client_for):
    """The demo's numbers are in the drama range: opening one and pressing Save must work."""
    person = make_constituent(office, phone="+447700900012", consent_to_contact=True)
    client = client_for(caseworker)
    form_page = _soup(client.get(reverse("casework:constituent-edit", args=[person.pk])))
    data = {}
    for field in form_page.select("form input, form select, form textarea"):
        name = field.get("name")
        if not name or field.get("type") == "submit":
            continue
        if field.name == "select":
            option = field.find("option", selected=True) or field.find("option")
            data[name] = option.get("value", "")
        elif field.get("type") == "checkbox":
            if field.has_attr("checked"):
                data[name] = "on"
        elif field.name == "textarea":
            data[name] = field.get_text()
        else:
            data[name] = field.get("value", "")
    assert data["phone"] == "07700 900012"  # the form shows the number as people write it
    response = client.post(reverse("casework:constituent-edit", args=[person.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    person.refresh_from_db()
    assert person.phone == "+447700900012" and person.consent_to_contact


# --- Dates -------------------------------------------------------------------------------------


def test_case_list_and_case_page_use_one_date_format_and_one_date_time_format(office, caseworker, client_for):
    opened = datetime(2026, 11, 24, 14, 34, tzinfo=LONDON)
    case = make_case(office, summary="Damp in the flat")
    Case.objects.filter(pk=case.pk).update(opened_at=opened, review_by=date(2026, 12, 5))
    client = client_for(caseworker)

    listing = _soup(client.get(reverse("casework:case-list"))).get_text(" ")
    assert _day(opened.date()) in listing and _day(date(2026, 12, 5)) in listing
    detail = _soup(client.get(case.get_absolute_url())).get_text(" ")
    assert _moment(opened) in detail and _day(date(2026, 12, 5)) in detail
    for text in (listing, detail):
        assert not NUMERIC_DATE.search(text), NUMERIC_DATE.search(text)
        assert not TWELVE_HOUR.search(text), TWELVE_HOUR.search(text)
        assert "November 2026" not in text  # the long form is no longer mixed in


def test_letter_pages_and_messages_use_the_same_formats(office, caseworker, client_for):
    letter = make_letter(office, by=caseworker.user)
    client = client_for(caseworker)
    for url in (letter.get_absolute_url(), reverse("letters:list")):
        text = _soup(client.get(url)).get_text(" ")
        assert not NUMERIC_DATE.search(text), (url, NUMERIC_DATE.search(text))
        assert not TWELVE_HOUR.search(text), (url, TWELVE_HOUR.search(text))
    assert _day(timezone.localdate()) in _soup(client.get(reverse("letters:list"))).get_text(" ")


# --- Filters and labels ------------------------------------------------------------------------


def test_case_filters_are_labelled_and_styled(office, caseworker, client_for):
    WardFactory(office=office, name="Fishermead")
    response = client_for(caseworker).get(reverse("casework:case-list"))
    page = _soup(response)
    assert "[invalid name]" not in page.get_text()
    form = page.find("form", attrs={"aria-label": "Filter cases"})
    labels = {label.get_text(strip=True).rstrip("*") for label in form.find_all("label")}
    assert {
        "Status",
        "Topic",
        "Ward",
        "Assignee",
        "Tag",
        "Opened from",
        "Opened to",
        "Sort by",
        "Review overdue",
    } <= labels
    for select in form.find_all("select"):
        assert "form-select" in select.get("class", []), select.get("name")
        assert form.find("label", attrs={"for": select["id"]}) is not None
    for field in form.find_all("input", attrs={"type": "date"}):
        assert "form-control" in field.get("class", []), field.get("name")


def test_bulk_reply_form_names_the_ward_filter(office, staff, client_for):
    WardFactory(office=office, name="Fishermead")
    page = _soup(client_for(staff).get(reverse("letters:bulk-new")))
    assert "[invalid name]" not in page.get_text()
    assert page.find("label", attrs={"for": "id_ward"}).get_text(strip=True) == "Ward"


# --- The case page: its letters, "Write a letter", the correspondent by name ---------------------


def test_case_page_lists_its_letters_and_offers_write_a_letter(office, other_office, caseworker, mp, client_for):
    case = make_case(office, summary="Knife crime near the school")
    draft = make_letter(office, by=caseworker.user, cases=[case], subject="Knife crime near the school")
    make_letter(office, by=caseworker.user, subject="A letter about something else")
    client = client_for(caseworker)

    page = _soup(client.get(case.get_absolute_url()))
    panel = page.find("h2", string="Letters").find_parent("section")
    assert draft.reference in panel.get_text() and "Draft" in panel.get_text()
    assert "something else" not in panel.get_text()
    write = page.find("a", string="Write a letter")
    assert write is not None
    # The link opens the letter form with the case and "to the constituent" filled in.
    form = _soup(client.get(write["href"]))
    assert form.find("input", attrs={"name": "case_references"})["value"] == case.reference
    assert form.find("input", attrs={"name": "recipient_kind", "value": "constituent"}).has_attr("checked")
    # The MP reads the case and its letters but does not draft: no action for them.
    mp_page = _soup(client_for(mp).get(case.get_absolute_url()))
    assert mp_page.find("a", string="Write a letter") is None
    assert draft.reference in mp_page.get_text()


def test_correspondent_is_chosen_by_name_not_by_number(office, caseworker, client_for):
    constituent = ConstituentFactory(office=office, first_name="Amelia", last_name="Oakhanger")
    relative = ConstituentFactory(office=office, first_name="Kwame", last_name="Quillfeather")
    ConstituentFactory(first_name="Kwame", last_name="Quillfeather")  # another office's namesake
    client = client_for(caseworker)

    page = _soup(client.get(reverse("casework:case-create")))
    assert "constituent number" not in page.get_text().lower()
    assert page.find("input", attrs={"name": "correspondent", "type": "number"}) is None
    search = page.find("label", string=re.compile("Correspondent"))
    assert search is not None and page.find(id=search["for"]).get("type") == "search"

    found = client.get(reverse("casework:constituent-autocomplete"), {"q": "quill", "pick": "correspondent"})
    radios = _soup(found).find_all("input", attrs={"type": "radio", "name": "correspondent"})
    assert [int(radio["value"]) for radio in radios] == [relative.pk]

    data = {
        "constituents": [constituent.pk],
        "summary": "Visa delay",
        "priority": "normal",
        "correspondent": relative.pk,
        "correspondent_relationship": "relative",
        "correspondent_consent": "Agreed on the phone, 3 March",
    }
    assert client.post(reverse("casework:case-create"), data).status_code == 302
    case = Case.objects.get()
    assert case.correspondent == relative
    # Editing shows the chosen person by name, ticked, and "nobody" clears it.
    edit = _soup(client.get(reverse("casework:case-edit", args=[case.pk])))
    chosen = edit.find("input", attrs={"name": "correspondent", "value": str(relative.pk)})
    assert chosen.has_attr("checked") and "Kwame Quillfeather" in chosen.find_next("label").get_text()


# --- Letters: one sign-off; a draft's signatures are not "waiting" -------------------------------


def test_a_typed_sign_off_is_refused_with_the_reason(office, caseworker, client_for):
    make_case(office)
    response = client_for(caseworker).post(
        reverse("letters:create"),
        {
            "subject": "Knife crime",
            "body": "Dear Home Secretary,\n\nI write about knife crime.\n\nYours sincerely,\n\nIain Stewart MP",
            "recipient_kind": "constituent",
            "case_references": Case.objects.get().reference,
        },
    )
    assert response.status_code == 200
    assert "already adds “Yours sincerely”" in response.context["form"].errors["body"][0]
    assert not Letter.objects.exists()
    help_text = _soup(client_for(caseworker).get(reverse("letters:create"))).get_text(" ")
    assert "The letterhead adds the greeting (Dear …), “Yours sincerely” and each MP's signature" in help_text
    assert "the body above" not in help_text


def test_a_draft_does_not_say_waiting_for_approval(office, caseworker, client_for):
    letter = make_letter(office, by=caseworker.user)
    page = _soup(client_for(caseworker).get(letter.get_absolute_url()))
    signed = page.find("h2", string="Signed by").find_parent("section").get_text(" ")
    assert "Waiting for approval" not in signed and "not yet asked" in signed


# --- Demo data ---------------------------------------------------------------------------------

MALE_TITLES, FEMALE_TITLES = {"Mr", "Dr", ""}, {"Mrs", "Ms", "Miss", "Dr", ""}


def test_demo_titles_match_first_names():
    for first in casework_demo.FIRST_NAMES:
        allowed = FEMALE_TITLES if first in casework_demo.FEMALE_NAMES else MALE_TITLES
        for drawn in ("", "Mr", "Mrs", "Ms", "Dr"):
            assert casework_demo._title_for(first, drawn) in allowed, (first, drawn)


def test_demo_survey_comments_are_varied(office):
    WardFactory(office=office, name="Fishermead")
    comments = [row[demo_story.COMMENTS] for row in demo_story._rows(office) if row[demo_story.COMMENTS]]
    assert len(comments) >= 20
    assert len(set(comments)) >= len(comments) * 0.5, f"{len(set(comments))} distinct of {len(comments)}"


# --- The run's log -----------------------------------------------------------------------------


def test_refusals_are_logged_in_one_line_without_traceback():
    try:
        raise PermissionError("not yours")
    except PermissionError:
        import sys

        exc_info = sys.exc_info()
    refused = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden", (), exc_info)
    refused.status_code = 403
    failed = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Server error", (), exc_info)
    failed.status_code = 500
    keep = ClientErrorsWithoutTraceback()
    assert keep.filter(refused) and refused.exc_info is None
    assert keep.filter(failed) and failed.exc_info is not None


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content])[:4] == b"\x00\x00\x01\x00"
