"""Replies to our letters: the document check, recording a reply, and forwarding it to the constituents."""

from __future__ import annotations

import hashlib
from datetime import date

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from casework.services import timeline_record
from casework.uploads import ALLOWED_DESCRIPTION, TypeNotAllowed, UploadRefused, content_type_check
from letters.models import (
    Letter,
    LetterTemplate,
    Reply,
    Status,
)
from letters.services.errors import LetterError
from letters.services.letters import (
    _move,
    _own_cases,
    letter_from_template,
    letter_submit,
)

# --- replies --------------------------------------------------------------------------------


def reply_document_check(document: UploadedFile[bytes]) -> str:
    """The document's real content type, or ValidationError saying what to do."""
    limit = settings.LETTER_REPLY_MAX_BYTES
    size = document.size or 0
    if size > limit:
        raise ValidationError(
            f"The file is {size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB. "
            "Upload a smaller scan, or a PDF."
        )
    try:
        return content_type_check(document)
    except TypeNotAllowed as refused:
        raise ValidationError(
            f"This file's content is not an allowed type. Upload a {ALLOWED_DESCRIPTION} file."
        ) from refused
    except UploadRefused as refused:
        raise ValidationError(f"This file {refused}") from refused


@transaction.atomic
def reply_record(
    *,
    letter: Letter,
    by: User | None,
    received_on: date,
    from_name: str,
    summary: str,
    outcome: str,
    document: UploadedFile[bytes] | None = None,
) -> Reply:
    """Record a reply: the letter becomes "reply received" and each linked case hears of it."""
    if letter.status not in (Status.SENT, Status.REPLY_RECEIVED):
        raise LetterError("A reply can be recorded only for a letter that has been sent.")
    if letter.sent_on is None:
        raise LetterError("This letter has no date it was sent on: record it as sent again, then the reply.")
    if received_on < letter.sent_on:
        raise ValidationError({"received_on": "The reply cannot arrive before the letter was sent."})
    reply = Reply(
        office=letter.office,
        letter=letter,
        received_on=received_on,
        from_name=from_name,
        summary=summary,
        outcome=outcome,
        days_to_reply=(received_on - letter.sent_on).days,
        recorded_by=by,
    )
    if document is not None:
        content = document.read()
        document.seek(0)
        reply.document_type = reply_document_check(document)
        reply.document_name = (document.name or "reply")[:255]
        reply.document_size = document.size
        reply.document_sha256 = hashlib.sha256(content).hexdigest()
        reply.document.save("reply", ContentFile(content), save=False)
    reply.full_clean()
    reply.save()
    if letter.status == Status.SENT:
        _move(letter, to=Status.REPLY_RECEIVED, by=by, office=letter.office, comment=f"Reply from {from_name}.")
    for case in _own_cases(letter):
        timeline_record(
            case=case,
            kind="reply",
            title=f"Reply to {letter.reference} from {from_name}",
            actor=by,
            body=summary,
            source=reply,
            data={"letter_id": letter.pk, "reference": letter.reference, "outcome": outcome},
        )
    return reply


@transaction.atomic
def reply_forward(*, reply: Reply, by: User, template: LetterTemplate) -> list[Letter]:
    """One covering letter per constituent of the linked cases, each enclosing the reply.

    The covering letters go to the MP for approval (the MP approves every letter) and are
    then sent like any other; each is recorded on its case's timeline now.
    """
    letter = reply.letter
    if template.office_id != letter.office_id:
        raise ValueError("The template must belong to the office.")
    covering: list[Letter] = []
    for case in _own_cases(letter):
        people = [case.correspondent] if case.correspondent_id else list(case.constituents.all())
        for person in people:
            if person is None or person.letters.filter(encloses_reply=reply).exists():
                continue  # forwarded already: one step, not twice
            draft = letter_from_template(
                template=template,
                office=letter.office,
                by=by,
                recipient_kind=Letter.RecipientKind.CONSTITUENT,
                recipient_constituent=person,
                cases=[case],
                campaign=letter.campaign,
                encloses_reply=reply,
            )
            letter_submit(letter=draft, by=by, comment=f"Forwards the reply to {letter.reference}.")
            timeline_record(
                case=case,
                kind="letter",
                title=f"Reply to {letter.reference} forwarded to {person.display_name} ({draft.reference})",
                actor=by,
                body="Covering letter waiting for the MP's approval.",
                source=draft,
                data={"letter_id": draft.pk, "reference": draft.reference, "encloses_reply": reply.pk},
            )
            covering.append(draft)
    if not covering:
        raise LetterError("There is nobody to forward this reply to: the letter has no linked cases with constituents.")
    return covering
