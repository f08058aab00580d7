"""Inbound e-mail: parse a message, keep it as received, match it and log it as a contact.

A message is matched to a constituent by its sender's address, and to a case by one of the
office's references in its subject (``Re: [MKS-2026-00123] Knife crime``). A message with a
case reference is attached to that case on arrival; any other waits in the inbox, where a
caseworker attaches it to a case, opens a new case from it, or dismisses it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags

from casework.models import Case, Constituent, Contact, InboundMessage, Topic
from casework.services import AttachmentRefused, attachment_check, case_open, constituent_create, contact_log
from casework.uploads import sniff_content_type
from mpoffice.models import Office

logger = logging.getLogger(__name__)

MESSAGE_MAX_BYTES = 25 * 1024 * 1024
NOT_AN_EMAIL = (
    "This is not an e-mail message. Upload the message saved from your mail program as an .eml file "
    "(in Outlook: File › Save As › Outlook Message Format – Unicode is not an .eml; drag the message "
    "to a folder instead), or paste the whole message including its headers (From:, To:, Subject:, Date:)."
)


class NotAnEmail(ValueError):
    pass


@dataclass
class ParsedAttachment:
    name: str
    content: bytes


@dataclass
class ParsedMessage:
    message_id: str
    from_name: str
    from_address: str
    to: str
    subject: str
    sent_at: datetime | None
    body: str
    attachments: list[ParsedAttachment] = field(default_factory=list)


def message_parse(raw: bytes) -> ParsedMessage:
    """Read an RFC 5322 message; raises NotAnEmail (with what to do) for anything else."""
    if not raw or len(raw) > MESSAGE_MAX_BYTES:
        raise NotAnEmail(NOT_AN_EMAIL if raw else "The message is empty. " + NOT_AN_EMAIL)
    # The same content check as every attachment: it looks at the header block, not the name.
    if sniff_content_type(SimpleUploadedFile("message.eml", raw[:8192])) != "message/rfc822":
        raise NotAnEmail(NOT_AN_EMAIL)
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    senders = getaddresses([str(message.get("From", ""))])
    from_name, from_address = senders[0] if senders else ("", "")
    if "@" not in from_address:
        raise NotAnEmail("The message has no sender address (From:). " + NOT_AN_EMAIL)
    sent_at = None
    if message.get("Date"):
        try:
            sent_at = parsedate_to_datetime(str(message["Date"]))
        except (TypeError, ValueError):
            sent_at = None
        if sent_at is not None and timezone.is_naive(sent_at):
            sent_at = timezone.make_aware(sent_at, timezone.get_default_timezone())
    return ParsedMessage(
        message_id=str(message.get("Message-ID", "")).strip()[:998],
        from_name=from_name[:200],
        from_address=from_address.strip().lower()[:254],
        to=str(message.get("To", "")),
        subject=" ".join(str(message.get("Subject", "")).split())[:998],
        sent_at=sent_at,
        body=_body_text(message),
        attachments=_attachments(message),
    )


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, UnicodeError, KeyError):
        text = (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return ""
    if part.get_content_type() == "text/html":
        text = strip_tags(text)
    return text.strip()


def _attachments(message: EmailMessage) -> list[ParsedAttachment]:
    found = []
    for part in message.iter_attachments():
        content = part.get_payload(decode=True)
        if not content:
            continue
        name = part.get_filename() or f"attachment-{len(found) + 1}"
        found.append(ParsedAttachment(name=name[-255:], content=content))
    return found


def case_reference_in(*, office: Office, subject: str) -> str | None:
    """The first of this office's case references in a subject line, e.g. MKS-2026-00123."""
    prefix = re.escape(office.reference_prefix)
    match = re.search(rf"(?<![A-Za-z0-9]){prefix}-(\d{{4}})-(\d{{1,6}})(?!\d)", subject or "", re.IGNORECASE)
    if not match:
        return None
    return f"{office.reference_prefix}-{match.group(1)}-{int(match.group(2)):05d}"


def sender_constituent(*, office: Office, address: str) -> Constituent | None:
    """The constituent with this e-mail address (the oldest record when duplicates share it)."""
    if not address:
        return None
    return Constituent.objects.for_office(office).filter(merged_into=None, email=address.lower()).order_by("pk").first()


# Apps above casework claim messages that are theirs (letters: replies to our letters) without
# casework importing them. A handler receives the kept message and its parsed form inside the
# receiving transaction and, when it has taken the message, returns a sentence saying what it
# did ("Recorded as the reply to letter …"); None leaves the message for the next handler.
InboundHandler = Callable[[InboundMessage, "ParsedMessage"], str | None]
_HANDLERS: list[InboundHandler] = []


def register_inbound_handler(handler: InboundHandler) -> None:
    if handler not in _HANDLERS:
        _HANDLERS.append(handler)


def inbound_mark_handled(*, message: InboundMessage, case: Case | None = None) -> None:
    """For a handler: the message is dealt with (it leaves the inbox), optionally on a case."""
    _claim(message, status=InboundMessage.Status.ATTACHED, by=message.received_by, case=case)


@dataclass
class Received:
    message: InboundMessage
    created: bool
    handled_as: str = ""  # what an app's inbound handler did with it, if one took it


def inbound_receive(*, office: Office, raw: bytes, source: str, by=None) -> Received:
    """Keep a message and match it; attach it at once when its subject names a case.

    The same message (same bytes) received twice is kept once: a Maildir ingested again or
    a file uploaded twice changes nothing.
    """
    parsed = message_parse(raw)
    handled_as = ""
    digest = hashlib.sha256(raw).hexdigest()
    existing = InboundMessage.objects.for_office(office).filter(sha256=digest).first()
    if existing is not None:
        return Received(existing, created=False)

    reference = case_reference_in(office=office, subject=parsed.subject)
    case = Case.objects.for_office(office).filter(reference=reference).first() if reference else None
    message = InboundMessage(
        office=office,
        sha256=digest,
        source=source,
        message_id=parsed.message_id,
        from_name=parsed.from_name,
        from_address=parsed.from_address,
        to=parsed.to,
        subject=parsed.subject,
        sent_at=parsed.sent_at,
        body=parsed.body,
        attachment_names=[a.name for a in parsed.attachments],
        received_by=by,
        constituent=sender_constituent(office=office, address=parsed.from_address),
    )
    try:
        with transaction.atomic():
            message.raw.save("message.eml", ContentFile(raw), save=False)
            message.save()
            if case is not None:
                _attach(message=message, case=case, by=by, parsed=parsed)
            else:
                for handler in _HANDLERS:
                    if handled_as := handler(message, parsed):
                        break
    except IntegrityError:
        # Received at the same moment by another process (two ingest runs): keep theirs.
        message.raw.delete(save=False)
        return Received(InboundMessage.objects.for_office(office).get(sha256=digest), created=False)
    return Received(message, created=True, handled_as=handled_as or "")


class AlreadyTriaged(ValueError):
    pass


def _claim(message: InboundMessage, *, status: str, by, case: Case | None = None) -> None:
    """Move a pending message on, once: two people triaging it at the same moment cannot both."""
    claimed = InboundMessage.objects.filter(pk=message.pk, status=InboundMessage.Status.PENDING).update(
        status=status, triaged_by=by, triaged_at=timezone.now(), case=case
    )
    if claimed != 1:
        raise AlreadyTriaged("Someone has already dealt with this message.")
    message.status = status
    message.case = case
    message.triaged_by = by


def _attach(*, message: InboundMessage, case: Case, by, parsed: ParsedMessage | None = None) -> Contact:
    """Log the message as an inbound e-mail contact on the case, with its acceptable attachments."""
    if case.office_id != message.office_id:
        raise ValueError("The case must belong to the message's office.")
    _claim(message, status=InboundMessage.Status.ATTACHED, by=by, case=case)
    if parsed is None:
        with message.raw.open("rb") as handle:
            parsed = message_parse(handle.read())
    uploads, refused = [], []
    for attachment in parsed.attachments:
        upload = SimpleUploadedFile(attachment.name, attachment.content)
        try:
            attachment_check(upload)
        except AttachmentRefused as error:
            refused.append(str(error))
            continue
        uploads.append(upload)
    # The sender when known (perhaps an advocate writing for the constituent), else the case's.
    constituent = message.constituent or case.constituents.order_by("pk").first()
    body = parsed.body
    if refused:
        body += "\n\n[Attachments not stored (the original message keeps them): " + " ".join(refused) + "]"
    sender = f"{message.from_name} <{message.from_address}>" if message.from_name else message.from_address
    contact = contact_log(
        office=case.office,
        by=by,
        staff=by,
        channel=Contact.Channel.EMAIL,
        direction=Contact.Direction.INBOUND,
        summary=(message.subject or f"E-mail from {sender}")[:300],
        body=f"From: {sender}\n\n{body}".strip(),
        constituent=constituent,
        case=case,
        occurred_at=message.sent_at or message.received_at or timezone.now(),
        attachments=uploads,
    )
    InboundMessage.objects.filter(pk=message.pk).update(contact=contact)
    message.contact = contact
    return contact


@transaction.atomic
def inbound_attach(*, message: InboundMessage, case: Case, by) -> Contact:
    """Triage: the message belongs to an existing case."""
    return _attach(message=message, case=case, by=by)


@transaction.atomic
def inbound_open_case(
    *, message: InboundMessage, by, summary: str = "", topic: Topic | None = None, assignee=None
) -> Case:
    """Triage: open a new case from the message, for its sender (created when not yet known)."""
    if message.status != InboundMessage.Status.PENDING:
        raise AlreadyTriaged("Someone has already dealt with this message.")
    constituent = message.constituent
    if constituent is None:
        first, _, last = (message.from_name or "").strip().rpartition(" ")
        if not first:
            first, last = last, ""
        constituent = constituent_create(
            office=message.office,
            by=by,
            first_name=first[:100],
            last_name=last[:100],
            email=_valid_address(message.from_address),
            preferred_channel="email",
        )
        InboundMessage.objects.filter(pk=message.pk).update(constituent=constituent)
        message.constituent = constituent
    case = case_open(
        office=message.office,
        by=by,
        constituents=[constituent],
        summary=(summary or message.subject or "E-mail")[:200],
        topic=topic,
        assignee=assignee,
        opened_at=timezone.now(),
    )
    _attach(message=message, case=case, by=by)
    return case


def _valid_address(address: str) -> str:
    try:
        return str(Address(addr_spec=address).addr_spec)
    except (ValueError, IndexError):
        return ""


def inbound_dismiss(*, message: InboundMessage, by) -> None:
    """Triage: not casework (spam, a newsletter). The message is kept, marked dismissed."""
    _claim(message, status=InboundMessage.Status.DISMISSED, by=by)
