"""A letter's life before it goes out: references, drafting, co-signers, approval. Plain, typed,
keyword-only functions used by views, tasks and the demo loader alike. Each validates, writes inside a
transaction and records the transition."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import Campaign
from casework.models import Case, Constituent
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
from letters.pdf import recipient_details
from letters.services.errors import LetterConflict, LetterError
from mpoffice.models import Membership, Office, Role

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


def _record(
    letter: Letter, *, office: Office, from_status: str, to_status: str, by: User | None, comment: str = ""
) -> None:
    LetterTransition.objects.create(
        office=office, letter=letter, from_status=from_status, to_status=to_status, by=by, comment=comment
    )


def _move(letter: Letter, *, to: str, by: User | None, office: Office, comment: str = "", **changes: Any) -> Letter:
    """Change status if allowed and if nobody changed it meanwhile; record who, when and why."""
    if not letter.can_transition(to):
        raise LetterError(letter.transition_refusal(to))
    return _transition(letter, to=to, by=by, office=office, comment=comment, **changes)


def _transition(
    letter: Letter, *, to: str, by: User | None, office: Office, comment: str = "", **changes: Any
) -> Letter:
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
    by: User | None,
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
    from letters.pdf import merge_values

    day = timezone.localdate()
    filled = merge.render(letter.subject, merge_values(letter, day, recipient_details(letter, day)))[:300]
    Letter.objects.filter(pk=letter.pk).update(subject=filled)
    letter.subject = filled


def _check_recipient(*, kind: str, post: Post | None, constituent: Constituent | None) -> None:
    if kind == Letter.RecipientKind.POST and post is None:
        raise ValidationError({"recipient_post": "Choose the post the letter is to."})
    if kind == Letter.RecipientKind.CONSTITUENT and constituent is None:
        raise ValidationError({"recipient_kind": "Link a case: the letter goes to the constituent of that case."})


def letter_from_template(*, template: LetterTemplate, office: Office, by: User | None, **kwargs: Any) -> Letter:
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
    by: User,
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
def letter_invite_cosigner(*, letter: Letter, by: User, office: Office) -> LetterSignatory:
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
def letter_submit(*, letter: Letter, by: User | None, comment: str = "") -> Letter:
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
def letter_approve(*, letter: Letter, member: Membership) -> Letter:
    """The MP of ``member``'s office approves their own signature; the last approval approves the letter."""
    _lock(letter)  # two MPs approving at once
    signatory = _signatory_for(letter, member)
    signatory.state = LetterSignatory.State.APPROVED
    signatory.approved_by = member.user
    signatory.approved_at = timezone.now()
    signatory.save(update_fields=["state", "approved_by", "approved_at"])
    if letter.signatories.exclude(state=LetterSignatory.State.APPROVED).exists():
        _record(
            letter,
            office=member.office,
            from_status=letter.status,
            to_status=letter.status,
            by=member.user,
            comment=f"Approved by {signatory.signer_name} MP; waiting for the other signatories.",
        )
        return letter
    return _move(
        letter,
        to=Status.APPROVED,
        by=member.user,
        office=member.office,
        comment=f"Approved by {signatory.signer_name} MP.",
    )


@transaction.atomic
def letter_return(*, letter: Letter, member: Membership, comment: str) -> Letter:
    if not comment.strip():
        raise ValidationError({"comment": "Say what should change, so that the drafter can act on it."})
    _lock(letter)
    signatory = _signatory_for(letter, member)
    signatory.state = LetterSignatory.State.RETURNED
    signatory.save(update_fields=["state"])
    return _move(letter, to=Status.RETURNED, by=member.user, office=member.office, comment=comment)
