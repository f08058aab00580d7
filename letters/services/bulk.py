"""Bulk replies (mail merge): one template to every constituent of a campaign or case list.

Preparing a run writes one ``BulkItem`` per constituent (unique per run), so the preview's
count is exactly what will be sent. Unless the office lets staff send bulk replies themselves
(``Office.staff_may_send_bulk``), the run then waits for the MP to approve its template and
its number of letters; an approved run is counted again when staff start it, and goes back to
the MP instead if the count or the template changed meanwhile. Once started, Celery works
through the items in chunks:

- a chunk claims up to N pending items with row locks (SKIP LOCKED on PostgreSQL, so two
  workers take different items; SQLite serialises writers anyway);
- for each item it creates the letter through the letters services, records it on the case
  (a contact and a timeline entry) and marks the item done, all in one transaction with the
  item's status change: a worker killed half-way rolls the chunk back and the items stay
  pending, so no constituent ever gets two letters from a run;
- after the commit, the chunk's postal letters go into one print-ready PDF batch (rendering
  holds no lock); postal letters a dead worker left unbatched are batched by a later chunk;
- e-mails leave after the commit from the letters' outbox (``letters.emails``), as single
  letters' do: at least once;
- an item that fails (no usable address, a merge field the constituent has no value for,
  a rendering error) is marked failed with the reason; the run goes on.

A run whose worker died stops making progress; the resume sweep (every minute) queues it
again once it has been still for ``BULK_STALL_SECONDS``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from campaigns.models import Campaign
from campaigns.services import campaign_cases
from casework.filters import CaseFilter
from casework.models import Case, CaseConstituent
from casework.selectors import cases_for
from letters.models import (
    BulkItem,
    BulkRun,
    Letter,
    LetterTemplate,
)
from letters.services.errors import LetterError
from mpoffice.models import Membership, Office
from mpoffice.notifications import notifications_create

logger = logging.getLogger(__name__)

# How many chunk tasks work on one run at once (one per worker process is the useful most).
BULK_PARALLEL = 2


class BulkItemError(Exception):
    """Why this constituent's letter cannot be made; the message says what to do."""


class BulkRunError(LetterError):
    """A request the run's state does not allow; the message says what to do."""


# --- choosing who gets a letter --------------------------------------------------------------


def bulk_recipients(*, cases: QuerySet[Case]) -> list[tuple[int, int]]:
    """(constituent id, case id) per person to write to: the case's correspondent when it has
    one, else each constituent of the case; a person on several cases is written to once,
    about the oldest. Merged-away records are left out (their cases moved to the survivor)."""
    rows = (
        CaseConstituent.objects.filter(case__in=cases, constituent__merged_into=None)
        .values_list("constituent_id", "case_id", "case__correspondent_id")
        .order_by("case__opened_at", "case_id", "pk")
    )
    chosen: dict[int, int] = {}
    for constituent_id, case_id, correspondent_id in rows:
        chosen.setdefault(correspondent_id or constituent_id, case_id)
    return list(chosen.items())


def _recipient_source(*, run: BulkRun, membership: Membership) -> QuerySet[Case]:
    """The cases the run's recipients come from, as they are now: its campaign's, or the
    case list with the filters chosen when it was prepared."""
    cases = cases_for(membership=membership)
    if run.campaign is not None:
        return campaign_cases(campaign=run.campaign, cases=cases)
    if run.case_filter is None:
        raise BulkRunError(
            "The campaign this bulk reply was prepared for has been deleted. Discard it and prepare a new one."
        )
    case_filter = CaseFilter(MultiValueDict(run.case_filter), queryset=cases, membership=membership)  # type: ignore[no-untyped-call]  # django-filter is untyped
    if not case_filter.is_valid():
        raise BulkRunError(
            "The case filters this bulk reply was prepared with no longer apply (a topic, ward, tag or person "
            "has gone). Discard it and prepare a new one."
        )
    filtered: QuerySet[Case] = case_filter.qs
    return filtered


def _items_replace(*, run: BulkRun, recipients: list[tuple[int, int]]) -> None:
    """Make the run's items exactly ``recipients`` (only before it starts: no letter exists yet)."""
    current = set(run.items.values_list("constituent_id", "case_id"))
    if current != set(recipients):
        run.items.all().delete()
        BulkItem.objects.bulk_create(
            [
                BulkItem(office=run.office, run=run, constituent_id=constituent_id, case_id=case_id)
                for constituent_id, case_id in recipients
            ],
            batch_size=1000,
        )
    run.total = len(recipients)


def _nobody() -> LetterError:
    return LetterError(
        "Nobody to write to: none of these cases has a constituent. Choose another campaign or widen the filters."
    )


@transaction.atomic
def bulk_run_prepare(
    *,
    office: Office,
    by: User,
    template: LetterTemplate,
    cases: QuerySet[Case],
    description: str,
    campaign: Campaign | None = None,
    case_filter: dict[str, list[str]] | None = None,
) -> BulkRun:
    """A run with one item per recipient; nothing is sent until it is started.

    It waits for the MP's approval unless the office lets staff send bulk replies themselves.
    ``case_filter`` (the case-list filters, when the run is not a campaign's) is kept so that
    the recipients can be counted again before an approved run starts.
    """
    if template.office_id != office.pk or (campaign is not None and campaign.office_id != office.pk):
        raise ValueError("The template and campaign must belong to the office.")
    recipients = bulk_recipients(cases=cases.filter(office=office))
    if not recipients:
        raise _nobody()
    run = BulkRun.objects.create(
        office=office,
        template=template,
        campaign=campaign,
        case_filter=case_filter if campaign is None else None,
        description=description[:300],
        status=BulkRun.Status.DRAFT if office.staff_may_send_bulk else BulkRun.Status.AWAITING_APPROVAL,
        total=len(recipients),
        created_by=by,
    )
    BulkItem.objects.bulk_create(
        [
            BulkItem(office=office, run=run, constituent_id=constituent_id, case_id=case_id)
            for constituent_id, case_id in recipients
        ],
        batch_size=1000,
    )
    return run


def _locked(run: BulkRun) -> BulkRun:
    """The run read again under a row lock: approvals, returns and starts are one at a time."""
    return (
        BulkRun.objects.select_for_update(of=("self",))
        .select_related("office", "template", "campaign", "created_by")
        .get(pk=run.pk)
    )


def _tell_preparer(run: BulkRun, *, kind: str, title: str, body: str = "") -> None:
    notifications_create(
        office=run.office, users=[run.created_by], kind=kind, title=title, body=body, url=run.get_absolute_url()
    )


@transaction.atomic
def bulk_run_submit(*, run: BulkRun, member: Membership) -> BulkRun:
    """Ask the MP (again) to approve a run: one prepared while staff could send bulk replies
    themselves, or one the MP returned. Its recipients are counted afresh first."""
    run = _locked(run)
    if run.status not in (BulkRun.Status.DRAFT, BulkRun.Status.RETURNED):
        raise BulkRunError("This bulk reply is not a draft or a returned one: there is nothing to ask the MP.")
    recipients = bulk_recipients(cases=_recipient_source(run=run, membership=member))
    if not recipients:
        raise _nobody()
    _items_replace(run=run, recipients=recipients)
    run.status = BulkRun.Status.AWAITING_APPROVAL
    run.save(update_fields=["status", "total"])
    return run


@transaction.atomic
def bulk_run_approve(*, run: BulkRun, member: Membership) -> BulkRun:
    """The MP approves the template and the number of letters; staff may then start the run."""
    run = _locked(run)
    if run.status != BulkRun.Status.AWAITING_APPROVAL:
        raise BulkRunError("This bulk reply is not waiting for approval.")
    run.status = BulkRun.Status.APPROVED
    run.approved_by, run.approved_at = member.user, timezone.now()
    run.approved_total, run.approved_template_fingerprint = run.total, run.template.fingerprint
    run.save(update_fields=["status", "approved_by", "approved_at", "approved_total", "approved_template_fingerprint"])
    _tell_preparer(
        run,
        kind="bulk_approved",
        title=f"Bulk reply #{run.pk} approved: {run.total} letters may be sent",
        body=f"{member.user.get_full_name() or member.user.get_username()} approved it. Start it from its page.",
    )
    return run


@transaction.atomic
def bulk_run_return(*, run: BulkRun, member: Membership, comment: str) -> BulkRun:
    """The MP sends a run back to the staff member who prepared it, saying what should change."""
    comment = comment.strip()
    if not comment:
        raise BulkRunError("Say what should change, so that the office can act on it.")
    run = _locked(run)
    if run.status not in (BulkRun.Status.AWAITING_APPROVAL, BulkRun.Status.APPROVED):
        raise BulkRunError("This bulk reply is not waiting for approval, or has already started.")
    run.status = BulkRun.Status.RETURNED
    run.returned_by, run.returned_at, run.return_comment = member.user, timezone.now(), comment
    run.approved_by, run.approved_at, run.approved_total, run.approved_template_fingerprint = None, None, None, ""
    run.save()
    _tell_preparer(run, kind="bulk_returned", title=f"Bulk reply #{run.pk} returned by the MP", body=comment)
    return run


@dataclass(frozen=True)
class BulkStart:
    """What pressing Start did: ``started``, or why not (the message says what happens next)."""

    started: bool
    message: str

    def __bool__(self) -> bool:
        return self.started


def _approval_lapsed(*, run: BulkRun, membership: Membership) -> str:
    """Why the MP's approval no longer covers the run ('' while it does). Recipients who changed
    at the same count (one left, one joined) are swapped in without asking again: the MP
    approved a template and a number of letters."""
    recipients = bulk_recipients(cases=_recipient_source(run=run, membership=membership))
    if not recipients:
        raise _nobody()
    reasons = []
    if run.template.fingerprint != run.approved_template_fingerprint:
        reasons.append("The template was changed after the MP approved this bulk reply.")
    if len(recipients) != run.approved_total:
        reasons.append(
            f"The recipients changed after the MP approved this bulk reply: {run.approved_total} "
            f"letter{pluralize(run.approved_total)} approved, {len(recipients)} now."
        )
    _items_replace(run=run, recipients=recipients)
    return " ".join(reasons)


def bulk_run_start(*, run: BulkRun, member: Membership) -> BulkStart:
    """Start a run (once: a second click starts nothing more).

    Unless the office lets staff send bulk replies themselves, only a run the MP approved
    starts, and only while the approval still holds: if the template or the number of
    recipients changed since, the run goes back to the MP and nothing is sent.
    """
    with transaction.atomic():
        run = _locked(run)
        if run.is_started:
            return BulkStart(False, "This bulk reply was already started or cancelled.")
        if run.status == BulkRun.Status.RETURNED:
            return BulkStart(False, "The MP returned this bulk reply. Change what was asked, then ask again.")
        if not run.office.staff_may_send_bulk:
            if run.status == BulkRun.Status.DRAFT:
                return BulkStart(False, "This office's bulk replies need the MP's approval: ask the MP to approve it.")
            if run.status != BulkRun.Status.APPROVED:
                return BulkStart(False, "This bulk reply is waiting for the MP's approval; it can start once approved.")
            if reason := _approval_lapsed(run=run, membership=member):
                run.status = BulkRun.Status.AWAITING_APPROVAL
                run.approved_by, run.approved_at, run.approved_total = None, None, None
                run.approved_template_fingerprint = ""
                run.save()
                return BulkStart(False, f"{reason} Nothing was sent: it has gone back to the MP for approval.")
        now = timezone.now()
        run.status, run.started_at, run.last_progress_at = BulkRun.Status.RUNNING, now, now
        run.save(update_fields=["status", "started_at", "last_progress_at", "total"])
        _queue_chunks(run.pk)
    return BulkStart(True, f"Bulk reply started: {run.total} letters are being made. You can leave this page.")


def bulk_runs_waiting_for_mp(*, office: Office) -> QuerySet[BulkRun]:
    return (
        BulkRun.objects.for_office(office)
        .filter(status=BulkRun.Status.AWAITING_APPROVAL)
        .select_related("template", "created_by")
        .order_by("created_at", "pk")
    )


def bulk_run_cancel(*, run: BulkRun) -> bool:
    """Stop a run: letters already made stay made (and their e-mails still leave); the rest are
    not written. The chunk in progress finishes first."""
    cancelled = BulkRun.objects.filter(pk=run.pk, status__in=[*BulkRun.NOT_STARTED, BulkRun.Status.RUNNING]).update(
        status=BulkRun.Status.CANCELLED, finished_at=timezone.now()
    )
    if cancelled:
        _queue_chunks(run.pk, parallel=1)  # flushes e-mails of letters already made
    return bool(cancelled)


def _queue_chunks(run_id: int, *, parallel: int = BULK_PARALLEL) -> None:
    from letters.tasks import bulk_chunk

    for _ in range(parallel):
        transaction.on_commit(partial(bulk_chunk.delay, run_id))


def bulk_runs_resume(*, now: datetime | None = None) -> list[int]:
    """Queue again every running run that has made no progress for ``BULK_STALL_SECONDS`` (its
    worker died, or its message was lost). The conditional update makes two beats harmless."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.BULK_STALL_SECONDS)
    resumed = []
    for run_id in BulkRun.objects.filter(status=BulkRun.Status.RUNNING, last_progress_at__lt=stale).values_list(
        "pk", flat=True
    ):
        if BulkRun.objects.filter(pk=run_id, status=BulkRun.Status.RUNNING, last_progress_at__lt=stale).update(
            last_progress_at=now
        ):
            logger.warning("bulk run %s made no progress since %s: queued again", run_id, stale)
            _queue_chunks(run_id)
            resumed.append(run_id)
    return resumed


# --- progress --------------------------------------------------------------------------------


@dataclass
class Progress:
    total: int
    done: int
    failed: int
    left: int
    emailed: int
    to_email: int
    batches: int

    @property
    def percent(self) -> int:
        return round(100 * (self.done + self.failed) / self.total) if self.total else 100


def bulk_progress(*, run: BulkRun) -> Progress:
    counts = BulkItem.objects.filter(run=run).aggregate(
        done=Count("pk", filter=Q(status=BulkItem.Status.DONE)),
        failed=Count("pk", filter=Q(status=BulkItem.Status.FAILED)),
        left=Count("pk", filter=Q(status=BulkItem.Status.PENDING)),
        emailed=Count("pk", filter=Q(letter__email_state=Letter.EmailState.SENT)),
        to_email=Count("pk", filter=Q(status=BulkItem.Status.DONE, channel=Letter.Channel.EMAIL)),
    )
    return Progress(total=run.total, batches=run.batches.count(), **counts)
