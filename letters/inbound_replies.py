"""E-mailed replies to our letters: recognised on arrival, or recorded from the inbox by hand.

A letter sent by e-mail carries its reference in the subject and a reply address that names it
(``reply+MKS-L-2026-0004@…``). When such a reply reaches the inbox (upload, paste or Maildir),
it is recorded as the letter's reply — the original message kept as its document — so the
letter shows "reply received", its cases hear of it, and the overdue reminders stop.

The letter wins over a case reference in the same subject (our subjects often name the case
too): casework asks this handler before it looks for a case. The reply address wins over a
letter reference in the subject, which may be a quoted, older letter's. A member adding the
message reaches only letters they may see (none linked to a case hidden from them); a mailbox
has no member and reaches every letter of the office.

Registered with casework's inbound handlers in ``LettersConfig.ready``.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from casework.models import Case
from inbound.models import InboundMessage
from inbound.services import LeaveForTriage, ParsedMessage, inbound_mark_handled
from letters.models import Letter, Reply, Status
from letters.selectors import letters_drafted_by, replies_awaiting
from letters.services import LetterError, reply_record
from mpoffice.models import Membership, Office

SUMMARY_LENGTH = 600
REPLY_ADDRESS_TAG = "reply+"


def letter_reference_in(*, prefix: str, text: str) -> str | None:
    """The first of the office's letter references in ``text``, e.g. MKS-L-2026-0004."""
    match = re.search(rf"(?<![A-Za-z0-9]){re.escape(prefix)}-L-(\d{{4}})-(\d{{1,6}})(?!\d)", text or "", re.IGNORECASE)
    return f"{prefix}-L-{match.group(1)}-{int(match.group(2)):04d}" if match else None


def letter_reference_of(*, office: Office, parsed: ParsedMessage) -> str | None:
    """The letter a message answers: its ``reply+<reference>@`` address (in To, Cc or the
    delivery headers) first, else a letter reference in its subject."""
    for address in parsed.recipients:
        local_part = address.rpartition("@")[0]
        if local_part.startswith(REPLY_ADDRESS_TAG):
            reference = letter_reference_in(prefix=office.reference_prefix, text=local_part[len(REPLY_ADDRESS_TAG) :])
            if reference:
                return reference
    return letter_reference_in(prefix=office.reference_prefix, text=parsed.subject)


def letters_open_to_reply(*, office: Office, membership: Membership | None) -> QuerySet[Letter]:
    """The letters an arriving reply may be filed on: sent ones, of the office, that the member
    adding it may see (all of them for a mailbox)."""
    # A mailbox has no member: every letter of the office. A member: the selector's (sensitive-case rule).
    letters = Letter.objects.for_office(office) if membership is None else letters_drafted_by(membership=membership)
    return letters.filter(status__in=[Status.SENT, Status.REPLY_RECEIVED])


def letters_awaiting_reply(*, membership: Membership) -> QuerySet[Letter]:
    """The inbox's picker: sent letters waiting for a reply that this member may see."""
    return replies_awaiting(membership=membership)


def _filed_with(letter: Letter) -> Case | None:
    """The case the message is kept with, so that it is seen only by those who may see the
    letter's cases: a sensitive one first."""
    cases = Case.objects.for_office(letter.office).filter(letter_links__letter=letter)
    return cases.order_by("-is_sensitive", "pk").first()


@transaction.atomic
def inbound_reply_record(
    *, message: InboundMessage, letter: Letter, by, outcome: str = Reply.Outcome.OTHER, note: str = ""
) -> Reply:
    """Record a kept message as the reply to ``letter``; the message leaves the inbox.

    Raises AlreadyTriaged when someone dealt with the message first, LetterError or
    ValidationError when the letter cannot take a reply (nothing is then changed).
    """
    if letter.office_id != message.office_id:
        raise ValueError("The letter must belong to the message's office.")
    arrived = timezone.localdate(message.sent_at) if message.sent_at else timezone.localdate()
    with message.raw.open("rb") as handle:
        raw = handle.read()
    reply = reply_record(
        letter=letter,
        by=by,
        received_on=max(arrived, letter.sent_on),
        from_name=(message.from_name or message.from_address or "Unknown sender")[:200],
        summary=f"{message.subject}\n\n{message.body}".strip()[:SUMMARY_LENGTH],
        outcome=outcome,
        document=SimpleUploadedFile(f"reply-{letter.reference}.eml", raw, content_type="message/rfc822"),
    )
    # Claimed last: when someone dealt with the message first, the reply above is rolled back.
    inbound_mark_handled(
        message=message,
        by=by,
        case=_filed_with(letter),
        note=note or f"Recorded as the reply to letter {letter.reference}.",
    )
    return reply


def reply_from_email(*, message: InboundMessage, parsed: ParsedMessage, membership: Membership | None) -> str | None:
    """Record ``message`` as the reply to the sent letter it names; None leaves it to casework
    (which may attach it to a case its subject names)."""
    office = message.office
    reference = letter_reference_of(office=office, parsed=parsed)
    if reference is None:
        return None
    letter = letters_open_to_reply(office=office, membership=membership).filter(reference=reference).first()
    if letter is None:
        return None
    try:
        with transaction.atomic():
            inbound_reply_record(
                message=message,
                letter=letter,
                by=message.received_by,
                note=f"Filed on arrival as the reply to letter {letter.reference}.",
            )
    except (ValidationError, LetterError) as error:
        # Too large, say: it waits in the inbox for a person (not on the case as a plain e-mail).
        raise LeaveForTriage(f"a reply to {reference} that could not be recorded: {error}") from error
    return f"Recorded as the reply to letter {letter.reference}; its reminders stop."
