"""Bulk replies (mail merge): one template to every constituent of a campaign or case list.

Preparing a run writes one ``BulkItem`` per constituent (unique per run), so the preview's
count is exactly what will be sent. Celery then works through the items in chunks:

- a chunk claims up to N pending items with row locks (SKIP LOCKED on PostgreSQL, so two
  workers take different items; SQLite serialises writers anyway);
- for each item it creates the letter through the letters services, records it on the case
  (a contact and a timeline entry) and marks the item done, all in one transaction with the
  item's status change: a worker killed half-way rolls the chunk back and the items stay
  pending, so no constituent ever gets two letters from a run;
- after the commit, the chunk's postal letters go into one print-ready PDF batch (rendering
  holds no lock); postal letters a dead worker left unbatched are batched by a later chunk;
- e-mails leave after the commit, from the items (an outbox, claimed like notifications:
  at least once);
- an item that fails (no usable address, a merge field the constituent has no value for,
  a rendering error) is marked failed with the reason; the run goes on.

A run whose worker died stops making progress; the resume sweep (every minute) queues it
again once it has been still for ``BULK_STALL_SECONDS``.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from casework.models import Campaign, Case, CaseConstituent, Constituent, Contact
from casework.services import timeline_record
from letters import merge
from letters.models import (
    BulkBatch,
    BulkItem,
    BulkRun,
    Letter,
    LetterTemplate,
    LetterTransition,
    Status,
)
from letters.pdf import letter_document, letter_html, recipient_details, uk_date
from letters.services import LetterError, letter_create, reply_address
from mpoffice.models import Office
from mpoffice.pdf import pdf_render

logger = logging.getLogger(__name__)

# How many chunk tasks work on one run at once (one per worker process is the useful most).
BULK_PARALLEL = 2


class BulkItemError(Exception):
    """Why this constituent's letter cannot be made; the message says what to do."""


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


@transaction.atomic
def bulk_run_prepare(
    *,
    office: Office,
    by,
    template: LetterTemplate,
    cases: QuerySet[Case],
    description: str,
    campaign: Campaign | None = None,
) -> BulkRun:
    """A draft run with one item per recipient; nothing is sent until it is started."""
    if template.office_id != office.pk or (campaign is not None and campaign.office_id != office.pk):
        raise ValueError("The template and campaign must belong to the office.")
    recipients = bulk_recipients(cases=cases.filter(office=office))
    if not recipients:
        raise LetterError(
            "Nobody to write to: none of these cases has a constituent. Choose another campaign or widen the filters."
        )
    run = BulkRun.objects.create(
        office=office,
        template=template,
        campaign=campaign,
        description=description[:300],
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


def bulk_run_start(*, run: BulkRun) -> bool:
    """Start a previewed run (once: a second click starts nothing more)."""
    now = timezone.now()
    started = BulkRun.objects.filter(pk=run.pk, status=BulkRun.Status.DRAFT).update(
        status=BulkRun.Status.RUNNING, started_at=now, last_progress_at=now
    )
    if started:
        _queue_chunks(run.pk)
    return bool(started)


def bulk_run_cancel(*, run: BulkRun) -> bool:
    """Stop a run: letters already made stay made (and their e-mails still leave); the rest are
    not written. The chunk in progress finishes first."""
    cancelled = BulkRun.objects.filter(pk=run.pk, status__in=[BulkRun.Status.DRAFT, BulkRun.Status.RUNNING]).update(
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
        emailed=Count("pk", filter=Q(email_state=BulkItem.EmailState.SENT)),
        to_email=Count("pk", filter=~Q(email_state="")),
    )
    return Progress(total=run.total, batches=run.batches.count(), **counts)


# --- making one letter -----------------------------------------------------------------------


def _merge_values(*, office: Office, constituent: Constituent, case: Case | None, day: date) -> dict[str, str]:
    """The values a constituent's letter is merged with (as ``letters.pdf.merge_values`` gives
    for a letter to a constituent; used before the letter exists, for the preview and checks)."""
    return {
        "constituent_name": constituent.display_name,
        "constituent_address": "\n".join(constituent.address_lines),
        "salutation": constituent.salutation,
        "case_reference": case.reference if case else "",
        "mp_name": office.mp_name,
        "constituency": office.constituency,
        "date": uk_date(day),
        "recipient_name": constituent.display_name,
        "recipient_post": "",
        "letter_reference": "(given when sent)",
    }


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
    """Create the letter for one item, recorded as sent, on its case. Inside the chunk's transaction."""
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
    snapshot = recipient_details(letter, today)
    now = timezone.now()
    Letter.objects.filter(pk=letter.pk).update(
        status=Status.SENT,
        version=F("version") + 1,
        sent_on=today,
        sent_channel=channel,
        sent_by=by,
        sent_to=destination,
        recipient_snapshot=snapshot,
        updated_at=now,
    )
    LetterTransition.objects.create(
        office=run.office,
        letter=letter,
        from_status=Status.DRAFT,
        to_status=Status.SENT,
        by=by,
        at=now,
        comment=(
            f"Sent by {Letter.Channel(channel).label.lower()} in bulk reply #{run.pk} (template “{template.name}”)."
        ),
    )
    # What the update wrote, without reading the row back.
    letter.status, letter.version, letter.sent_on, letter.sent_channel = Status.SENT, letter.version + 1, today, channel
    letter.sent_by, letter.sent_to, letter.recipient_snapshot, letter.updated_at = by, destination, snapshot, now
    if case is not None:
        Contact.objects.create(
            office=run.office,
            case=case,
            constituent=constituent,
            channel=Contact.Channel.EMAIL if channel == Letter.Channel.EMAIL else Contact.Channel.LETTER,
            direction=Contact.Direction.OUTBOUND,
            occurred_at=now,
            staff=by,
            summary=f"Letter {letter.reference} sent (bulk reply #{run.pk}): {letter.subject}"[:300],
        )
        timeline_record(
            case=case,
            kind="letter",
            title=f"Letter {letter.reference} sent to {constituent.display_name} (bulk reply)",
            actor=by,
            body=letter.subject,
            occurred_at=now,
            source=letter,
            data={"letter_id": letter.pk, "reference": letter.reference, "channel": channel, "bulk_run": run.pk},
        )
    return letter


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
                if letter.sent_channel == Letter.Channel.EMAIL:
                    item.email_state = BulkItem.EmailState.PENDING
                else:
                    postal.append(item)
            item.processed_at = now
        BulkItem.objects.bulk_update(
            items, ["status", "reason", "letter", "channel", "email_state", "processed_at"], batch_size=200
        )
        BulkRun.objects.filter(pk=run.pk).update(last_progress_at=timezone.now())
    return [item.pk for item in postal]


def _finish_if_done(run: BulkRun) -> bool:
    """Mark the run finished when every letter is made and e-mailed; True if this chain of chunk
    tasks should go on. E-mails claimed by a worker that died are not this chain's to wait for:
    it stops, and the resume sweep comes back once the claims are stale."""
    items = BulkItem.objects.filter(run=run)
    if run.status == BulkRun.Status.RUNNING and items.filter(status=BulkItem.Status.PENDING).exists():
        return True
    if items.filter(email_state=BulkItem.EmailState.PENDING).exists():
        return True
    if items.filter(email_state=BulkItem.EmailState.CLAIMED).exists():
        return False
    if items.filter(status=BulkItem.Status.DONE, channel=Letter.Channel.POST, batch=None).exists():
        return False  # left by a dead worker: batched once stale (the resume sweep comes back)
    BulkRun.objects.filter(pk=run.pk, status=BulkRun.Status.RUNNING).update(
        status=BulkRun.Status.FINISHED, finished_at=timezone.now()
    )
    return False


# --- e-mail ----------------------------------------------------------------------------------


def bulk_letter_email(letter: Letter) -> EmailMessage:
    document = letter_document(letter)
    paragraphs = ["\n".join(lines) for lines in document.paragraphs]
    signers = "\n".join(
        f"{name} MP\nMember of Parliament for {constituency}" for name, constituency in document.signatories
    )
    body = "\n\n".join([f"{document.salutation},", *paragraphs, "Yours sincerely,", signers])
    body += f"\n\nOur reference: {letter.reference}. To reply, reply to this e-mail."
    domain = settings.LETTER_REPLY_DOMAIN
    return EmailMessage(
        subject=f"{document.subject} [{letter.reference}]",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[letter.sent_to],
        reply_to=[reply_address(letter)],
        # Stable per letter: a copy sent twice after a crash is recognisable as the same message.
        headers={"Message-ID": f"<letter-{letter.reference}@{domain}>"},
    )


def bulk_emails_send(*, run: BulkRun, limit: int = 100) -> int:
    """Send the run's waiting e-mails. Claimed like the notification outbox (at least once)."""
    sent = 0
    while True:
        token, items = _claim_emails(run=run, limit=limit)
        if not items:
            return sent
        done: list[int] = []
        try:
            with get_connection() as mail:
                for item in items:
                    mail.send_messages([bulk_letter_email(item.letter)])
                    now = timezone.now()
                    BulkItem.objects.filter(pk=item.pk, email_claim=token).update(email_state=BulkItem.EmailState.SENT)
                    Letter.objects.filter(pk=item.letter_id, emailed_at=None).update(emailed_at=now)
                    done.append(item.pk)
                    sent += 1
        except Exception:
            BulkItem.objects.filter(pk__in=[i.pk for i in items if i.pk not in done], email_claim=token).update(
                email_state=BulkItem.EmailState.PENDING, email_claim="", email_claimed_at=None
            )
            raise


def _claim_emails(*, run: BulkRun, limit: int) -> tuple[str, list[BulkItem]]:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS)
    claimable = Q(email_state=BulkItem.EmailState.PENDING) | Q(
        email_state=BulkItem.EmailState.CLAIMED, email_claimed_at__lt=stale
    )
    token = uuid.uuid4().hex
    with transaction.atomic():
        candidates = BulkItem.objects.filter(claimable, run=run).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return token, []
        BulkItem.objects.filter(claimable, pk__in=ids).update(
            email_state=BulkItem.EmailState.CLAIMED, email_claim=token, email_claimed_at=now
        )
    items = list(
        BulkItem.objects.filter(email_claim=token, email_state=BulkItem.EmailState.CLAIMED)
        .select_related("letter__office", "letter__recipient_constituent")
        .prefetch_related("letter__signatories", "letter__letter_cases__case__constituents")
    )
    return token, items


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
