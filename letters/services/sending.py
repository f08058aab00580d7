"""The one send path: a letter (single or from a bulk reply) is recorded as sent here, through
casework's contact log, then closed or published."""

from __future__ import annotations

import hashlib
from datetime import date
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from casework.models import Contact
from casework.services import contact_log, timeline_record
from letters.models import (
    Letter,
    Status,
)
from letters.pdf import letter_pdf, recipient_details
from letters.services.errors import LetterError
from letters.services.letters import (
    _lock,
    _move,
    _own_cases,
    _record,
    _transition,
)
from letters.workdays import add_working_days
from mpoffice import formats

# --- sending --------------------------------------------------------------------------------


def letter_destination(letter: Letter, channel: str, day: date) -> str:
    """The e-mail address or postal address for the channel; refused with a message if missing."""
    recipient = recipient_details(letter, day)
    who = recipient["name"] or recipient["organisation"] or "The recipient"
    where = (
        f"on the {recipient['organisation']} page under Organisations"
        if letter.recipient_kind == Letter.RecipientKind.POST
        else "on the constituent's record"
    )
    if channel == Letter.Channel.EMAIL:
        if not recipient["email"]:
            raise LetterError(f"{who} has no e-mail address. Add one {where}, or send the letter by post.")
        return str(recipient["email"])
    if not recipient["address_lines"]:
        raise LetterError(f"{who} has no postal address. Add one {where}, or send the letter by e-mail.")
    if letter.recipient_kind == Letter.RecipientKind.POST and not recipient["name"]:
        raise LetterError(
            f"Nobody holds the post of {recipient['post']} on {formats.day(day)}. Add the holder under Organisations."
        )
    return "\n".join(recipient["address_lines"])


def letter_record_sent(
    *,
    letter: Letter,
    by: User | None,
    channel: str,
    sent_on: date,
    destination: str,
    bulk_run_id: int | None = None,
    **frozen: Any,
) -> Letter:
    """Record a letter as sent, the one way for single and bulk letters (inside the caller's
    transaction, which decided it may be sent: the MPs' approval, or a bulk run's): its status
    and transition, where it went and the recipient as on the day, its place in the e-mail
    outbox, and on each of its cases a contact (through casework's ``contact_log``) and a
    timeline entry. ``frozen``: more columns fixed at sending (the PDF, the reply due date)."""
    snapshot = recipient_details(letter, sent_on)
    email = channel == Letter.Channel.EMAIL
    how = Letter.Channel(channel).label.lower()
    in_bulk = f" in bulk reply #{bulk_run_id}" if bulk_run_id else ""
    _transition(
        letter,
        to=Status.SENT,
        by=by,
        office=letter.office,
        comment=f"Sent by {how}{in_bulk} to {destination.splitlines()[0]}",
        sent_on=sent_on,
        sent_channel=channel,
        sent_by=by,
        sent_to=destination,
        recipient_snapshot=snapshot,
        email_state=Letter.EmailState.PENDING if email else Letter.EmailState.NONE,
        **frozen,
    )
    to_whom = ", ".join(part for part in (snapshot["name"], snapshot["post"]) if part) or "the recipient"
    constituent = letter.recipient_constituent if letter.recipient_kind == Letter.RecipientKind.CONSTITUENT else None
    occurred = timezone.now()
    note = f" (bulk reply #{bulk_run_id})" if bulk_run_id else ""
    data = {"letter_id": letter.pk, "reference": letter.reference, "channel": channel}
    if bulk_run_id:
        data["bulk_run"] = bulk_run_id
    for case in _own_cases(letter):
        contact_log(
            office=letter.office,
            by=by,
            case=case,
            constituent=constituent,
            channel=Contact.Channel.EMAIL if email else Contact.Channel.LETTER,
            direction=Contact.Direction.OUTBOUND,
            occurred_at=occurred,
            summary=f"Letter {letter.reference} sent to {to_whom}{note}: {letter.subject}"[:300],
            on_timeline=False,  # the letter's own entry below says it, with a link to the letter
        )
        timeline_record(
            case=case,
            kind="letter",
            title=f"Letter {letter.reference} sent to {to_whom}{note}",
            actor=by,
            body=letter.subject,
            occurred_at=occurred,
            source=letter,
            data=data,
        )
    return letter


@transaction.atomic
def letter_send(*, letter: Letter, by: User, channel: str, sent_on: date | None = None) -> Letter:
    """Send an approved letter: freeze its PDF, work out the reply due date, log it on each case.

    The PDF stored here is the one that was sent; it is never rendered again for this letter.
    An e-mail waits in the outbox (``letters.emails``) and leaves after the transaction commits
    (``letters.tasks.letter_email``), or with the next sweep if that message is lost.
    """
    _lock(letter)
    if not letter.can_transition(Status.SENT):
        raise LetterError(letter.transition_refusal(Status.SENT))
    if channel not in Letter.Channel.values:
        raise LetterError("Choose e-mail or post.")
    sent_on = sent_on or timezone.localdate()
    destination = letter_destination(letter, channel, sent_on)
    pdf_bytes = letter_pdf(letter, sent_on)
    letter.pdf.save(f"{letter.reference}.pdf", ContentFile(pdf_bytes), save=False)
    organisation = letter.organisation
    reply_due_on = (
        add_working_days(sent_on, organisation.reply_target_working_days) if organisation is not None else None
    )
    letter_record_sent(
        letter=letter,
        by=by,
        channel=channel,
        sent_on=sent_on,
        destination=destination,
        reply_due_on=reply_due_on,
        pdf=letter.pdf.name,
        pdf_sha256=hashlib.sha256(pdf_bytes).hexdigest(),
    )
    if channel == Letter.Channel.EMAIL:
        from letters.tasks import letter_email

        transaction.on_commit(partial(letter_email.delay, letter.pk))
    return letter


@transaction.atomic
def letter_close(*, letter: Letter, by: User, comment: str = "") -> Letter:
    return _move(letter, to=Status.CLOSED, by=by, office=letter.office, comment=comment)


@transaction.atomic
def letter_publish(*, letter: Letter, by: User, published_on: date | None = None) -> Letter:
    """Mark a sent letter as published (an open letter)."""
    if letter.sent_on is None:
        raise LetterError("Only a letter that has been sent can be published.")
    Letter.objects.filter(pk=letter.pk).update(published_on=published_on or timezone.localdate())
    _record(
        letter,
        office=letter.office,
        from_status=letter.status,
        to_status=letter.status,
        by=by,
        comment="Published as an open letter.",
    )
    letter.refresh_from_db()
    return letter
