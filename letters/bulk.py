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
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from campaigns.models import Campaign
from campaigns.services import campaign_cases
from casework.filters import CaseFilter
from casework.models import Case, CaseConstituent, Constituent
from casework.selectors import cases_for
from letters import merge
from letters.emails import letter_emails_send
from letters.models import (
    BulkBatch,
    BulkItem,
    BulkRun,
    Letter,
    LetterTemplate,
)
from letters.pdf import (
    constituent_recipient,
    letter_html,
    merge_values_for,
)
from letters.services import LetterError, letter_create, letter_record_sent
from mpoffice.models import Membership, Office
from mpoffice.notifications import notifications_create
from mpoffice.pdf import pdf_render

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
    if run.campaign_id is not None:
        return campaign_cases(campaign=run.campaign, cases=cases)
    if run.case_filter is None:
        raise BulkRunError(
            "The campaign this bulk reply was prepared for has been deleted. Discard it and prepare a new one."
        )
    case_filter = CaseFilter(MultiValueDict(run.case_filter), queryset=cases, membership=membership)
    if not case_filter.is_valid():
        raise BulkRunError(
            "The case filters this bulk reply was prepared with no longer apply (a topic, ward, tag or person "
            "has gone). Discard it and prepare a new one."
        )
    return case_filter.qs


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
    by,
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
def bulk_run_submit(*, run: BulkRun, by: Membership) -> BulkRun:
    """Ask the MP (again) to approve a run: one prepared while staff could send bulk replies
    themselves, or one the MP returned. Its recipients are counted afresh first."""
    run = _locked(run)
    if run.status not in (BulkRun.Status.DRAFT, BulkRun.Status.RETURNED):
        raise BulkRunError("This bulk reply is not a draft or a returned one: there is nothing to ask the MP.")
    recipients = bulk_recipients(cases=_recipient_source(run=run, membership=by))
    if not recipients:
        raise _nobody()
    _items_replace(run=run, recipients=recipients)
    run.status = BulkRun.Status.AWAITING_APPROVAL
    run.save(update_fields=["status", "total"])
    return run


@transaction.atomic
def bulk_run_approve(*, run: BulkRun, by: Membership) -> BulkRun:
    """The MP approves the template and the number of letters; staff may then start the run."""
    run = _locked(run)
    if run.status != BulkRun.Status.AWAITING_APPROVAL:
        raise BulkRunError("This bulk reply is not waiting for approval.")
    run.status = BulkRun.Status.APPROVED
    run.approved_by, run.approved_at = by.user, timezone.now()
    run.approved_total, run.approved_template_fingerprint = run.total, run.template.fingerprint
    run.save(update_fields=["status", "approved_by", "approved_at", "approved_total", "approved_template_fingerprint"])
    _tell_preparer(
        run,
        kind="bulk_approved",
        title=f"Bulk reply #{run.pk} approved: {run.total} letters may be sent",
        body=f"{by.user.get_full_name() or by.user.get_username()} approved it. Start it from its page.",
    )
    return run


@transaction.atomic
def bulk_run_return(*, run: BulkRun, by: Membership, comment: str) -> BulkRun:
    """The MP sends a run back to the staff member who prepared it, saying what should change."""
    comment = comment.strip()
    if not comment:
        raise BulkRunError("Say what should change, so that the office can act on it.")
    run = _locked(run)
    if run.status not in (BulkRun.Status.AWAITING_APPROVAL, BulkRun.Status.APPROVED):
        raise BulkRunError("This bulk reply is not waiting for approval, or has already started.")
    run.status = BulkRun.Status.RETURNED
    run.returned_by, run.returned_at, run.return_comment = by.user, timezone.now(), comment
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


def bulk_run_start(*, run: BulkRun, by: Membership) -> BulkStart:
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
            if reason := _approval_lapsed(run=run, membership=by):
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


# --- making one letter -----------------------------------------------------------------------


def _merge_values(*, office: Office, constituent: Constituent, case: Case | None, day: date) -> dict[str, str]:
    """The values a constituent's letter will be merged with, before the letter exists."""
    return merge_values_for(
        office=office,
        constituent=constituent,
        case=case,
        recipient=constituent_recipient(constituent),
        day=day,
        letter_reference="(given when sent)",
    )


_FIELD = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def _check_fields(template: LetterTemplate, values: dict[str, str]) -> None:
    used = set(_FIELD.findall(f"{template.subject}\n{template.body}"))
    empty = sorted(name for name in used if not values.get(name, "").strip())
    if empty:
        fields = ", ".join(f"{{{{ {name} }}}}" for name in empty)
        raise BulkItemError(
            f"The template uses {fields}, which is empty for this constituent. "
            "Complete their record (or the case), then send them a letter on its own."
        )


def _channel(constituent: Constituent) -> tuple[str, str]:
    """(channel, destination): e-mail for those who prefer it and can be e-mailed, else post."""
    if not constituent.consent_to_contact:
        raise BulkItemError("They have not agreed to be contacted. If they have since, update their record.")
    can_email = bool(constituent.email) and constituent.contact_by_email
    if constituent.preferred_channel == "email" and can_email:
        return Letter.Channel.EMAIL, constituent.email
    if constituent.contact_by_post and constituent.address_line1 and constituent.postcode:
        return Letter.Channel.POST, "\n".join(constituent.address_lines)
    if can_email:
        return Letter.Channel.EMAIL, constituent.email
    if constituent.contact_by_post and (constituent.address_line1 or constituent.postcode):
        raise BulkItemError("Their postal address is incomplete (it needs the first line and the postcode).")
    raise BulkItemError("There is no address to send to: add a postal or e-mail address to their record.")


def _letter_for(*, run: BulkRun, item: BulkItem, constituent: Constituent, case: Case | None, today: date) -> Letter:
    """Create the letter for one item and record it as sent, as a single letter is (on its case,
    in the e-mail outbox). Inside the chunk's transaction; the run's start stood for approval."""
    template = run.template
    values = _merge_values(office=run.office, constituent=constituent, case=case, day=today)
    _check_fields(template, values)
    # Merged now: a template that cannot be merged for this constituent fails this item only.
    merge.render(template.subject or template.name, values)
    merge.render(template.body, values)
    channel, destination = _channel(constituent)
    by = run.created_by
    letter = letter_create(
        office=run.office,
        by=by,
        subject=template.subject or template.name,
        body=template.body,
        recipient_kind=Letter.RecipientKind.CONSTITUENT,
        recipient_constituent=constituent,
        cases=[case] if case else [],
        campaign=run.campaign,
        template=template,
    )
    return letter_record_sent(
        letter=letter, by=by, channel=channel, sent_on=today, destination=destination, bulk_run_id=run.pk
    )


def _batch_pdf(*, run: BulkRun, item_ids: list[int]) -> BulkBatch | None:
    """One PDF of these items' letters, each starting on a new page with its own page count.

    Rendered outside any transaction; attached only if no other worker batched any of the
    items meanwhile (else this copy is dropped).
    """
    items = list(
        BulkItem.objects.filter(pk__in=item_ids, batch=None, status=BulkItem.Status.DONE)
        .select_related("letter__office", "letter__recipient_constituent", "letter__encloses_reply")
        .prefetch_related("letter__signatories", "letter__letter_cases__case__constituents")
        .order_by("pk")
    )
    if not items:
        return None
    pdf = pdf_render(*(letter_html(item.letter) for item in items))
    with transaction.atomic():
        batch = BulkBatch(office=run.office, run=run, number=items[0].pk, letters=len(items), pages=pdf.pages)
        batch.pdf.save(f"run-{run.pk}-batch.pdf", ContentFile(pdf.content), save=False)
        batch.save()
        attached = BulkItem.objects.filter(pk__in=[item.pk for item in items], batch=None).update(batch=batch)
        if attached != len(items):
            transaction.set_rollback(True)  # another worker batched some of them first
            batch.pdf.delete(save=False)
            return None
    return batch


def _batch_orphans(*, run: BulkRun, size: int) -> None:
    """Batch postal letters whose worker died after making them but before batching them."""
    stale = timezone.now() - timedelta(seconds=settings.BULK_STALL_SECONDS)
    while True:
        ids = list(
            BulkItem.objects.filter(
                run=run, status=BulkItem.Status.DONE, channel=Letter.Channel.POST, batch=None, processed_at__lt=stale
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if not ids or _batch_pdf(run=run, item_ids=ids) is None:
            return


def bulk_chunk_process(*, run_id: int, size: int | None = None) -> bool:
    """Make the letters of up to ``size`` pending items; True while the run has work left."""
    size = size or settings.BULK_CHUNK_SIZE
    run = BulkRun.objects.select_related("office", "template", "campaign", "created_by").filter(pk=run_id).first()
    if run is None:
        return False
    if run.status == BulkRun.Status.RUNNING:
        postal = _chunk(run=run, size=size)
        if postal:
            _batch_pdf(run=run, item_ids=postal)
    _batch_orphans(run=run, size=size)
    bulk_emails_send(run=run)
    return _finish_if_done(run)


def _chunk(*, run: BulkRun, size: int) -> list[int]:
    """Make the letters of up to ``size`` pending items in one transaction; returns the ids of
    the items that go by post (to be batched after the commit)."""
    today = timezone.localdate()
    with transaction.atomic():
        pending = BulkItem.objects.filter(run=run, status=BulkItem.Status.PENDING).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True)
        items = list(pending[:size])
        if not items:
            return []
        # Read under the lock: a cancel that committed meanwhile stops this chunk.
        if not BulkRun.objects.filter(pk=run.pk, status=BulkRun.Status.RUNNING).exists():
            return []
        constituents = Constituent.objects.in_bulk([item.constituent_id for item in items])
        cases = Case.objects.in_bulk([item.case_id for item in items if item.case_id])
        now = timezone.now()
        postal: list[BulkItem] = []
        for item in items:
            constituent = constituents[item.constituent_id]
            try:
                with transaction.atomic():
                    letter = _letter_for(
                        run=run, item=item, constituent=constituent, case=cases.get(item.case_id), today=today
                    )
            except (BulkItemError, LetterError, merge.MergeError) as exc:
                item.status, item.reason = BulkItem.Status.FAILED, str(exc)
            except SoftTimeLimitExceeded:
                raise  # the chunk rolls back and is done again, not failed item by item
            except Exception as exc:  # a bad row fails its item, never the run
                logger.exception("bulk run %s: letter for constituent %s failed", run.pk, item.constituent_id)
                item.status = BulkItem.Status.FAILED
                item.reason = f"The letter could not be made ({type(exc).__name__}: {exc}"[:480] + "). "
                item.reason += "Check the constituent's record and the template, then send them a letter on its own."
            else:
                item.status, item.letter, item.channel = BulkItem.Status.DONE, letter, letter.sent_channel
                if letter.sent_channel == Letter.Channel.POST:
                    postal.append(item)
            item.processed_at = now
        BulkItem.objects.bulk_update(items, ["status", "reason", "letter", "channel", "processed_at"], batch_size=200)
        BulkRun.objects.filter(pk=run.pk).update(last_progress_at=timezone.now())
    return [item.pk for item in postal]


def _finish_if_done(run: BulkRun) -> bool:
    """Mark the run finished when every letter is made and e-mailed; True if this chain of chunk
    tasks should go on. E-mails claimed by a worker that died are not this chain's to wait for:
    it stops, and the resume sweep comes back once the claims are stale."""
    items = BulkItem.objects.filter(run=run)
    if run.status == BulkRun.Status.RUNNING and items.filter(status=BulkItem.Status.PENDING).exists():
        return True
    if items.filter(letter__email_state=Letter.EmailState.PENDING).exists():
        return True
    if items.filter(letter__email_state=Letter.EmailState.CLAIMED).exists():
        return False
    if items.filter(status=BulkItem.Status.DONE, channel=Letter.Channel.POST, batch=None).exists():
        return False  # left by a dead worker: batched once stale (the resume sweep comes back)
    BulkRun.objects.filter(pk=run.pk, status=BulkRun.Status.RUNNING).update(
        status=BulkRun.Status.FINISHED, finished_at=timezone.now()
    )
    return False


# --- e-mail ----------------------------------------------------------------------------------


def bulk_emails_send(*, run: BulkRun, limit: int = 100) -> int:
    """Send the run's waiting e-mails, from the letters' outbox (at least once)."""
    sent = 0
    while batch := letter_emails_send(letters=Letter.objects.filter(bulk_item__run=run), limit=limit):
        sent += batch
    return sent


# --- preview ---------------------------------------------------------------------------------


@dataclass
class Sample:
    constituent: Constituent
    case: Case | None
    channel: str
    subject: str
    text: str
    problem: str


def bulk_preview(*, run: BulkRun, count: int = 3) -> list[Sample]:
    """The first few letters as they will be merged, and why any of them would fail."""
    today = timezone.localdate()
    samples = []
    for item in run.items.select_related("constituent", "case").order_by("pk")[:count]:
        values = _merge_values(office=run.office, constituent=item.constituent, case=item.case, day=today)
        problem, channel = "", ""
        try:
            _check_fields(run.template, values)
            channel = Letter.Channel(_channel(item.constituent)[0]).label
        except BulkItemError as exc:
            problem = str(exc)
        samples.append(
            Sample(
                constituent=item.constituent,
                case=item.case,
                channel=channel,
                subject=merge.render(run.template.subject or run.template.name, values),
                text=_preview_text(run.template.body, values),
                problem=problem,
            )
        )
    return samples


def _preview_text(body: str, values: dict[str, str]) -> str:
    """The greeting and the merged body, as printed (a body that opens with the greeting
    itself does not get it twice)."""
    merged = merge.render(body, values)
    if merged.lstrip().split("\n", 1)[0].strip().rstrip(",").strip() == values["salutation"]:
        return merged
    return f"{values['salutation']},\n\n{merged}"
