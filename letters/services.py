"""State changes of letters: plain, typed, keyword-only functions used by views, tasks and the
demo loader alike. Each validates, writes inside a transaction and records the transition."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import Campaign
from casework.models import Case, Constituent, Contact
from casework.services import contact_log, timeline_record
from casework.uploads import ALLOWED_DESCRIPTION, TypeNotAllowed, UploadRefused, content_type_check
from letters import merge
from letters.models import (
    EDITABLE,
    Letter,
    LetterCase,
    LetterReferenceCounter,
    LetterSignatory,
    LetterTemplate,
    LetterTransition,
    Post,
    Reply,
    Status,
)
from letters.pdf import letter_pdf, recipient_details
from letters.workdays import add_working_days
from mpoffice.models import Membership, Office, Role


class LetterError(Exception):
    """A request the letter's state or data does not allow; the message says what to do."""


class LetterConflict(LetterError):
    """Someone else changed the letter after this editor opened it."""

    def __init__(self, letter: Letter) -> None:
        who = (letter.updated_by.get_full_name() or letter.updated_by.username) if letter.updated_by else "someone"
        when = timezone.localtime(letter.updated_at).strftime("%H:%M")
        super().__init__(
            f"This letter was changed by {who} at {when} since you opened it. Your text is below: "
            "copy it, reload the letter, and apply your changes again."
        )
        self.letter = letter


# --- references -----------------------------------------------------------------------------


def letter_reference_next(*, office: Office, year: int) -> tuple[int, str]:
    """Next letter number of the office for the year, e.g. MKS-L-2026-0007 (inside atomic)."""
    for _attempt in range(3):
        if LetterReferenceCounter.objects.filter(office=office, year=year).update(last_number=F("last_number") + 1):
            break
        try:
            with transaction.atomic():
                LetterReferenceCounter.objects.create(office=office, year=year, last_number=1)
            break
        except IntegrityError:
            continue
    number = LetterReferenceCounter.objects.get(office=office, year=year).last_number
    return number, f"{office.reference_prefix}-L-{year}-{number:04d}"


# --- helpers --------------------------------------------------------------------------------


def _check_text(*, subject: str, body: str) -> None:
    errors = {}
    for name, text in (("subject", subject), ("body", body)):
        problems = merge.template_problems(text)
        if problems:
            errors[name] = problems
    if errors:
        raise ValidationError(errors)


def _record(letter: Letter, *, office: Office, from_status: str, to_status: str, by, comment: str = "") -> None:
    LetterTransition.objects.create(
        office=office, letter=letter, from_status=from_status, to_status=to_status, by=by, comment=comment
    )


def _move(letter: Letter, *, to: str, by, office: Office, comment: str = "", **changes) -> Letter:
    """Change status if allowed and if nobody changed it meanwhile; record who, when and why."""
    if not letter.can_transition(to):
        raise LetterError(letter.transition_refusal(to))
    return _transition(letter, to=to, by=by, office=office, comment=comment, **changes)


def _transition(letter: Letter, *, to: str, by, office: Office, comment: str = "", **changes) -> Letter:
    """``_move`` without the workflow check, for a caller that made its own (a bulk run)."""
    from_status = letter.status
    now = timezone.now()
    updated = Letter.objects.filter(pk=letter.pk, status=from_status).update(
        status=to, version=F("version") + 1, updated_at=now, updated_by=by, **changes
    )
    if not updated:
        letter.refresh_from_db()
        raise LetterError(f"Someone changed this letter a moment ago: it is now {letter.get_status_display().lower()}.")
    _record(letter, office=office, from_status=from_status, to_status=to, by=by, comment=comment)
    letter.refresh_from_db()
    return letter


def _lock(letter: Letter) -> None:
    """Lock the row until the transaction ends and bring the caller's object up to date."""
    Letter.objects.select_for_update().filter(pk=letter.pk).values_list("pk", flat=True).first()
    letter.refresh_from_db()


def _own_cases(letter: Letter) -> list[Case]:
    return [link.case for link in letter.letter_cases.select_related("case").filter(case__office_id=letter.office_id)]


# --- drafting -------------------------------------------------------------------------------


@transaction.atomic
def letter_create(
    *,
    office: Office,
    by,
    subject: str,
    body: str,
    recipient_kind: str = Letter.RecipientKind.POST,
    recipient_post: Post | None = None,
    recipient_constituent: Constituent | None = None,
    cases: Iterable[Case] = (),
    campaign: Campaign | None = None,
    template: LetterTemplate | None = None,
    encloses_reply: Reply | None = None,
) -> Letter:
    cases = list(cases)
    for obj in (recipient_post, recipient_constituent, campaign, template, *cases):
        if obj is not None and obj.office_id != office.pk:
            raise ValueError("Everything a letter refers to must belong to the drafting office.")
    _check_text(subject=subject, body=body)
    _check_recipient(kind=recipient_kind, post=recipient_post, constituent=recipient_constituent)
    today = timezone.localdate()
    number, reference = letter_reference_next(office=office, year=today.year)
    letter = Letter(
        office=office,
        reference=reference,
        year=today.year,
        number=number,
        subject=subject,
        body=body,
        recipient_kind=recipient_kind,
        recipient_post=recipient_post,
        recipient_constituent=recipient_constituent,
        campaign=campaign,
        template=template,
        encloses_reply=encloses_reply,
        created_by=by,
        updated_by=by,
    )
    letter.full_clean()
    letter.save()
    LetterCase.objects.bulk_create([LetterCase(office=office, letter=letter, case=case) for case in cases])
    LetterSignatory.objects.create(
        office=office, letter=letter, signer_name=office.mp_name, constituency=office.constituency, position=0
    )
    _subject_fill(letter)
    return letter


def _subject_fill(letter: Letter) -> None:
    """The subject is a label in lists, e-mails and timelines, so its merge fields (a case
    reference, say) are filled in when the letter is saved; the body keeps its fields until
    it is printed, when the recipient and date are final."""
    if "{{" not in letter.subject:
        return
    from letters.pdf import merge_values, recipient_details

    day = timezone.localdate()
    filled = merge.render(letter.subject, merge_values(letter, day, recipient_details(letter, day)))[:300]
    Letter.objects.filter(pk=letter.pk).update(subject=filled)
    letter.subject = filled


def _check_recipient(*, kind: str, post: Post | None, constituent: Constituent | None) -> None:
    if kind == Letter.RecipientKind.POST and post is None:
        raise ValidationError({"recipient_post": "Choose the post the letter is to."})
    if kind == Letter.RecipientKind.CONSTITUENT and constituent is None:
        raise ValidationError({"recipient_kind": "Link a case: the letter goes to the constituent of that case."})


def letter_from_template(*, template: LetterTemplate, office: Office, by, **kwargs) -> Letter:
    """A new draft whose subject and body start as the template's (merge fields kept)."""
    return letter_create(
        office=office,
        by=by,
        subject=kwargs.pop("subject", "") or template.subject or template.name,
        body=template.body,
        template=template,
        **kwargs,
    )


@transaction.atomic
def letter_edit(
    *,
    letter: Letter,
    by,
    expected_version: int,
    subject: str,
    body: str,
    recipient_kind: str,
    recipient_post: Post | None,
    recipient_constituent: Constituent | None,
    campaign: Campaign | None,
    cases: Iterable[Case],
) -> Letter:
    """Save an edit. Refused if the letter is sent, or changed since the editor opened it.

    Editing a letter that was submitted, approved or returned puts it back to draft and clears
    every approval: the MPs approved the old text, not this one.
    """
    if not letter.is_editable:
        raise LetterError(
            f"This letter is {letter.get_status_display().lower()}: its text can no longer change. "
            "Write a new letter instead."
        )
    _check_text(subject=subject, body=body)
    _check_recipient(kind=recipient_kind, post=recipient_post, constituent=recipient_constituent)
    cases = list(cases)
    from_status = letter.status
    now = timezone.now()
    updated = Letter.objects.filter(pk=letter.pk, version=expected_version, status__in=list(EDITABLE)).update(
        subject=subject,
        body=body,
        recipient_kind=recipient_kind,
        recipient_post=recipient_post,
        recipient_constituent=recipient_constituent,
        campaign=campaign,
        status=Status.DRAFT,
        version=F("version") + 1,
        updated_at=now,
        updated_by=by,
    )
    if not updated:
        letter.refresh_from_db()
        raise LetterConflict(letter)
    letter.refresh_from_db()
    wanted = {case.pk for case in cases}
    letter.letter_cases.exclude(case_id__in=wanted).delete()
    existing = set(letter.letter_cases.values_list("case_id", flat=True))
    LetterCase.objects.bulk_create(
        [LetterCase(office=letter.office, letter=letter, case=case) for case in cases if case.pk not in existing]
    )
    if from_status != Status.DRAFT:
        letter.signatories.update(state=LetterSignatory.State.PENDING, approved_by=None, approved_at=None)
        _record(
            letter,
            office=letter.office,
            from_status=from_status,
            to_status=Status.DRAFT,
            by=by,
            comment="Edited: back to draft, approvals cleared.",
        )
    _subject_fill(letter)
    return letter


@transaction.atomic
def letter_invite_cosigner(*, letter: Letter, by, office: Office) -> LetterSignatory:
    """Make a joint letter: the other office's MP signs too and approves in their own office."""
    if letter.status not in (Status.DRAFT, Status.RETURNED):
        raise LetterError("Co-signatories can be added only while the letter is a draft.")
    if office.pk == letter.office_id:
        raise LetterError("Your own MP already signs this letter: choose another office.")
    if letter.signatories.filter(office=office).exists():
        raise LetterError(f"{office.mp_name} MP already signs this letter.")
    position = letter.signatories.count()
    signatory = LetterSignatory.objects.create(
        office=office, letter=letter, signer_name=office.mp_name, constituency=office.constituency, position=position
    )
    Letter.objects.filter(pk=letter.pk).update(version=F("version") + 1, updated_at=timezone.now(), updated_by=by)
    return signatory


# --- approval -------------------------------------------------------------------------------


@transaction.atomic
def letter_submit(*, letter: Letter, by, comment: str = "") -> Letter:
    letter.signatories.update(state=LetterSignatory.State.PENDING, approved_by=None, approved_at=None)
    return _move(letter, to=Status.AWAITING_APPROVAL, by=by, office=letter.office, comment=comment)


def _signatory_for(letter: Letter, membership: Membership) -> LetterSignatory:
    if membership.role != Role.MP:
        raise LetterError("Only the MP approves or returns letters.")
    signatory = letter.signatories.filter(office=membership.office).first()
    if signatory is None:
        raise LetterError("Your MP does not sign this letter.")
    if letter.status != Status.AWAITING_APPROVAL:
        raise LetterError(
            f"This letter is {letter.get_status_display().lower()}, not awaiting approval: there is nothing to approve."
        )
    if signatory.state == LetterSignatory.State.APPROVED:
        raise LetterError("You have already approved this letter.")
    return signatory


@transaction.atomic
def letter_approve(*, letter: Letter, by: Membership) -> Letter:
    """The MP of ``by``'s office approves their own signature; the last approval approves the letter."""
    _lock(letter)  # two MPs approving at once
    signatory = _signatory_for(letter, by)
    signatory.state = LetterSignatory.State.APPROVED
    signatory.approved_by = by.user
    signatory.approved_at = timezone.now()
    signatory.save(update_fields=["state", "approved_by", "approved_at"])
    if letter.signatories.exclude(state=LetterSignatory.State.APPROVED).exists():
        _record(
            letter,
            office=by.office,
            from_status=letter.status,
            to_status=letter.status,
            by=by.user,
            comment=f"Approved by {signatory.signer_name} MP; waiting for the other signatories.",
        )
        return letter
    return _move(
        letter, to=Status.APPROVED, by=by.user, office=by.office, comment=f"Approved by {signatory.signer_name} MP."
    )


@transaction.atomic
def letter_return(*, letter: Letter, by: Membership, comment: str) -> Letter:
    if not comment.strip():
        raise ValidationError({"comment": "Say what should change, so that the drafter can act on it."})
    _lock(letter)
    signatory = _signatory_for(letter, by)
    signatory.state = LetterSignatory.State.RETURNED
    signatory.save(update_fields=["state"])
    return _move(letter, to=Status.RETURNED, by=by.user, office=by.office, comment=comment)


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
        return recipient["email"]
    if not recipient["address_lines"]:
        raise LetterError(f"{who} has no postal address. Add one {where}, or send the letter by e-mail.")
    if letter.recipient_kind == Letter.RecipientKind.POST and not recipient["name"]:
        raise LetterError(
            f"Nobody holds the post of {recipient['post']} on {day:%d/%m/%Y}. Add the holder under Organisations."
        )
    return "\n".join(recipient["address_lines"])


def letter_record_sent(
    *,
    letter: Letter,
    by,
    channel: str,
    sent_on: date,
    destination: str,
    bulk_run_id: int | None = None,
    **frozen,
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
def letter_send(*, letter: Letter, by, channel: str, sent_on: date | None = None) -> Letter:
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
def letter_close(*, letter: Letter, by, comment: str = "") -> Letter:
    return _move(letter, to=Status.CLOSED, by=by, office=letter.office, comment=comment)


@transaction.atomic
def letter_publish(*, letter: Letter, by, published_on: date | None = None) -> Letter:
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


# --- replies --------------------------------------------------------------------------------


def reply_document_check(document: UploadedFile) -> str:
    """The document's real content type, or ValidationError saying what to do."""
    limit = settings.LETTER_REPLY_MAX_BYTES
    if document.size > limit:
        raise ValidationError(
            f"The file is {document.size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB. "
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
    by,
    received_on: date,
    from_name: str,
    summary: str,
    outcome: str,
    document: UploadedFile | None = None,
) -> Reply:
    """Record a reply: the letter becomes "reply received" and each linked case hears of it."""
    if letter.status not in (Status.SENT, Status.REPLY_RECEIVED):
        raise LetterError("A reply can be recorded only for a letter that has been sent.")
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
        reply.document_name = document.name[:255]
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
def reply_forward(*, reply: Reply, by, template: LetterTemplate) -> list[Letter]:
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
            if person.letters.filter(encloses_reply=reply).exists():
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


# --- Signposting people outside the constituency ----------------------------------------------

SIGNPOSTING_TEMPLATE = (
    "Not our constituent: signposting",
    "Your enquiry ({{ case_reference }})",
    "Thank you for contacting me. By your postcode, your address lies outside {{ constituency }}, and "
    "Members of Parliament take up matters only for the people they represent.\n\n"
    "Your own MP can help you: you can find who they are, and how to contact them, by entering your postcode "
    "at members.parliament.uk or by calling the House of Commons enquiry service on 020 7219 4272.\n\n"
    "If you believe your address is in {{ constituency }}, please reply quoting {{ case_reference }} and I "
    "will look into it.",
)


def signposting_template_ensure(*, office: Office) -> LetterTemplate:
    """The office's reply to someone outside the constituency (kept if staff have edited it)."""
    name, subject, body = SIGNPOSTING_TEMPLATE
    template, _ = LetterTemplate.objects.get_or_create(
        office=office, name=name, defaults={"subject": subject, "body": body}
    )
    return template


def signposting_on_directory_change(office: Office | None) -> None:
    """Listener of geography: an office that sets its constituency gets the signposting template."""
    if office is not None:
        signposting_template_ensure(office=office)
