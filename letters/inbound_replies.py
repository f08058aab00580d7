"""E-mailed replies to our letters, recognised on arrival.

A letter sent by e-mail carries its reference in the subject and a reply address that names it
(``reply+MKS-L-2026-0004@…``). When such a reply reaches the inbox (upload, paste or Maildir),
it is recorded as the letter's reply — the original message kept as its document — so the
letter shows "reply received", its cases hear of it, and the overdue reminders stop.
Registered with casework's inbound handlers in ``LettersConfig.ready``.
"""

from __future__ import annotations

import logging
import re

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from casework.inbound import ParsedMessage, inbound_mark_handled
from casework.models import InboundMessage
from letters.models import Letter, Reply, Status
from letters.services import LetterError, reply_record

logger = logging.getLogger(__name__)

SUMMARY_LENGTH = 600


def letter_reference_in(*, prefix: str, text: str) -> str | None:
    """The first of the office's letter references in ``text``, e.g. MKS-L-2026-0004."""
    match = re.search(rf"(?<![A-Za-z0-9]){re.escape(prefix)}-L-(\d{{4}})-(\d{{1,6}})(?!\d)", text or "", re.IGNORECASE)
    return f"{prefix}-L-{match.group(1)}-{int(match.group(2)):04d}" if match else None


def reply_from_email(message: InboundMessage, parsed: ParsedMessage) -> str | None:
    """Record ``message`` as the reply to the sent letter it names; None leaves it in the inbox."""
    office = message.office
    reference = letter_reference_in(prefix=office.reference_prefix, text=f"{parsed.to} {parsed.subject}")
    if reference is None:
        return None
    letter = (
        Letter.objects.for_office(office)
        .filter(reference=reference, status__in=[Status.SENT, Status.REPLY_RECEIVED])
        .first()
    )
    if letter is None:
        return None
    received_on = max(timezone.localdate(parsed.sent_at) if parsed.sent_at else timezone.localdate(), letter.sent_on)
    with message.raw.open("rb") as handle:
        raw = handle.read()
    summary = f"{parsed.subject}\n\n{parsed.body}".strip()[:SUMMARY_LENGTH]
    try:
        with transaction.atomic():
            reply_record(
                letter=letter,
                by=message.received_by,
                received_on=received_on,
                from_name=(parsed.from_name or parsed.from_address or "Unknown sender")[:200],
                summary=summary,
                outcome=Reply.Outcome.OTHER,
                document=SimpleUploadedFile(f"reply-{reference}.eml", raw, content_type="message/rfc822"),
            )
            inbound_mark_handled(message=message)
    except (ValidationError, LetterError) as error:
        # Too large, say: it stays in the inbox for a person to record by hand.
        logger.info("E-mailed reply to %s left for triage: %s", reference, error)
        return None
    return f"Recorded as the reply to letter {letter.reference}; its reminders stop."
