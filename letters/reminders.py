"""The reminder sweeps: what is due, derived from the database each run.

Each sweep selects the rows that are due and have no reminder yet, and raises one reminder
per row through ``mpoffice.reminders.reminder_raise`` (unique key, notifications and side
effect in one transaction). A lost message, a dead worker or a second beat only delays a
reminder: the next run finds the row still due and still without its reminder. A row that
fails is recorded (System status) and skipped; the rest go on.

These live in letters because letters is the top of the dependency chain (letters ->
casework -> mpoffice): the case-review and follow-up sweeps read casework rows from here.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from campaigns.models import FollowUpAction
from casework.models import Case
from casework.services import timeline_record
from letters import cosigning
from letters.models import Letter, LetterSignatory, Status
from letters.pdf import uk_date
from letters.selectors import letters_drafted_by
from letters.services import letter_create
from letters.workdays import add_working_days
from mpoffice.models import Membership, Office, Reminder, Role
from mpoffice.reminders import SweepResult, reminder_exists, reminder_raise, sweep_run

# Rows handled per sweep run: bounded work per task; the next run (a minute later) continues.
SWEEP_BATCH = 500


def _members(office_id: int, role: str) -> list:
    return [
        m.user for m in Membership.objects.filter(office_id=office_id, role=role, is_active=True).select_related("user")
    ]


def _not_raised(queryset: QuerySet, *, kind: str, due_field: str) -> QuerySet:
    """The rows of ``queryset`` that have no reminder of ``kind`` for their current due date."""
    content_type = ContentType.objects.get_for_model(queryset.model)
    raised = Reminder.objects.filter(
        kind=kind, source_type=content_type, source_id=OuterRef("pk"), due_on=OuterRef(due_field)
    )
    return queryset.exclude(Exists(raised))


# --- chaser letters -------------------------------------------------------------------------


def letter_chaser_draft(*, letter: Letter) -> Letter:
    """A draft chasing an unanswered letter: same post, same cases, same campaign.

    Called inside the reminder's transaction, so it is drafted exactly once per due date.
    """
    if letter.recipient_post_id is None:
        raise ValueError(f"Letter {letter.reference} is not to a post, so there is nobody to chase.")
    cases = [link.case for link in letter.letter_cases.select_related("case").filter(case__office_id=letter.office_id)]
    body = (
        f"I wrote to you on {uk_date(letter.sent_on)} about {letter.subject} (our reference {letter.reference}). "
        f"A reply was due by {uk_date(letter.reply_due_on)} and I have not yet received one.\n\n"
        "I would be grateful for a full reply as soon as possible, quoting the reference above. If a reply has "
        "already been sent, please accept my thanks and send a copy to my office."
    )
    chaser = letter_create(
        office=letter.office,
        by=letter.created_by,
        subject=f"Chasing our letter {letter.reference}: {letter.subject}"[:300],
        body=body,
        recipient_post=letter.recipient_post,
        cases=cases,
        campaign=letter.campaign,
    )
    for case in cases:
        timeline_record(
            case=case,
            kind="letter",
            title=f"Chaser {chaser.reference} drafted: no reply to {letter.reference}",
            body=f"The reply was due by {letter.reply_due_on:%d/%m/%Y}.",
            source=chaser,
            data={"letter_id": chaser.pk, "reference": chaser.reference, "chases": letter.reference},
        )
    return chaser


# --- the sweeps -----------------------------------------------------------------------------


def replies_overdue_due(*, today: date) -> QuerySet[Letter]:
    letters = Letter.objects.filter(status=Status.SENT, reply_due_on__lt=today)
    return (
        _not_raised(letters, kind=Reminder.Kind.REPLY_OVERDUE, due_field="reply_due_on")
        .select_related("office", "created_by", "recipient_post__organisation")
        .order_by("reply_due_on", "pk")
    )


def _drafter_if_they_may_see(letter: Letter) -> list:
    """The letter's drafter, unless they may no longer see it (its case has become sensitive
    and is someone else's, or they left the office): the reminder names the letter."""
    if letter.created_by_id is None:
        return []
    membership = Membership.objects.filter(office_id=letter.office_id, user_id=letter.created_by_id, is_active=True)
    membership = membership.select_related("office").first()
    if membership is None or not letters_drafted_by(membership=membership).filter(pk=letter.pk).exists():
        return []
    return [letter.created_by]


def reply_overdue_raise(letter: Letter) -> Reminder | None:
    organisation = letter.organisation.name if letter.organisation else "the recipient"
    return reminder_raise(
        office=letter.office,
        kind=Reminder.Kind.REPLY_OVERDUE,
        source=letter,
        due_on=letter.reply_due_on,
        title=f"Reply overdue: {letter.reference} to {organisation}",
        body=(
            f"{organisation} was due to reply to “{letter.subject}” by {letter.reply_due_on:%d/%m/%Y}. "
            "A chaser letter has been drafted for you to check and send (Letters, drafts)."
        ),
        url=letter.get_absolute_url(),
        recipients=[*_drafter_if_they_may_see(letter), *_members(letter.office_id, Role.STAFF)],
        effect=lambda reminder: letter_chaser_draft(letter=letter),
    )


def sweep_replies_overdue(*, today: date | None = None) -> SweepResult:
    today = today or timezone.localdate()
    return sweep_run(
        name="replies-overdue",
        rows=list(replies_overdue_due(today=today)[:SWEEP_BATCH]),
        handle=reply_overdue_raise,
        describe=lambda letter: (letter.office_id, f"letter {letter.reference}"),
    )


def case_reviews_due(*, today: date) -> QuerySet[Case]:
    cases = Case.objects.filter(status__in=Case.OPEN_STATUSES, review_by__lte=today)
    return (
        _not_raised(cases, kind=Reminder.Kind.CASE_REVIEW, due_field="review_by")
        .select_related("office", "assignee")
        .order_by("review_by", "pk")
    )


def case_review_raise(case: Case) -> Reminder | None:
    # A case with nobody assigned is the office staff's to review. The title names the case
    # reference only: a sensitive case's summary stays on its page.
    recipients = [case.assignee] if case.assignee_id else _members(case.office_id, Role.STAFF)
    return reminder_raise(
        office=case.office,
        kind=Reminder.Kind.CASE_REVIEW,
        source=case,
        due_on=case.review_by,
        title=f"Case review due: {case.reference}",
        body=f"Case {case.reference} was due for review on {case.review_by:%d/%m/%Y}.",
        url=case.get_absolute_url(),
        recipients=recipients,
    )


def actions_overdue_due(*, today: date) -> QuerySet[FollowUpAction]:
    actions = FollowUpAction.objects.filter(done_at=None, due_on__lt=today)
    return (
        _not_raised(actions, kind=Reminder.Kind.ACTION_OVERDUE, due_field="due_on")
        .select_related("office", "owner", "meeting__campaign")
        .order_by("due_on", "pk")
    )


def action_overdue_raise(action: FollowUpAction) -> Reminder | None:
    recipients = [action.owner] if action.owner_id else _members(action.office_id, Role.STAFF)
    campaign = action.meeting.campaign
    return reminder_raise(
        office=action.office,
        kind=Reminder.Kind.ACTION_OVERDUE,
        source=action,
        due_on=action.due_on,
        title=f"Follow-up action overdue: {action.description}"[:300],
        body=(
            f"Agreed at the meeting in {action.meeting.place} on {action.meeting.held_on:%d/%m/%Y} "
            f"({campaign.name}); it was due by {action.due_on:%d/%m/%Y}."
        ),
        url=campaign.get_absolute_url(),
        recipients=recipients,
    )


def sweep_casework(*, today: date | None = None) -> list[SweepResult]:
    today = today or timezone.localdate()
    return [
        sweep_run(
            name="case-reviews",
            rows=list(case_reviews_due(today=today)[:SWEEP_BATCH]),
            handle=case_review_raise,
            describe=lambda case: (case.office_id, f"case {case.reference}"),
        ),
        sweep_run(
            name="follow-up-actions",
            rows=list(actions_overdue_due(today=today)[:SWEEP_BATCH]),
            handle=action_overdue_raise,
            describe=lambda action: (action.office_id, f"follow-up action #{action.pk}: {action.description[:80]}"),
        ),
    ]


def approval_due_on(signatory: LetterSignatory, working_days: int) -> date:
    """The last working day the letter may wait: it was submitted (its last status change, which
    approving one signatory of several does not move) plus ``working_days`` UK working days."""
    submitted = timezone.localdate(signatory.letter.updated_at)
    return add_working_days(submitted, working_days)


def approvals_waiting_due(*, today: date, working_days: int) -> list[LetterSignatory]:
    # Anything submitted today or later cannot be late; the exact working-day count is Python's.
    start_of_today = timezone.make_aware(datetime.combine(today, time.min))
    candidates = (
        LetterSignatory.objects.filter(
            state=LetterSignatory.State.PENDING,
            letter__status=Status.AWAITING_APPROVAL,
            letter__updated_at__lt=start_of_today,
        )
        .select_related("letter__office", "office")
        .order_by(F("letter__updated_at").asc(), "pk")
    )
    due = []
    for signatory in candidates[: SWEEP_BATCH * 4]:
        due_on = approval_due_on(signatory, working_days)
        if due_on < today and not reminder_exists(kind=Reminder.Kind.APPROVAL_WAITING, source=signatory, due_on=due_on):
            due.append(signatory)
    return due[:SWEEP_BATCH]


def approval_waiting_raise(signatory: LetterSignatory, *, working_days: int) -> Reminder | None:
    letter = signatory.letter
    due_on = approval_due_on(signatory, working_days)
    office: Office = signatory.office
    return reminder_raise(
        office=office,
        kind=Reminder.Kind.APPROVAL_WAITING,
        source=signatory,
        due_on=due_on,
        title=f"Letter waiting for your approval: {letter.reference}",
        body=(
            f"“{cosigning.subject_for(letter, office)}” has waited for your approval for more than "
            f"{working_days} working days "
            f"(since {timezone.localdate(letter.updated_at):%d/%m/%Y})."
        ),
        url=letter.get_absolute_url(),
        recipients=_members(office.pk, Role.MP),
    )


def sweep_approvals(*, today: date | None = None, working_days: int) -> SweepResult:
    today = today or timezone.localdate()
    return sweep_run(
        name="approvals-waiting",
        rows=approvals_waiting_due(today=today, working_days=working_days),
        handle=lambda signatory: approval_waiting_raise(signatory, working_days=working_days),
        describe=lambda signatory: (signatory.office_id, f"letter {signatory.letter.reference}"),
    )
