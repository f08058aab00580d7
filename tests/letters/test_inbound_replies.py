"""An e-mailed reply to our letter is recorded as its reply when it reaches the inbox, or by
hand from the inbox."""

import mailbox
from datetime import date
from email import policy
from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from casework.models import Contact, TimelineEntry
from inbound import services as inbound
from inbound.models import InboundMessage
from letters import services
from letters.emails import letter_email_message
from letters.models import Reply, Status
from letters.reminders import sweep_replies_overdue
from mpoffice.models import Reminder, Role
from tests.letters.factories import approved_letter, make_case
from tests.mpoffice.factories import MembershipFactory


def _reply(*, to: str, subject: str, body: str = "The Home Secretary has asked me to reply.") -> bytes:
    message = EmailMessage()
    message["From"] = "Home Office Correspondence <public.enquiries@homeoffice.example.org>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Tue, 24 Nov 2026 09:30:00 +0000"
    message["Message-ID"] = "<reply-1@homeoffice.example.org>"
    message.set_content(body)
    return message.as_bytes()


def _sent(office, mp, staff):
    case = make_case(office)
    letter = approved_letter(office, mp, cases=[case])
    services.letter_send(letter=letter, by=staff.user, channel="post", sent_on=date(2026, 10, 1))
    return letter, case


def test_a_reply_to_the_reply_address_is_recorded_on_the_letter_and_its_case(office, mp, staff, settings):
    settings.LETTER_REPLY_DOMAIN = "replies.example.org"
    letter, case = _sent(office, mp, staff)
    raw = _reply(to=f"reply+{letter.reference}@replies.example.org", subject="Re: Knife crime in Milton Keynes")

    message = inbound.inbound_receive(office=office, raw=raw, source=InboundMessage.Source.MAILDIR).message

    letter.refresh_from_db()
    reply = Reply.objects.get(letter=letter)
    assert letter.status == Status.REPLY_RECEIVED
    assert reply.from_name == "Home Office Correspondence" and reply.received_on == date(2026, 11, 24)
    assert reply.document_type == "message/rfc822" and reply.document.read() == raw
    assert message.status == InboundMessage.Status.ATTACHED
    assert TimelineEntry.objects.filter(case=case, kind="reply").count() == 1


def test_a_reply_naming_the_letter_in_its_subject_stops_the_overdue_reminder(office, mp, staff):
    letter, _case = _sent(office, mp, staff)
    inbound.inbound_receive(
        office=office,
        raw=_reply(to="mks-office@postbag.invalid", subject=f"RE: Knife crime [{letter.reference}]"),
        source=InboundMessage.Source.UPLOAD,
    )
    sweep_replies_overdue(today=date(2027, 1, 31))
    assert not Reminder.objects.filter(kind="reply_overdue").exists()


def test_a_reply_to_a_letter_not_sent_or_of_another_office_waits_in_the_inbox(office, other_office, mp, staff):
    draft = approved_letter(office, mp)  # approved, not sent
    for reference in (draft.reference, f"{other_office.reference_prefix}-L-2026-0001"):
        message = inbound.inbound_receive(
            office=office, raw=_reply(to="x@example.org", subject=f"Re: [{reference}]"), source="upload"
        ).message
        assert message.status == InboundMessage.Status.PENDING
    assert not Reply.objects.exists()


def test_an_uploaded_reply_goes_straight_to_its_letter(office, mp, staff, caseworker, client_for):
    letter, _case = _sent(office, mp, staff)
    raw = _reply(to=f"reply+{letter.reference}@replies.example.org", subject="Re: your letter")
    page = client_for(caseworker).post(
        reverse("inbound:inbound-upload"),
        {"file": SimpleUploadedFile("reply.eml", raw, "message/rfc822")},
        follow=True,
    )
    assert Reply.objects.filter(letter=letter).count() == 1
    assert not InboundMessage.objects.filter(status=InboundMessage.Status.PENDING).exists()
    html = page.content.decode()
    assert f"Recorded as the reply to letter {letter.reference}" in html
    assert f"Filed on arrival as the reply to letter {letter.reference}" in html


# --- Realistic replies: the letter wins over the case its subject also names ------------------

OFFICE_ADDRESS = "mks-office@postbag.invalid"
REPLY_TEXT = "Dear Mr Stewart,\n\nThe Home Secretary has asked me to reply to your letter.\n\nYours sincerely\n"
# As Outlook writes it: a style sheet in the head, non-breaking spaces, no plain part.
REPLY_HTML = (
    "<html><head><style>p.MsoNormal{margin:0cm;font-family:Calibri}</style></head><body>"
    "<p class=MsoNormal>Dear Mr Stewart,</p><p class=MsoNormal>&nbsp;</p>"
    "<p class=MsoNormal>The Home Secretary has asked me to reply to your letter.</p>"
    "<p class=MsoNormal>Yours sincerely</p></body></html>"
)


def _emailed_letter(office, mp, staff, *, case=None):
    """A letter sent by e-mail whose subject names its case, as the demo templates' do."""
    case = case or make_case(office)
    letter = approved_letter(office, mp, cases=[case], subject=f"Knife crime in Milton Keynes ({case.reference})")
    services.letter_send(letter=letter, by=staff.user, channel="email", sent_on=date(2026, 10, 1))
    letter.refresh_from_db()
    return letter, case


def _answer(
    letter,
    *,
    prefix: str = "Re:",
    reply_address_in: str | None = "To",
    body: str = "plain",
    crlf: bool = True,
    message_id: str | None = "<AM0PR01MB1234@homeoffice.example.org>",
    cte: str | None = None,
) -> bytes:
    """A reply to the e-mail we sent for ``letter``, as the recipient's mail program writes it."""
    sent = letter_email_message(letter)
    reply_address = sent.reply_to[0]
    message = EmailMessage()
    message["From"] = "Home Office Correspondence <public.enquiries@homeoffice.example.org>"
    message["To"] = reply_address if reply_address_in == "To" else OFFICE_ADDRESS
    if reply_address_in == "Cc":
        message["Cc"] = f"Iain Stewart MP <{reply_address}>"
    if reply_address_in == "Delivered-To":
        message["Delivered-To"] = reply_address
    message["Subject"] = f"{prefix} {sent.subject}"
    message["Date"] = "Tue, 24 Nov 2026 09:30:00 +0000"
    if message_id:
        message["Message-ID"] = message_id
    if body == "plain":
        message.set_content(REPLY_TEXT, cte=cte)
    elif body == "html":
        message.set_content(REPLY_HTML, subtype="html", cte=cte)
    else:
        message.set_content(REPLY_TEXT, cte=cte)
        message.add_alternative(REPLY_HTML, subtype="html", cte=cte)
    return message.as_bytes(policy=policy.SMTP if crlf else policy.default)


@pytest.mark.parametrize(
    ("prefix", "reply_address_in", "body", "crlf"),
    [
        ("Re:", "To", "plain", False),
        ("RE:", "Cc", "html", True),  # Outlook: reply-all, HTML only
        ("AW:", "Delivered-To", "multipart", True),  # a German Outlook, forwarded by a mail server
        ("RE:", None, "multipart", False),  # only the subject names the letter (and the case)
    ],
)
def test_a_reply_whose_subject_also_names_the_case_is_recorded_on_the_letter(
    office, mp, staff, caseworker, client_for, prefix, reply_address_in, body, crlf
):
    letter, case = _emailed_letter(office, mp, staff)
    raw = _answer(letter, prefix=prefix, reply_address_in=reply_address_in, body=body, crlf=crlf)
    assert case.reference.encode() in raw and letter.reference.encode() in raw

    page = client_for(caseworker).post(
        reverse("inbound:inbound-upload"),
        {"file": SimpleUploadedFile("reply.eml", raw, "message/rfc822")},
        follow=True,
    )

    letter.refresh_from_db()
    assert letter.status == Status.REPLY_RECEIVED
    reply = Reply.objects.get(letter=letter)
    assert "The Home Secretary has asked me to reply to your letter." in reply.summary
    assert "MsoNormal" not in reply.summary and "&nbsp;" not in reply.summary
    message = InboundMessage.objects.get()
    assert message.status == InboundMessage.Status.ATTACHED and message.contact is None
    assert not Contact.objects.filter(case=case, direction=Contact.Direction.INBOUND).exists()
    assert TimelineEntry.objects.filter(case=case, kind="reply").count() == 1
    assert f"Recorded as the reply to letter {letter.reference}" in page.content.decode()
    sweep_replies_overdue(today=date(2027, 1, 31))
    assert not Reminder.objects.filter(kind="reply_overdue").exists()


def test_the_reply_address_wins_over_another_letter_named_in_the_subject(office, mp, staff):
    older, case = _emailed_letter(office, mp, staff)
    newer, _ = _emailed_letter(office, mp, staff, case=case)
    # Replying (to all) to our newer e-mail, whose thread quotes the older letter's subject.
    raw = _answer(newer, reply_address_in="Cc").replace(newer.reference.encode(), older.reference.encode(), 1)
    raw = raw.replace(f"reply+{older.reference}".encode(), f"reply+{newer.reference}".encode())

    inbound.inbound_receive(office=office, raw=raw, source=InboundMessage.Source.MAILDIR)

    assert list(Reply.objects.values_list("letter__reference", flat=True)) == [newer.reference]


@pytest.mark.parametrize("message_id", ["<AM0PR01MB1234@homeoffice.example.org>", None])
def test_the_same_reply_uploaded_pasted_and_ingested_is_recorded_once(
    office, mp, staff, caseworker, client_for, tmp_path, message_id
):
    letter, _case = _emailed_letter(office, mp, staff)
    client = client_for(caseworker)
    uploaded = _answer(letter, body="multipart", crlf=True, message_id=message_id)
    first = client.post(
        reverse("inbound:inbound-upload"), {"file": SimpleUploadedFile("reply.eml", uploaded, "message/rfc822")}
    )
    kept = InboundMessage.objects.get()

    # The same reply pasted from "Show original" (LF line endings)…
    pasted = _answer(letter, body="multipart", crlf=False, message_id=message_id).decode()
    second = client.post(reverse("inbound:inbound-upload"), {"text": pasted}, follow=True)
    # …and delivered to the office's mailbox by a relay that re-encoded its parts as base64.
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    box.add(_answer(letter, body="multipart", crlf=True, message_id=message_id, cte="base64"))
    call_command("ingest_maildir", str(tmp_path / "mail"), office="MKS")

    assert first.status_code == 302
    assert InboundMessage.objects.count() == 1 and Reply.objects.filter(letter=letter).count() == 1
    assert second.redirect_chain[-1][0] == kept.get_absolute_url()
    html = second.content.decode()
    assert "was already received on" in html and "so it was not added again" in html


def test_a_reply_too_large_to_record_waits_in_the_inbox_not_on_the_case(
    office, mp, staff, caseworker, client_for, settings
):
    letter, case = _emailed_letter(office, mp, staff)
    settings.LETTER_REPLY_MAX_BYTES = 1024

    page = client_for(caseworker).post(
        reverse("inbound:inbound-upload"),
        {"file": SimpleUploadedFile("reply.eml", _answer(letter, body="multipart"), "message/rfc822")},
        follow=True,
    )

    message = InboundMessage.objects.get()
    assert message.status == InboundMessage.Status.PENDING and message.case is None
    assert not Reply.objects.exists() and not Contact.objects.filter(direction=Contact.Direction.INBOUND).exists()
    assert "waiting for triage" in page.content.decode()
    # Recorded by hand, the same limit is explained rather than failing.
    refused = client_for(caseworker).post(
        reverse("letters:inbound-reply", args=[message.pk]), {"letter": letter.pk, "outcome": "other"}
    )
    assert refused.status_code == 400 and "the limit is" in refused.content.decode()
    message.refresh_from_db()
    assert message.status == InboundMessage.Status.PENDING


# --- Only letters the member may see ------------------------------------------------------


def test_a_reply_to_a_letter_on_a_case_hidden_from_the_caseworker_waits_in_the_inbox(
    office, mp, staff, caseworker, client_for
):
    secret = make_case(office, is_sensitive=True, assignee=staff.user)
    letter, _ = _emailed_letter(office, mp, staff, case=secret)
    raw = _answer(letter)

    page = client_for(caseworker).post(
        reverse("inbound:inbound-upload"),
        {"file": SimpleUploadedFile("reply.eml", raw, "message/rfc822")},
        follow=True,
    )

    message = InboundMessage.objects.get()
    assert message.status == InboundMessage.Status.PENDING and message.case is None
    assert not Reply.objects.exists() and not Contact.objects.filter(direction=Contact.Direction.INBOUND).exists()
    html = page.content.decode()
    assert "waiting for triage" in html and secret.summary not in html
    assert f'value="{letter.pk}"' not in html  # nor offered in the picker


def test_a_reply_from_the_mailbox_reaches_a_letter_on_a_sensitive_case_and_stays_with_it(office, mp, staff):
    secret = make_case(office, is_sensitive=True, assignee=staff.user)
    letter, _ = _emailed_letter(office, mp, staff, case=secret)

    message = inbound.inbound_receive(office=office, raw=_answer(letter), source=InboundMessage.Source.MAILDIR).message

    assert Reply.objects.get().letter == letter
    assert message.case == secret  # seen in the inbox only by those who may see the case


# --- The inbox's picker -------------------------------------------------------------------


def _waiting(office, *, written: str = "Wed, 25 Nov 2026 11:00:00 +0000") -> InboundMessage:
    """A reply that names no letter (a department's own template), waiting in the inbox."""
    message = EmailMessage()
    message["From"] = "Thames Valley Police <correspondence@thamesvalley.example.org>"
    message["To"] = OFFICE_ADDRESS
    message["Subject"] = "Your enquiry of 1 October"
    message["Date"] = written
    message["Message-ID"] = f"<tvp-{written}@thamesvalley.example.org>"
    message.set_content("The Chief Constable has asked me to reply.\n")
    received = inbound.inbound_receive(office=office, raw=message.as_bytes(), source=InboundMessage.Source.UPLOAD)
    assert received.message.status == InboundMessage.Status.PENDING
    return received.message


def test_caseworker_records_a_waiting_email_as_the_reply_to_a_letter(office, mp, staff, caseworker, client_for):
    letter, case = _emailed_letter(office, mp, staff)
    message = _waiting(office)
    client = client_for(caseworker)

    page = client.get(message.get_absolute_url()).content.decode()
    assert f'<option value="{letter.pk}">{letter.reference}' in page
    response = client.post(
        reverse("letters:inbound-reply", args=[message.pk]), {"letter": letter.pk, "outcome": "holding"}
    )

    assert response.status_code == 302 and response["Location"] == letter.get_absolute_url()
    reply = Reply.objects.get(letter=letter)
    assert reply.outcome == "holding" and reply.recorded_by == caseworker.user
    assert reply.from_name == "Thames Valley Police" and "Chief Constable" in reply.summary
    letter.refresh_from_db()
    assert letter.status == Status.REPLY_RECEIVED
    message.refresh_from_db()
    assert message.status == InboundMessage.Status.ATTACHED and message.triaged_by == caseworker.user
    assert message.case == case
    assert f"as the reply to letter {letter.reference}" in client.get(message.get_absolute_url()).content.decode()
    sweep_replies_overdue(today=date(2027, 1, 31))
    assert not Reminder.objects.filter(kind="reply_overdue").exists()


def test_the_picker_offers_only_sent_letters_awaiting_a_reply_that_the_member_may_see(
    office, other_office, mp, staff, caseworker, client_for
):
    offered, _ = _emailed_letter(office, mp, staff)
    hidden, _ = _emailed_letter(office, mp, staff, case=make_case(office, is_sensitive=True, assignee=staff.user))
    answered, _ = _emailed_letter(office, mp, staff)
    services.reply_record(
        letter=answered, by=staff.user, received_on=date(2026, 10, 9), from_name="x", summary="y", outcome="other"
    )
    unsent = approved_letter(office, mp, cases=[make_case(office)])
    foreign = approved_letter(other_office, MembershipFactory(office=other_office, role=Role.MP))
    services.letter_send(letter=foreign, by=None, channel="post", sent_on=date(2026, 10, 1))
    message = _waiting(office)
    client = client_for(caseworker)

    page = client.get(message.get_absolute_url()).content.decode()
    assert f'value="{offered.pk}"' in page
    for letter in (hidden, answered, unsent, foreign):
        assert f'value="{letter.pk}"' not in page and letter.reference not in page
    assert f'value="{hidden.pk}"' in client_for(staff).get(message.get_absolute_url()).content.decode()

    for letter in (hidden, answered, unsent, foreign):
        response = client.post(
            reverse("letters:inbound-reply", args=[message.pk]), {"letter": letter.pk, "outcome": "other"}
        )
        assert response.status_code == 400
        assert "is not one you may see" in response.content.decode()
    assert Reply.objects.count() == 1  # only the one recorded above
    message.refresh_from_db()
    assert message.status == InboundMessage.Status.PENDING


def test_an_email_written_before_the_letter_was_sent_cannot_be_recorded_as_its_reply(
    office, mp, staff, caseworker, client_for
):
    letter, _ = _emailed_letter(office, mp, staff)  # sent 1 October 2026
    message = _waiting(office, written="Mon, 14 Sep 2026 10:00:00 +0100")

    response = client_for(caseworker).post(
        reverse("letters:inbound-reply", args=[message.pk]), {"letter": letter.pk, "outcome": "other"}
    )

    assert response.status_code == 400
    assert f"before letter {letter.reference} was sent (01/10/2026)" in response.content.decode()
    assert not Reply.objects.exists()


def test_the_picker_is_for_those_who_triage_the_inbox_and_only_while_the_message_waits(
    office, mp, staff, caseworker, client_for
):
    letter, _ = _emailed_letter(office, mp, staff)
    message = _waiting(office)
    url = reverse("letters:inbound-reply", args=[message.pk])

    assert client_for(mp).post(url, {"letter": letter.pk, "outcome": "other"}).status_code == 403
    assert client_for(caseworker).get(url).status_code == 200
    inbound.inbound_dismiss(message=message, by=staff.user)
    response = client_for(caseworker).post(url, {"letter": letter.pk}, follow=True)

    assert "already dealt with" in response.content.decode()
    assert not Reply.objects.exists()
