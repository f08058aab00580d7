"""An e-mailed reply to our letter is recorded as its reply when it reaches the inbox."""

from datetime import date
from email.message import EmailMessage

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casework import inbound
from casework.models import InboundMessage, TimelineEntry
from letters import services
from letters.models import Reply, Status
from letters.reminders import sweep_replies_overdue
from mpoffice.models import Reminder
from tests.letters.factories import approved_letter, make_case


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
        reverse("casework:inbound-upload"),
        {"file": SimpleUploadedFile("reply.eml", raw, "message/rfc822")},
        follow=True,
    )
    assert Reply.objects.filter(letter=letter).count() == 1
    assert not InboundMessage.objects.filter(status=InboundMessage.Status.PENDING).exists()
    html = page.content.decode()
    assert f"Recorded as the reply to letter {letter.reference}" in html
    assert "Filed on arrival as a reply to one of the office's letters" in html
