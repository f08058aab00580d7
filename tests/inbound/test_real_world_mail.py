"""Messages shaped like what mail clients really send (tests/inbound/mail/*.eml), through the
upload page as a caseworker adds them: what the caseworker then reads on the message's page.

The files were written to match each client's real output (headers, MIME structure, transfer
encodings, charsets); the expected text below was read off the messages by hand, not computed
by the code under test.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casework.models import Contact
from inbound.models import InboundMessage
from letters.models import Reply
from letters.services import letter_send
from tests.casework.factories import ConstituentFactory
from tests.letters.factories import approved_letter, make_case
from tests.mpoffice.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

MAIL = Path(__file__).parent / "mail"

# file: (sender address shown, subject shown, sentences the caseworker must read, attachments,
#        whether it waits for triage (False: set aside as sent by a robot))
EXPECTED = {
    "01-gmail-alternative.eml": (
        "priya.chaudhry@example.org",
        "Street lights out on Willen Road",
        ["It’s pitch dark when the children walk home", "Many thanks,\nPriya Chaudhry"],
        [],
        True,
    ),
    "02-outlook-html-only.eml": (
        "g.oyelaran@example.net",
        "Mum's care package - cancelled visits",
        ["I am writing about my mother’s care package.", "We pay £240 a week", "Gareth Oyelaran"],
        [],
        True,
    ),
    "03-apple-mail-text-around-photo.eml": (
        "tomasz.w@example.com",
        "Pothole, Coleshill Place",
        ["It’s about 30 cm across.", "And this is the crack in the pavement next to it."],
        ["IMG_4471.png"],
        True,
    ),
    "04-iphone-forward.eml": (
        "aisha.rahman@example.org",
        "Fwd: Repair request 88412",
        ["The council keeps fobbing me off.", "has been closed as no access was possible on 18 November"],
        [],
        True,
    ),
    "05-gmail-forward-by-staff.eml": (
        "linda.marsh@postbag.example",  # not a member in this test: the forwarder stays the sender
        "Fwd: Blue badge refused",
        ["this lady came to the surgery", "From: Beatrice Okafor <b.okafor@example.com>", "my blue badge renewal"],
        [],
        True,
    ),
    "06-outlook-forward-html-base64.eml": (
        "mks-office@postbag.example",
        "FW: Universal Credit sanction",
        ["For the Member's attention.", "Sent: Monday, November 23, 2026 6:02 PM", "My Universal Credit has been"],
        [],
        True,
    ),
    "07-forward-as-attachment.eml": (
        "seun.adeyemi@example.org",
        "Fwd: Your payment has changed",
        [
            "Can the office help?",
            'From: "DWP Universal Credit" <noreply@dwp.example.gov.uk>',
            "Subject: Your payment has changed – action needed",
            "reduced by £312.40.",
        ],
        [],
        True,
    ),
    "08-wrong-charset-utf8-labelled-ascii.eml": (
        "forms@example.org",
        "Website contact form",
        ["Name: Zoë Brennan", "The café on Midsummer Boulevard has had its licence suspended – 12 people"],
        [],
        True,
    ),
    "09-no-charset-windows-1252.eml": (
        "siobhan.oneill@example.net",
        "Parking fine",
        ["I was fined £70 for parking in a bay that wasn’t marked “permit only”."],
        [],
        True,
    ),
    "10-koi8r-base64.eml": (
        "anna.sokolova@example.ru",
        "Шум от соседей",
        ["Здравствуйте! Мой сосед шумит каждую ночь после полуночи."],
        [],
        True,
    ),
    "11-raw-8bit-latin1-headers.eml": (
        "renee.dubois@example.org",
        "Café licence £ fees",
        ["The licence fee went up to £450."],
        [],
        True,
    ),
    "12-encoded-word-headers.eml": (
        "sian.llewelyn@example.org",
        "School transport – my son's bus route has been cut",
        ["My son can’t get to school."],
        [],
        True,
    ),
    "13-mailman-list-footer.eml": (
        "harriet.pemberton@example.org",
        "[Residents] Planning application 26/01234/FUL",
        ["objects to the warehouse on Stratford Road. Please support us.\n\nHarriet"],
        [],
        True,
    ),
    "14-outlook-out-of-office.eml": (
        "h.achterberg@council.example.gov.uk",
        "Automatic reply: MKS-L-2026-0004 Street lighting on Willen Road",
        ["I am out of the office until Monday 30 November"],
        [],
        False,
    ),
    "15-x-autoreply.eml": (
        "kwame.boateng@example.com",
        "Re: Your case MKS-2026-00001",
        ["I am on holiday"],
        [],
        False,
    ),
    "16-bounce-dsn.eml": (
        "mailer-daemon@googlemail.com",
        "Delivery Status Notification (Failure)",
        ["Your message wasn't delivered to old.address@example.org"],
        [],
        False,
    ),
    "17-no-subject-no-date-no-message-id.eml": (
        "gerald.fitch@example.com",
        "",
        ["the bin men didnt come again"],
        [],
        True,
    ),
    "18-html-with-script.eml": (
        "someone@example.net",
        "Housing",
        ["Please help with my housing situation.", "<script>this is text</script>"],
        [],
        True,
    ),
    "19-outlook-related-inline-image.eml": (
        "fatima.begum@example.org",
        "Damp in the bedroom",
        ["Here is the damp in the bedroom:", "Fatima Begum"],
        ["image001.png"],
        True,
    ),
    "20-google-groups-footer.eml": (
        "callum.reid@example.org",
        "Allotment site closure",
        ["The council plans to close the Bradwell allotments in March."],
        [],
        True,
    ),
}


def test_the_corpus_is_the_one_described():
    assert sorted(path.name for path in MAIL.glob("*.eml")) == sorted(EXPECTED)


def _upload(client, raw: bytes):
    upload = SimpleUploadedFile("message.eml", raw, content_type="message/rfc822")
    return client.post(reverse("inbound:inbound-upload"), {"file": upload})


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_caseworker_reads_every_real_world_message_as_sent(name, office, caseworker, client_for):
    address, subject, sentences, attachments, waits = EXPECTED[name]
    raw = (MAIL / name).read_bytes()
    client = client_for(caseworker)

    response = _upload(client, raw)

    assert response.status_code == 302, response.content.decode()[:2000]
    message = InboundMessage.objects.get()
    assert message.from_address == address
    assert message.subject == subject
    for sentence in sentences:
        assert sentence in message.body
    assert message.attachment_names == attachments
    assert (message.status == InboundMessage.Status.PENDING) is waits
    with message.raw.open("rb") as kept:
        assert kept.read() == raw  # the original, byte for byte

    page = client.get(message.get_absolute_url()).content.decode()
    for sentence in sentences:
        assert html.escape(sentence, quote=False) in page.replace("&#x27;", "'").replace("&quot;", '"')

    # The same file again is recognised, not kept twice.
    assert _upload(client, raw).status_code == 302
    assert InboundMessage.objects.count() == 1


def test_html_from_the_sender_is_shown_as_text_never_as_markup(office, caseworker, client_for):
    client = client_for(caseworker)
    _upload(client, (MAIL / "18-html-with-script.eml").read_bytes())
    message = InboundMessage.objects.get()

    page = client.get(message.get_absolute_url()).content.decode()

    assert "document.cookie" not in message.body and "alert(" not in message.body
    assert "body{color:red}" not in message.body
    assert "<script>this is text</script>" not in page  # the sender's text, escaped
    assert "&lt;script&gt;this is text&lt;/script&gt;" in page
    assert "javascript:" not in page and "evil.example" not in page


def test_a_constituent_forwarded_by_a_member_of_staff_is_the_sender(office, caseworker, client_for):
    MembershipFactory(office=office, user=UserFactory(username="linda", email="Linda.Marsh@postbag.example"))
    beatrice = ConstituentFactory(
        office=office, first_name="Beatrice", last_name="Okafor", email="b.okafor@example.com"
    )

    _upload(client_for(caseworker), (MAIL / "05-gmail-forward-by-staff.eml").read_bytes())

    message = InboundMessage.objects.get()
    assert (message.from_name, message.from_address) == ("Beatrice Okafor", "b.okafor@example.com")
    assert message.constituent == beatrice
    assert message.body.startswith("Forwarded by Linda Marsh <linda.marsh@postbag.example>.")


def test_an_outlook_forward_from_the_office_address_is_the_original_senders(office, staff, client_for):
    office.email = "mks-office@postbag.example"
    office.save()

    _upload(client_for(staff), (MAIL / "06-outlook-forward-html-base64.eml").read_bytes())
    message = InboundMessage.objects.get()
    response = client_for(staff).post(
        reverse("inbound:inbound-open-case", kwargs={"pk": message.pk}), {"summary": "UC sanction"}
    )

    message.refresh_from_db()
    assert response.status_code == 302
    assert (message.from_name, message.from_address) == ("Declan Fairweather", "declan.fairweather@example.net")
    person = message.case.constituents.get()
    assert (person.first_name, person.last_name, person.email) == (
        "Declan",
        "Fairweather",
        "declan.fairweather@example.net",
    )


def test_a_constituent_forwarding_the_councils_email_stays_the_sender(office, caseworker, client_for):
    aisha = ConstituentFactory(office=office, first_name="Aisha", last_name="Rahman", email="aisha.rahman@example.org")

    _upload(client_for(caseworker), (MAIL / "04-iphone-forward.eml").read_bytes())

    message = InboundMessage.objects.get()
    assert message.constituent == aisha and message.from_address == "aisha.rahman@example.org"


def test_auto_replies_and_bounces_are_kept_out_of_cases_and_letters(office, mp, staff, client_for):
    """An out-of-office reply naming our sent letter, an auto-reply and a bounce naming a case:
    none reaches the case or the letter, none waits in the inbox, each says why."""
    case = make_case(office)
    letter = approved_letter(office, mp, cases=[case])
    letter_send(letter=letter, by=staff.user, channel="post", sent_on=date(2026, 10, 1))
    client = client_for(staff)
    for name in ("14-outlook-out-of-office.eml", "15-x-autoreply.eml", "16-bounce-dsn.eml"):
        raw = (MAIL / name).read_bytes().replace(b"MKS-L-2026-0004", letter.reference.encode())
        raw = raw.replace(b"MKS-2026-00001", case.reference.encode())
        assert _upload(client, raw).status_code == 302

    assert not Contact.objects.filter(case=case, direction=Contact.Direction.INBOUND).exists()
    assert not Reply.objects.exists()
    assert not InboundMessage.objects.filter(status=InboundMessage.Status.PENDING).exists()
    kinds = {m.subject[:15]: m.filed_as for m in InboundMessage.objects.all()}
    assert "automatic reply (out of office)" in kinds["Automatic reply"]
    assert "X-Autoreply: yes" in kinds["Re: Your case M"]
    assert "delivery failure report (bounce)" in kinds["Delivery Status"]
    inbox = client.get(reverse("inbound:inbound-list")).content.decode()
    assert "Automatic reply" not in inbox and "Delivery Status" not in inbox
