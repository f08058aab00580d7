"""A co-signing office reads a joint letter without the drafting office's constituent data:
the constituent's name, address and greeting, and the case reference, are withheld on the
letter page, the preview and the PDF (the sent PDF too); the drafting office sees them."""

from __future__ import annotations

import datetime
import io

import pytest
from pypdf import PdfReader

from letters import services
from letters.models import Letter
from mpoffice.models import Role
from tests.letters.factories import make_case, make_constituent, make_letter
from tests.mpoffice.factories import MembershipFactory

NAME = "Philippa Oakenshott"
STREET = "12 Wrenfield Row"
BODY = (
    "{{ salutation }},\n\nI write with my colleague for {{ constituent_name }} of {{ constituent_address }}, "
    "our case {{ case_reference }}.\n\n{{ mp_name }}"
)


@pytest.fixture
def joint(office, other_office):
    person = make_constituent(office, first_name="Philippa", last_name="Oakenshott", address_line1=STREET)
    case = make_case(office, constituents=[person])
    to_post = make_letter(office, cases=[case], subject="Your case {{ case_reference }}", body=BODY)
    to_person = make_letter(
        office,
        cases=[case],
        subject="About {{ constituent_name }}",
        body=BODY,
        recipient_kind=Letter.RecipientKind.CONSTITUENT,
        recipient_constituent=person,
    )
    for letter in (to_post, to_person):
        services.letter_invite_cosigner(letter=letter, by=None, office=other_office)
    return {"case": case, "to_post": to_post, "to_person": to_person}


def _pdf_text(response) -> str:
    body = b"".join(response) if response.streaming else response.content
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def _pages(client, letter) -> dict[str, str]:
    return {
        "page": client.get(f"/letters/{letter.pk}/").content.decode(),
        "preview": client.get(f"/letters/{letter.pk}/preview/").content.decode(),
        "pdf": _pdf_text(client.get(f"/letters/{letter.pk}/letter.pdf")),
    }


def _constituent_data(joint) -> list[str]:
    return [NAME, "Oakenshott", STREET, joint["case"].reference]


@pytest.mark.parametrize("which", ["to_post", "to_person"])
def test_cosigning_office_sees_the_joint_letter_without_constituent_data(which, joint, other_office, client_for):
    cosigning_mp = client_for(MembershipFactory(office=other_office, role=Role.MP))
    for where, text in _pages(cosigning_mp, joint[which]).items():
        shown = [value for value in _constituent_data(joint) if value in text]
        assert not shown, f"the co-signing office's {where} shows {shown}"
        assert "withheld" in text, f"the {where} should say what was withheld"
        assert "I write with my colleague" in text, f"the {where} should still show the letter's words"


@pytest.mark.parametrize("which", ["to_post", "to_person"])
def test_drafting_office_sees_the_constituent_data(which, joint, staff, client_for):
    for where, text in _pages(client_for(staff), joint[which]).items():
        assert STREET in text and joint["case"].reference in text, where
        assert "withheld" not in text, where


def test_cosigner_of_a_sent_letter_gets_a_redacted_pdf_not_the_one_sent(joint, office, other_office, client_for):
    letter = joint["to_post"]
    services.letter_submit(letter=letter, by=None)
    for signing_office in (office, other_office):
        services.letter_approve(letter=letter, member=MembershipFactory(office=signing_office, role=Role.MP))
    services.letter_send(letter=letter, by=None, channel="post", sent_on=datetime.date(2026, 3, 2))
    letter.refresh_from_db()
    assert letter.pdf, "the sent PDF is kept"

    cosigning_staff = client_for(MembershipFactory(office=other_office, role=Role.STAFF))
    text = _pdf_text(cosigning_staff.get(f"/letters/{letter.pk}/letter.pdf"))
    assert STREET not in text and NAME not in text and "withheld" in text
    sent = _pdf_text(
        client_for(MembershipFactory(office=office, role=Role.STAFF)).get(f"/letters/{letter.pk}/letter.pdf")
    )
    assert STREET in sent


def test_cosigning_mp_reads_the_subject_withheld_on_the_dashboard_and_in_the_approval_reminder(
    joint, other_office, client_for
):
    from letters.models import LetterSignatory
    from letters.reminders import approval_waiting_raise
    from mpoffice.models import Notification

    letter = joint["to_person"]  # subject "About {{ constituent_name }}", filled in when saved
    assert NAME in letter.subject
    services.letter_submit(letter=letter, by=None)
    cosigning_mp = MembershipFactory(office=other_office, role=Role.MP)

    dashboard = client_for(cosigning_mp).get("/dashboard/").content.decode()
    assert letter.reference in dashboard, "the co-signer's dashboard lists the letter to approve"
    assert NAME not in dashboard and "withheld" in dashboard

    signatory = LetterSignatory.objects.get(letter=letter, office=other_office)
    reminder = approval_waiting_raise(signatory, working_days=0)
    (notification,) = Notification.objects.filter(reminder=reminder)
    assert notification.user == cosigning_mp.user
    assert NAME not in notification.body and "withheld" in notification.body
