"""The bulk worker's side: making one constituent's letter (merged, checked, recorded as sent through
the one send path), a chunk of them under row locks, their print batches and e-mails, and the preview
of how they will be merged. The run's life (prepare, approve, start, cancel) is in ``bulk``."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from casework.models import Case, Constituent
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
from letters.services.bulk import BulkItemError
from letters.services.errors import LetterError
from letters.services.letters import letter_create
from letters.services.sending import letter_record_sent
from mpoffice.models import Office
from mpoffice.pdf import pdf_render

logger = logging.getLogger(__name__)


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
    pdf = pdf_render(*(letter_html(item.letter) for item in items if item.letter is not None))
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
