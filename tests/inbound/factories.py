"""Inbound e-mails as offices receive them, and pending messages made from them."""

from __future__ import annotations

from email.message import EmailMessage

from inbound import services as inbound
from inbound.models import InboundMessage


def eml(
    *,
    sender: str = "Jane Doe <jane@example.org>",
    subject: str = "Knife crime near the school",
    body: str = "Dear Mr Stewart,\n\nThere was another stabbing near Oldbrook school.\n",
    attachments: tuple[tuple[str, bytes, str], ...] = (),
    message_id: str | None = "<1@example.org>",
    cte: str | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "mks-office@postbag.invalid"
    message["Subject"] = subject
    message["Date"] = "Tue, 24 Nov 2026 09:30:00 +0000"
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body, cte=cte)
    for name, content, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def inbound_message(office, **kwargs) -> InboundMessage:
    """A pending message of ``office`` (unique per call: the body carries a counter)."""
    inbound_message.counter += 1
    kwargs.setdefault("subject", f"Message {inbound_message.counter}")
    kwargs.setdefault("message_id", f"<{inbound_message.counter}@example.org>")
    return inbound.inbound_receive(office=office, raw=eml(**kwargs), source=InboundMessage.Source.UPLOAD).message


inbound_message.counter = 0
