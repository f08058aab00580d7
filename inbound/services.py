"""Inbound e-mail: parse a message, keep it as received, match it and log it as a contact.

A message is matched to a constituent by its sender's address, and to a case by one of the
office's references in its subject (``Re: [MKS-2026-00123] Knife crime``). Apps above
casework look first (letters: a reply to one of our letters names the letter in its reply
address or subject, and often the case too; the letter wins). A message with a case reference
is attached to that case on arrival, when the person adding it may see the case (a Maildir
has no person: its messages are attached); any other waits in the inbox, where a caseworker
attaches it to a case, opens a new case from it, dismisses it, or uses an app's action.

The same message is kept once per office, whatever way it arrives (upload, paste, Maildir,
CRLF or LF line endings, re-encoded): by its Message-ID when it has one, else by a hash of
its decoded content. A unique constraint holds this when two arrivals race.
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
from html import unescape
from html.parser import HTMLParser
from typing import Protocol

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags

from casework.models import Case, Constituent, Contact, Topic
from casework.selectors import cases_for, constituents_for
from casework.services import AttachmentRefused, attachment_check, case_open, constituent_create, contact_log
from casework.uploads import sniff_content_type
from inbound.models import InboundMessage
from mpoffice.models import Membership, Office

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


# Where a message was delivered, besides To: a reply to our ``reply+<letter>@`` address may
# carry it only in Cc, or (sent Bcc, or through a forwarding server) only in the envelope.
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


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
    recipients: list[str] = field(default_factory=list)  # every address it was delivered to, lower case

    def fingerprint(self) -> str:
        """What makes two arrivals the same message: its Message-ID (from this sender) when it
        has one, else its decoded content, so line endings and transfer encodings do not count."""
        if self.message_id:
            basis = ["message-id", self.from_address, self.message_id.strip().strip("<>").strip()]
        else:
            basis = [
                "content",
                self.from_address,
                self.subject,
                self.sent_at.isoformat() if self.sent_at else "",
                _normalised_text(self.body),
                *(f"{a.name}:{hashlib.sha256(a.content).hexdigest()}" for a in self.attachments),
            ]
        return hashlib.sha256("\n".join(basis).encode("utf-8")).hexdigest()


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
        recipients=_recipients(message),
    )


def _recipients(message: EmailMessage) -> list[str]:
    values = [str(value) for header in RECIPIENT_HEADERS for value in message.get_all(header, [])]
    found = []
    for _name, address in getaddresses(values):
        address = address.strip().lower()
        if "@" in address and address not in found:
            found.append(address)
    return found


def _normalised_text(text: str) -> str:
    """Line endings as LF, no trailing spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _HTMLText(HTMLParser):
    """The text of an HTML e-mail (Outlook sends some with no plain part): paragraphs and line
    breaks kept, style sheets and scripts left out, entities decoded."""

    BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}
    HIDDEN = {"head", "style", "script", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BREAKS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(" ".join(data.split()) if data.strip() else (" " if data else ""))


def _html_text(html: str) -> str:
    parser = _HTMLText()
    try:
        parser.feed(html)
        parser.close()
    except AssertionError:  # a malformed declaration: fall back to plain tag stripping
        return unescape(strip_tags(html))
    text = "".join(parser.parts).replace("\xa0", " ")
    return "\n".join(" ".join(line.split()) for line in text.split("\n"))


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
        text = _html_text(text)
    return _normalised_text(text)


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


def sender_constituent(*, office: Office, address: str, membership: Membership | None = None) -> Constituent | None:
    """The constituent with this e-mail address (the oldest record when duplicates share it),
    among the people the member adding the message may see (``constituents_for``: a person known
    only through a sensitive case hidden from them is not matched, so the message waits unmatched
    and says nothing of them); a mailbox, with no member, matches any of the office's."""
    if not address:
        return None
    people = (
        constituents_for(membership=membership)
        if membership is not None
        else Constituent.objects.for_office(office).filter(merged_into=None)
    )
    return people.filter(email=address.lower()).order_by("pk").first()


# Apps above casework claim messages that are theirs (letters: replies to our letters) without
# casework importing them. Handlers are asked first, before any case reference counts (a reply
# to our letter names its case too, and the letter must win), inside the receiving transaction,
# with the kept message, its parsed form and the member adding it (None for a mailbox). A
# handler that takes the message returns a sentence saying what it did ("Recorded as the reply
# to letter …"); None leaves the message for the next handler and then for the case match.
class InboundHandler(Protocol):
    def __call__(
        self, *, message: InboundMessage, parsed: ParsedMessage, membership: Membership | None
    ) -> str | None: ...


_HANDLERS: list[InboundHandler] = []


class LeaveForTriage(Exception):  # noqa: N818 - an instruction, not an error
    """Raised by a handler that knows the message is its own but cannot take it (a reply too
    large to record, say): the message waits in the inbox for a person, not for a case match.
    The handler undoes its own writes first (its work runs in its own ``transaction.atomic``)."""


def register_inbound_handler(handler: InboundHandler) -> None:
    if handler not in _HANDLERS:
        _HANDLERS.append(handler)


def inbound_mark_handled(*, message: InboundMessage, by, case: Case | None = None, note: str = "") -> None:
    """For an app: the message is dealt with (it leaves the inbox), optionally on a case, with
    a sentence saying how ("Recorded as the reply to letter …"). Raises AlreadyTriaged when
    someone dealt with it first."""
    _claim(message, status=InboundMessage.Status.ATTACHED, by=by, case=case, filed_as=note)


@dataclass(frozen=True)
class TriageAction:
    """A way to deal with a waiting message that an app above casework offers on its inbox page
    (letters: record it as the reply to one of our letters). ``context`` gives the template's
    context for this member and message, or None when the action is not theirs to take."""

    template: str
    context: Callable[[Membership, InboundMessage], dict | None]


_TRIAGE_ACTIONS: list[TriageAction] = []


def register_triage_action(action: TriageAction) -> None:
    if action not in _TRIAGE_ACTIONS:
        _TRIAGE_ACTIONS.append(action)


def triage_actions(*, membership: Membership, message: InboundMessage) -> list[tuple[str, dict]]:
    """The apps' triage actions this member may take on a waiting message: (template, context)."""
    if message.status != InboundMessage.Status.PENDING:
        return []
    offered = []
    for action in _TRIAGE_ACTIONS:
        context = action.context(membership, message)
        if context is not None:
            offered.append((action.template, context))
    return offered


@dataclass
class Received:
    message: InboundMessage
    created: bool
    handled_as: str = ""  # what an app's inbound handler did with it, if one took it

    @property
    def notice(self) -> str:
        """What to tell the person who added the message."""
        message = self.message
        if not self.created:
            when = timezone.localtime(message.received_at)
            return (
                f"This message (“{message}”) was already received on {when:%d/%m/%Y at %H:%M} "
                f"({message.get_source_display().lower()}), so it was not added again: here is that copy."
            )
        if self.handled_as:
            return self.handled_as
        if message.case_id:
            return f"The message was attached to case {message.case.reference}."
        return "The message is in the inbox, waiting for triage."


def inbound_receive(*, office: Office, raw: bytes, source: str, membership: Membership | None = None) -> Received:
    """Keep a message and match it: an app's handler first, then a case reference in its subject.

    ``membership`` is the member adding it (None for a mailbox). A member's message reaches only
    a case they may see; otherwise it waits in the inbox, saying nothing of the case.
    The same message received twice is kept once (see ``ParsedMessage.fingerprint``).
    """
    if membership is not None and membership.office_id != office.pk:
        raise ValueError("The member must belong to the office receiving the message.")
    by = membership.user if membership is not None else None
    parsed = message_parse(raw)
    fingerprint = parsed.fingerprint()
    existing = InboundMessage.objects.for_office(office).filter(fingerprint=fingerprint).first()
    if existing is not None:
        return Received(existing, created=False)

    handled_as = ""
    message = InboundMessage(
        office=office,
        sha256=hashlib.sha256(raw).hexdigest(),
        fingerprint=fingerprint,
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
        constituent=sender_constituent(office=office, address=parsed.from_address, membership=membership),
    )
    try:
        with transaction.atomic():
            message.raw.save("message.eml", ContentFile(raw), save=False)
            message.save()
            try:
                for handler in _HANDLERS:
                    if handled_as := handler(message=message, parsed=parsed, membership=membership):
                        break
                else:
                    case = _case_named(office=office, subject=parsed.subject, membership=membership)
                    if case is not None:
                        _attach(message=message, case=case, by=by, parsed=parsed)
            except LeaveForTriage as reason:
                logger.info("Inbound message %s left for triage: %s", message.pk, reason)
    except IntegrityError:
        # Received at the same moment by another process (two ingest runs, an upload and a
        # paste): the unique fingerprint let one in; keep theirs.
        message.raw.delete(save=False)
        existing = InboundMessage.objects.for_office(office).filter(fingerprint=fingerprint).first()
        if existing is None:
            raise
        return Received(existing, created=False)
    return Received(message, created=True, handled_as=handled_as or "")


def _case_named(*, office: Office, subject: str, membership: Membership | None) -> Case | None:
    """The case whose reference the subject carries, among those the member may see.

    A mailbox has no member: its message reaches any case of the office, where only the people
    who may see that case see it (a constituent's e-mail about a sensitive case belongs on it).
    """
    reference = case_reference_in(office=office, subject=subject)
    if reference is None:
        return None
    cases = cases_for(membership=membership) if membership is not None else Case.objects.for_office(office)
    return cases.filter(reference=reference).first()


class AlreadyTriaged(ValueError):
    pass


def _claim(message: InboundMessage, *, status: str, by, case: Case | None = None, filed_as: str = "") -> None:
    """Move a pending message on, once: two people triaging it at the same moment cannot both."""
    claimed = InboundMessage.objects.filter(pk=message.pk, status=InboundMessage.Status.PENDING).update(
        status=status, triaged_by=by, triaged_at=timezone.now(), case=case, filed_as=filed_as
    )
    if claimed != 1:
        raise AlreadyTriaged("Someone has already dealt with this message.")
    message.status = status
    message.case = case
    message.triaged_by = by
    message.filed_as = filed_as


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
