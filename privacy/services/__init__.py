"""Data protection services: subject access exports, erasure on request, and retention.

Privacy never imports the apps beside or above it. An app that holds personal data about a
constituent or a case (inbound e-mails, survey responses, letters) registers a
``SubjectDataSource`` in ``casework.subjectdata`` from its ``AppConfig.ready()``; this module
calls every registered source.

Every change here runs with auditlog's automatic entries switched off (they would copy the
very data being removed into the trail); instead the earlier entries about the rows are
redacted and one entry records the event, with counts and no personal data.
Files are deleted from storage only after the transaction commits.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from auditlog.context import disable_auditlog
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import get_valid_filename

from casework import audit
from casework.models import (
    Attachment,
    Case,
    CaseConstituent,
    Constituent,
    ConstituentMerge,
    Contact,
    ImportBatch,
    TimelineEntry,
)
from casework.services import CONSTITUENT_FIELDS
from casework.subjectdata import (
    ANONYMISED,
    AuditedRows,
    ExportSection,
    SubjectDataSource,
    export_row,
    file_delete_on_commit,
    register_source,
    sources,
)
from mpoffice.models import Notification, Office, Reminder
from mpoffice.outbox import Claim, Claims
from privacy.models import RetentionReview, SharedTextReview, SubjectAccessExport

log = logging.getLogger(__name__)

REMOVED = "[removed]"


# --- What other rows say about the rows removed ---------------------------------------------


def _sources_condition(rows: Iterable[tuple[type[Model], Iterable[int]]]) -> Q:
    condition = Q(pk__in=[])
    for model, pks in rows:
        pks = list(pks)
        if pks:
            condition |= Q(source_type=ContentType.objects.get_for_model(model), source_id__in=pks)
    return condition


def trail_redact(rows: AuditedRows, *, reason: str) -> None:
    """Strip what other rows repeat about ``rows``: their audit entries, the timeline lines
    that were made from them (on any case, shared ones too), and the reminders and
    notifications raised about them. Who did what and when stays."""
    rows = [(model, list(pks)) for model, pks in rows]
    audit.entries_redact(rows, reason=reason)
    condition = _sources_condition(rows)
    TimelineEntry.objects.filter(condition).update(title=ANONYMISED, body="", data={})
    reminder_ids = list(Reminder.objects.filter(condition).values_list("pk", flat=True))
    Reminder.objects.filter(pk__in=reminder_ids).update(title=ANONYMISED)
    Notification.objects.filter(reminder_id__in=reminder_ids).update(title=ANONYMISED, body="")


# --- Anonymising and deleting cases ---------------------------------------------------------


@dataclass
class Outcome:
    counts: Counter = field(default_factory=Counter)
    audited: list[tuple[type[Model], list[int]]] = field(default_factory=list)

    def add(self, label: str, number: int) -> None:
        if number:
            self.counts[label] += number

    def merge(self, counts: dict[str, int], audited: Iterable[tuple[type[Model], list[int]]] = ()) -> None:
        for label, number in counts.items():
            self.add(label, number)
        self.audited.extend(audited)


def _contacts_remove(contacts: QuerySet[Contact], outcome: Outcome, *, keep_rows: bool) -> None:
    """Delete attachments (files too); then blank the contacts' text (kept for counts) or delete them."""
    contact_ids = list(contacts.values_list("pk", flat=True))
    attachments = list(Attachment.objects.filter(contact_id__in=contact_ids))
    for attachment in attachments:
        file_delete_on_commit(attachment.file)
    outcome.audited += [(Contact, contact_ids), (Attachment, [a.pk for a in attachments])]
    # A contact's timeline line repeats its summary.
    entries = TimelineEntry.objects.filter(
        source_type=ContentType.objects.get_for_model(Contact), source_id__in=contact_ids
    )
    if keep_rows:
        entries.update(title=ANONYMISED, body="", data={})
    else:
        outcome.add("timeline entries", entries.delete()[0])
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
    outcome.add("attachments", len(attachments))
    for source in sources():
        outcome.merge(*source.contacts_removing(contact_ids))
    if keep_rows:
        outcome.add(
            "contacts anonymised",
            Contact.objects.filter(pk__in=contact_ids).update(summary=ANONYMISED, body="", constituent=None),
        )
    else:
        outcome.add("contacts", Contact.objects.filter(pk__in=contact_ids).delete()[1].get("casework.Contact", 0))


def _cases_strip(case_ids: list[int], outcome: Outcome, *, delete: bool) -> None:
    """What anonymising and deleting cases share: contacts, timeline text, e-mails, letters."""
    _contacts_remove(Contact.objects.filter(case_id__in=case_ids), outcome, keep_rows=not delete)
    for source in sources():
        counts, audited = source.anonymise_cases(case_ids, delete)
        outcome.merge(counts, audited)
    links = CaseConstituent.objects.filter(case_id__in=case_ids)
    outcome.audited += [(Case, case_ids), (CaseConstituent, list(links.values_list("pk", flat=True)))]


def _orphans_erase(constituent_ids: Iterable[int], outcome: Outcome, *, by) -> None:
    """Constituents left with no case, contact or letter are erased: nothing justifies keeping them."""
    for constituent in Constituent.objects.filter(pk__in=set(constituent_ids), merged_into=None):
        if not _still_referenced(constituent):
            inner = _constituent_erase(constituent, by=by)
            outcome.merge(inner.counts, inner.audited)
            outcome.add("constituents erased (no other casework)", 1)


def _still_referenced(constituent: Constituent) -> bool:
    for model, fk in _relations_to_constituent():
        if model in (Constituent, ConstituentMerge, SubjectAccessExport):
            continue
        if model._base_manager.filter(**{fk.name: constituent}).exists():
            return True
    return False


@transaction.atomic
def case_anonymise(*, case: Case, by, event: str = "retention-anonymise") -> Outcome:
    """Remove the personal data of a case and keep the row for the office's counts: its topic,
    dates, status, outcome, priority and assignee stay; summary, description, the people,
    contacts' text, attachments, notes, e-mails and letters' text go."""
    outcome = Outcome()
    with disable_auditlog():
        case = Case.objects.select_for_update().get(pk=case.pk)
        constituent_ids = set(case.constituents.values_list("pk", flat=True))
        if case.correspondent_id:
            constituent_ids.add(case.correspondent_id)
        _cases_strip([case.pk], outcome, delete=False)
        outcome.add("people unlinked", case.case_constituents.all().delete()[0])
        entries = TimelineEntry.objects.filter(case=case)
        outcome.add("timeline entries anonymised", entries.update(title=ANONYMISED, body="", data={}))
        case.tags.clear()
        Case.objects.filter(pk=case.pk).update(
            summary=ANONYMISED, description="", correspondent=None, correspondent_consent="", search=None
        )
        _orphans_erase(constituent_ids, outcome, by=by)
        trail_redact(outcome.audited, reason=event)
    audit.event_record(
        obj_model=Case,
        obj_pk=case.pk,
        office_id=case.office_id,
        by=by,
        event=event,
        summary=f"Case {case.reference}: {audit.EVENT_LABELS[event].lower()}",
        counts=dict(outcome.counts),
    )
    return outcome


@transaction.atomic
def case_delete(*, case: Case, by, event: str = "retention-delete") -> Outcome:
    outcome = Outcome()
    with disable_auditlog():
        case = Case.objects.select_for_update().get(pk=case.pk)
        constituent_ids = set(case.constituents.values_list("pk", flat=True))
        if case.correspondent_id:
            constituent_ids.add(case.correspondent_id)
        _cases_strip([case.pk], outcome, delete=True)
        reference, office_id, pk = case.reference, case.office_id, case.pk
        case.delete()
        outcome.add("cases deleted", 1)
        _orphans_erase(constituent_ids, outcome, by=by)
        trail_redact(outcome.audited, reason=event)
    audit.event_record(
        obj_model=Case,
        obj_pk=pk,
        office_id=office_id,
        by=by,
        event=event,
        summary=f"Case {reference}: {audit.EVENT_LABELS[event].lower()}",
        counts=dict(outcome.counts),
    )
    return outcome


# --- Erasure on request -----------------------------------------------------------------------


def _relations_to_constituent():
    """Every foreign key from any installed app to Constituent, hidden ones included."""
    for relation in Constituent._meta.get_fields(include_hidden=True):
        if relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one):
            yield relation.related_model, relation.field


def erasure_preview(*, constituent: Constituent) -> dict[str, int]:
    """How many rows point at the person, by table: shown before staff confirm an erasure."""
    counts = {}
    for model, fk in _relations_to_constituent():
        number = model._base_manager.filter(**{fk.name: constituent}).count()
        if number:
            counts[f"{model._meta.verbose_name_plural} ({fk.verbose_name})"] = number
    return counts


@transaction.atomic
def constituent_erase(*, constituent: Constituent, by) -> Outcome:
    """Erase a person across every table, on their request.

    Cases where they are the only person are anonymised (the office's counts keep them);
    on shared cases only their link, contacts and correspondence go. Their contacts,
    attachments (files too), e-mails, letters' text and PDFs, survey links, merged duplicate
    records and subject access exports are removed; audit entries about them are redacted, and
    one entry records the erasure without any of the data.
    """
    pk, office_id = constituent.pk, constituent.office_id
    with disable_auditlog():
        # How staff may have named them (merged records' details too), and where others own the text.
        merged = Constituent.objects.filter(pk__in=audit.merged_ids(constituent))
        terms = [term for person in [constituent, *merged] for term in identifiers(person)]
        others_ids = _cases_of_others(constituent)
        outcome = _constituent_erase(constituent, by=by)
        trail_redact(outcome.audited, reason="erasure")
        # Listed last, once their own rows are gone, so that only other people's text is left.
        outcome.add(
            "mentions on shared cases listed for review",
            _shared_text_list(office_id=office_id, terms=terms, case_ids=others_ids),
        )
    audit.event_record(
        obj_model=Constituent,
        obj_pk=pk,
        office_id=office_id,
        by=by,
        event="erasure",
        summary=f"Constituent #{pk}: erased on request",
        counts=dict(outcome.counts),
    )
    return outcome


def _constituent_erase(constituent: Constituent, *, by) -> Outcome:
    outcome = Outcome()
    constituent = Constituent.objects.select_for_update().get(pk=constituent.pk)
    # Duplicates merged into this record are the same person.
    for duplicate in Constituent.objects.filter(merged_into=constituent):
        inner = _constituent_erase(duplicate, by=by)
        outcome.merge(inner.counts, inner.audited)
    outcome.audited.append((Constituent, [constituent.pk]))

    linked_cases = list(Case.objects.filter(case_constituents__constituent=constituent).distinct())
    own = [c for c in linked_cases if not c.case_constituents.exclude(constituent=constituent).exists()]
    shared_ids = [c.pk for c in linked_cases if c not in own]
    for case in own:
        inner = case_anonymise(case=case, by=by, event="erasure")
        outcome.merge(inner.counts, inner.audited)
        outcome.add("cases anonymised", 1)
    links = CaseConstituent.objects.filter(constituent=constituent)
    outcome.audited.append((CaseConstituent, list(links.values_list("pk", flat=True))))
    outcome.add("shared cases unlinked", links.filter(case_id__in=shared_ids).count())
    links.delete()
    outcome.add(
        "cases as correspondent",
        Case.objects.filter(correspondent=constituent).update(correspondent=None, correspondent_consent=""),
    )

    _contacts_remove(Contact.objects.filter(constituent=constituent), outcome, keep_rows=False)
    for source in sources():
        outcome.merge(*source.erase_constituent(constituent))
    _uploads_forget(constituent, outcome)

    for export in SubjectAccessExport.objects.filter(constituent=constituent):
        file_delete_on_commit(export.file)
    outcome.add("subject access exports", SubjectAccessExport.objects.filter(constituent=constituent).delete()[0])
    ConstituentMerge.objects.filter(Q(survivor=constituent) | Q(merged=constituent)).delete()

    # Anything a later app links to Constituent and no source handled: unlink or remove.
    for model, fk in _relations_to_constituent():
        rows = model._base_manager.filter(**{fk.name: constituent})
        if model is Constituent or not rows.exists():
            continue
        if fk.null:
            outcome.add(f"{model._meta.verbose_name_plural} unlinked", rows.update(**{fk.name: None}))
        else:
            outcome.add(f"{model._meta.verbose_name_plural}", rows.delete()[0])
    Constituent.objects.filter(pk=constituent.pk).delete()
    outcome.add("constituent records", 1)
    return outcome


# --- What erasure cannot edit alone: other people's text, and files that carried the person ------


def identifiers(constituent: Constituent) -> list[str]:
    """How free text written by staff would name the person: name, e-mail, phone, street."""
    terms = [
        " ".join(part for part in (constituent.first_name, constituent.last_name) if part),
        constituent.organisation_name,
        constituent.email,
        constituent.address_line1,
        *phone_forms(constituent.phone),
    ]
    unique = {term.strip().casefold(): term.strip() for term in terms if len(term.strip()) >= 4}
    return list(unique.values())


def phone_forms(phone: str) -> list[str]:
    """+441908123456 as it is written in text: +441908123456, 01908123456, 01908 123456."""
    if not phone.startswith("+44") or len(phone) < 10:
        return [phone] if phone else []
    national = "0" + phone[3:]
    return [phone, national, f"{national[:5]} {national[5:]}"]


def _spans(text: str, terms: list[str]) -> list[list[int]]:
    """Where ``terms`` occur in ``text`` (case insensitive), overlapping spans joined."""
    folded, found = text.casefold(), []
    for term in terms:
        needle, start = term.casefold(), 0
        while (at := folded.find(needle, start)) != -1:
            found.append([at, at + len(needle)])
            start = at + len(needle)
    joined: list[list[int]] = []
    for start, end in sorted(found):
        if joined and start <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    return joined


def _text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _shared_places(case_ids: list[int]) -> list[tuple[QuerySet, list[str]]]:
    places = [
        (Case.objects.filter(pk__in=case_ids), ["summary", "description"]),
        (TimelineEntry.objects.filter(case_id__in=case_ids), ["title", "body"]),
        (Contact.objects.filter(case_id__in=case_ids), ["summary", "body"]),
    ]
    for source in sources():
        places += source.shared_text(case_ids)
    return places


def _cases_of_others(constituent: Constituent) -> list[int]:
    """Cases the person shares with someone else, and cases they wrote about for someone else."""
    shared = Case.objects.filter(case_constituents__constituent=constituent).filter(
        Exists(CaseConstituent.objects.filter(case=OuterRef("pk")).exclude(constituent=constituent))
    )
    for_others = Case.objects.filter(correspondent=constituent).exclude(case_constituents__constituent=constituent)
    return sorted(set(shared.values_list("pk", flat=True)) | set(for_others.values_list("pk", flat=True)))


def _shared_text_list(*, office_id: int, terms: list[str], case_ids: list[int]) -> int:
    """List for staff each field on these cases (which other people own) that still names the
    erased person, and strip the audit entries of those rows that repeat the person's details."""
    if not case_ids or not terms:
        return 0
    listed = 0
    case_references = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "reference"))
    for rows, fields in _shared_places(case_ids):
        model = rows.model
        content_type = ContentType.objects.get_for_model(model)
        for row in rows:
            for name in fields:
                text = getattr(row, name) or ""
                spans = _spans(text, terms)
                if not spans:
                    continue
                case_id = row.pk if model is Case else getattr(row, "case_id", None)
                SharedTextReview.objects.create(
                    office_id=office_id,
                    content_type=content_type,
                    object_id=row.pk,
                    field_name=name,
                    spans=spans,
                    text_sha256=_text_sha256(text),
                    case_id=case_id,
                    case_reference=case_references.get(case_id, ""),
                )
                listed += 1
        audit.entries_redact_mentioning(
            [(model, list(rows.values_list("pk", flat=True)))], terms=terms, reason="erasure"
        )
    return listed


class SharedTextChanged(ValueError):
    pass


@transaction.atomic
def shared_text_resolve(*, review: SharedTextReview, by, redact: bool) -> SharedTextReview:
    """Staff's decision on one listed place: remove the spans that named the erased person
    (with the audit entries of that row that repeat them), or keep the text as written."""
    review = SharedTextReview.objects.select_for_update().get(pk=review.pk)
    if review.resolved_at is not None:
        raise SharedTextChanged("This place was already reviewed.")
    model = review.content_type.model_class()
    row = model._base_manager.filter(pk=review.object_id).first()
    if redact and row is not None:
        text = getattr(row, review.field_name) or ""
        if _text_sha256(text) != review.text_sha256:
            raise SharedTextChanged(
                "The text has changed since it was listed, so the places to remove are no longer known. "
                "Edit it by hand, then mark it as kept."
            )
        removed = [text[start:end] for start, end in review.spans]
        for start, end in sorted(review.spans, reverse=True):
            text = text[:start] + REMOVED + text[end:]
        with disable_auditlog():
            model._base_manager.filter(pk=row.pk).update(**{review.field_name: text})
            audit.entries_redact_mentioning([(model, [row.pk])], terms=removed, reason="erasure")
    review.resolution = SharedTextReview.Resolution.REDACTED if redact else SharedTextReview.Resolution.KEPT
    review.resolved_at = timezone.now()
    review.resolved_by = by
    review.save(update_fields=["resolution", "resolved_at", "resolved_by"])
    event = "shared-text-redacted" if redact else "shared-text-kept"
    audit.event_record(
        obj_model=model,
        obj_pk=review.object_id,
        office_id=review.office_id,
        by=by,
        event=event,
        summary=f"{model._meta.verbose_name.capitalize()} #{review.object_id} ({review.field_name}): "
        f"{audit.EVENT_LABELS[event].lower()}",
    )
    return review


@dataclass
class SharedTextItem:
    review: SharedTextReview
    where: str
    parts: list[tuple[str, bool]]  # (text, to be removed)
    url: str
    changed: bool


SHARED_TEXT_PAGE = 50


def shared_text_pending(*, office: Office) -> list[SharedTextItem]:
    """The places waiting for review, with their text split into what stays and what goes.
    One query for the reviews and one per kind of row, however many there are."""
    reviews = list(
        SharedTextReview.objects.for_office(office)
        .filter(resolved_at=None)
        .select_related("content_type", "case")[:SHARED_TEXT_PAGE]
    )
    wanted: dict[ContentType, set[int]] = {}
    for review in reviews:
        wanted.setdefault(review.content_type, set()).add(review.object_id)
    rows = {
        (content_type.pk, row.pk): row
        for content_type, pks in wanted.items()
        for row in content_type.model_class()._base_manager.filter(office=office, pk__in=pks)
    }
    items = []
    for review in reviews:
        row = rows.get((review.content_type_id, review.object_id))
        text = (getattr(row, review.field_name, "") or "") if row is not None else ""
        changed = _text_sha256(text) != review.text_sha256
        parts, at = [], 0
        for start, end in [] if changed else review.spans:
            parts += [(text[at:start], False), (text[start:end], True)]
            at = end
        parts.append((text[at:], False))
        model = review.content_type.model_class()
        field_label = model._meta.get_field(review.field_name).verbose_name
        url = review.case.get_absolute_url() if review.case_id else ""
        items.append(
            SharedTextItem(
                review=review,
                where=f"{model._meta.verbose_name.capitalize()} ({field_label})",
                parts=[part for part in parts if part[0]],
                url=url,
                changed=changed,
            )
        )
    return items


def _carries(text: str, constituent: Constituent) -> bool:
    """Does a line of an uploaded file (or a row of its preview) hold the person? Their e-mail,
    their phone number, or their first name, last name and postcode together."""
    folded = text.casefold()
    digits = "".join(ch for ch in folded if ch.isdigit())
    if constituent.email and constituent.email.casefold() in folded:
        return True
    if constituent.phone.startswith("+44") and constituent.phone[3:] in digits:
        return True
    parts = [constituent.first_name, constituent.last_name, constituent.postcode]
    return all(parts) and all(part.casefold() in folded for part in parts)


def _file_carries(stored: FieldFile, constituent: Constituent) -> bool:
    if not stored:
        return False
    try:
        with stored.open("rb") as handle:
            return any(_carries(line.decode("utf-8", "ignore"), constituent) for line in handle)
    except FileNotFoundError:
        return False


def _uploads_forget(constituent: Constituent, outcome: Outcome) -> None:
    """Uploaded files that carried the person. A constituents or cases import keeps its row
    (its checksum refuses the same file again, which would bring the person back) and loses
    its file, name, preview, errors and message; one not yet imported is cancelled. A survey
    upload (whose answers are already in the survey) is deleted with its file."""
    for batch in ImportBatch.objects.filter(office_id=constituent.office_id):
        rows = [json.dumps(row, ensure_ascii=False) for row in [*batch.preview, *batch.errors]]
        if not (any(_carries(row, constituent) for row in rows) or _file_carries(batch.file, constituent)):
            continue
        file_delete_on_commit(batch.file)
        changes = {"file": "", "original_name": ANONYMISED, "preview": [], "errors": [], "message": ""}
        if batch.status in ImportBatch.ACTIVE_STATUSES or batch.status == ImportBatch.Status.INVALID:
            changes |= {
                "status": ImportBatch.Status.CANCELLED,
                "message": "Cancelled: the file held a person whose data was erased on request. "
                "Upload it again without them.",
            }
        ImportBatch.objects.filter(pk=batch.pk).update(**changes)
        outcome.add("imported files removed", 1)
    for source in sources():
        outcome.merge(source.files_forget(constituent, lambda stored: _file_carries(stored, constituent)))


def uploaded_files_expire(*, now: datetime | None = None) -> int:
    """Delete the uploaded files of every app (registered sources) kept past UPLOAD_KEEP_DAYS."""
    return sum(source.files_expire(now) for source in sources())


# --- Retention ---------------------------------------------------------------------------------


def retention_cutoff(*, office: Office, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - relativedelta(years=office.retention_years)


def retention_due(*, office: Office, now=None) -> QuerySet[Case]:
    """Closed cases past the office's retention period that need a review: none pending,
    not already anonymised, not kept beyond today."""
    today = timezone.localdate(now) if now else timezone.localdate()
    reviews = RetentionReview.objects.filter(case=OuterRef("pk"))
    return (
        Case.objects.for_office(office)
        .filter(status=Case.Status.CLOSED, closed_at__lt=retention_cutoff(office=office, now=now))
        .exclude(
            Exists(reviews.filter(decision__in=[RetentionReview.Decision.PENDING, RetentionReview.Decision.ANONYMISED]))
            | Exists(reviews.filter(decision=RetentionReview.Decision.KEPT, keep_until__gte=today))
        )
    )


def retention_flag(*, office: Office, now=None) -> int:
    """List the office's cases that are due for review. Idempotent: a partial unique
    constraint allows one pending review per case, so two sweeps flag a case once."""
    flagged = 0
    for case in retention_due(office=office, now=now).only("pk", "reference", "office_id"):
        _review, created = RetentionReview.objects.get_or_create(
            case=case,
            decision=RetentionReview.Decision.PENDING,
            defaults={"office_id": case.office_id, "case_reference": case.reference},
        )
        flagged += created
    return flagged


class RetentionRefused(ValueError):
    pass


@transaction.atomic
def retention_decide(*, review: RetentionReview, by, decision: str, keep_years: int = 1) -> RetentionReview:
    """Carry out a member of staff's decision on one flagged case."""
    review = RetentionReview.objects.select_for_update().get(pk=review.pk)
    if review.decision != RetentionReview.Decision.PENDING:
        raise RetentionRefused(f"{review.case_reference} was already reviewed.")
    case = review.case
    if case is None:
        raise RetentionRefused(f"{review.case_reference} no longer exists.")
    if case.status != Case.Status.CLOSED or case.closed_at >= retention_cutoff(office=case.office):
        raise RetentionRefused(f"{case.reference} was reopened or is not yet past the retention period.")
    if decision == RetentionReview.Decision.ANONYMISED:
        case_anonymise(case=case, by=by)
    elif decision == RetentionReview.Decision.DELETED:
        case_delete(case=case, by=by)
    elif decision == RetentionReview.Decision.KEPT:
        review.keep_until = timezone.localdate() + relativedelta(years=keep_years)
        audit.event_record(
            obj_model=Case,
            obj_pk=case.pk,
            office_id=case.office_id,
            by=by,
            event="retention-keep",
            summary=f"Case {case.reference}: kept until {review.keep_until:%d/%m/%Y}",
        )
    else:
        raise RetentionRefused("Choose anonymise, delete or keep.")
    review.decision = decision
    review.decided_by = by
    review.decided_at = timezone.now()
    # The review row outlives a deleted case (case becomes NULL); its reference stays.
    RetentionReview.objects.filter(pk=review.pk).update(
        decision=decision, decided_by=by, decided_at=review.decided_at, keep_until=review.keep_until
    )
    return review


# --- Subject access ----------------------------------------------------------------------------


# An export waits on a worker until it is built; a claim older than JOB_CLAIM_TIMEOUT_SECONDS
# (the worker was killed, or the message lost) is queued again by subject_access_recover.
SUBJECT_ACCESS_BUILDS = Claims(
    model=SubjectAccessExport,
    waiting=Q(status__in=[SubjectAccessExport.Status.PENDING, SubjectAccessExport.Status.RUNNING]),
    timeout_seconds=lambda: settings.JOB_CLAIM_TIMEOUT_SECONDS,
    on_claim={"status": SubjectAccessExport.Status.RUNNING, "progress": 1, "stage": "Collecting records"},
)
# Decided by the product owner: an export is deleted this long after it was built.
SUBJECT_ACCESS_KEEP = timedelta(days=30)


def _queue_build(export_id: int) -> None:
    from privacy.tasks import subject_access_build_task

    transaction.on_commit(lambda: subject_access_build_task.delay(export_id))


def subject_access_request(*, constituent: Constituent, by) -> SubjectAccessExport:
    export = SubjectAccessExport.objects.create(
        office_id=constituent.office_id, constituent=constituent, requested_by=by
    )  # queued now (``claimed_at``'s default): the recovery sweep waits from here
    _queue_build(export.pk)
    return export


def subject_access_recover() -> list[int]:
    """Queue again each export whose message was lost or whose worker died."""
    requeued = SUBJECT_ACCESS_BUILDS.requeue_stale()
    for export_id in requeued:
        log.warning("Subject access export %s was lost or its worker died: queued again.", export_id)
        _queue_build(export_id)
    return requeued


def subject_access_expire(*, now: datetime | None = None) -> int:
    """Delete the files of exports built more than 30 days ago; each row stays, marked expired."""
    cutoff = (now or timezone.now()) - SUBJECT_ACCESS_KEEP
    expired = 0
    for export in SubjectAccessExport.objects.filter(status=SubjectAccessExport.Status.READY, finished_at__lt=cutoff):
        with transaction.atomic():
            if SubjectAccessExport.objects.filter(pk=export.pk, status=SubjectAccessExport.Status.READY).update(
                status=SubjectAccessExport.Status.EXPIRED, file="", size=None, stage="Deleted after 30 days"
            ):
                file_delete_on_commit(export.file)
                expired += 1
    return expired


def _progress(claim: Claim, percent: int, stage: str) -> None:
    claim.touch(progress=percent, stage=stage[:100])  # and the claim stays this live worker's


_row = export_row


def subject_access_sections(*, constituent: Constituent) -> list[ExportSection]:
    """Everything Postbag holds on the person, by section (rows and files)."""
    profile = ExportSection(
        title="Profile",
        rows=[
            _row(
                constituent,
                [*CONSTITUENT_FIELDS, "created_at"],
            )
            | {"ward": str(constituent.ward or "")}
        ],
        audited=[(Constituent, [constituent.pk])],
    )
    # Records merged into this one are the same person: each with its own details and trail.
    merged_ids = audit.merged_ids(constituent)
    merges = {
        merge.merged_id: merge
        for merge in ConstituentMerge.objects.filter(merged_id__in=merged_ids).select_related("merged")
    }
    merged_section = ExportSection(
        title="Records merged into this one",
        rows=[
            {"record": f"#{merge.merged_id}", "merged_into": f"#{merge.survivor_id}", "merged_at": merge.merged_at}
            | _row(merge.merged, [*CONSTITUENT_FIELDS, "created_at"])
            for merge in sorted(merges.values(), key=lambda m: (m.merged_at, m.pk))
        ],
        audited=[(Constituent, merged_ids)],
    )
    cases = list(
        Case.objects.filter(Q(case_constituents__constituent=constituent) | Q(correspondent=constituent))
        .distinct()
        .select_related("topic")
        .order_by("opened_at")
    )
    case_ids = [c.pk for c in cases]
    case_section = ExportSection(
        title="Cases",
        rows=[
            _row(case, ["reference", "summary", "description", "status", "outcome", "opened_at", "closed_at"])
            | {"topic": str(case.topic or "")}
            for case in cases
        ],
        audited=[
            (Case, case_ids),
            (CaseConstituent, list(constituent.case_links.values_list("pk", flat=True))),
        ],
    )
    timeline = ExportSection(
        title="Case notes and history",
        rows=[
            {"case": entry.case.reference, "when": entry.occurred_at, "what": entry.title, "text": entry.body}
            for entry in TimelineEntry.objects.filter(case_id__in=case_ids)
            .exclude(kind="contact")
            .select_related("case")
            .order_by("occurred_at")
        ],
    )
    # Contacts with the person, and contacts on their cases that name no one else.
    contacts = list(
        Contact.objects.filter(Q(constituent=constituent) | Q(case_id__in=case_ids, constituent=None))
        .select_related("case")
        .prefetch_related("attachments")
        .order_by("occurred_at")
    )
    contact_section = ExportSection(
        title="Contacts",
        rows=[
            _row(contact, ["occurred_at", "channel", "direction", "summary", "body"])
            | {"case": contact.case.reference if contact.case_id else ""}
            for contact in contacts
        ],
        audited=[(Contact, [c.pk for c in contacts])],
    )
    attachments = [a for contact in contacts for a in contact.attachments.all()]
    contact_section.files = [
        (f"attachments/{a.pk}-{get_valid_filename(a.original_name) or 'file'}", a.file) for a in attachments
    ]
    contact_section.audited.append((Attachment, [a.pk for a in attachments]))
    sections = [profile, merged_section, case_section, timeline, contact_section]
    for source in sources():
        sections += source.collect(constituent, case_ids)
    return sections


def _audit_section(sections: list[ExportSection]) -> ExportSection:
    rows = []
    audited = [pair for section in sections for pair in section.audited]
    for entry in audit.entries_for(audited):
        rows.append(
            {
                "when": entry.timestamp,
                "who": str(entry.actor or entry.actor_email or "Postbag"),
                "action": entry.get_action_display(),
                "record": f"{entry.content_type.name}: {entry.object_repr}",
                "changes": entry.changes_str if entry.changes else "",
            }
        )
    return ExportSection(title="Audit trail: who saw or changed these records", rows=rows)


def subject_access_build(*, export: SubjectAccessExport) -> SubjectAccessExport:
    """Write the ZIP: index.html (readable), data.json (every row) and the files.

    Marked ready, and audited, once: only while this worker's claim holds (a worker whose claim
    was taken over drops its copy)."""
    claim = SUBJECT_ACCESS_BUILDS.claim_one(export.pk)
    if claim is None:
        return export  # another worker has it, or it is done
    export.refresh_from_db()
    constituent = export.constituent
    sections = subject_access_sections(constituent=constituent)
    _progress(claim, 30, "Collecting the audit trail")
    sections.append(_audit_section(sections))
    files = [item for section in sections for item in section.files]
    missing = []
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for number, (name, stored) in enumerate(files, start=1):
                try:
                    with stored.open("rb") as source, archive.open(name, "w") as target:
                        for chunk in iter(lambda: source.read(1 << 16), b""):
                            target.write(chunk)
                except FileNotFoundError:
                    missing.append(name)
                _progress(claim, 30 + int(60 * number / max(len(files), 1)), f"Adding file {number} of {len(files)}")
            generated = timezone.now()
            context = {
                "constituent": constituent,
                "office": export.office,
                "sections": sections,
                "file_names": [name for name, _ in files if name not in missing],
                "missing": missing,
                "generated": generated,
            }
            archive.writestr("index.html", render_to_string("privacy/sar_index.html", context))
            data = {section.title: section.rows for section in sections}
            archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
        handle.seek(0)
        export.file.save("export.zip", File(handle), save=False)
        export.size = export.file.size
    export.status = SubjectAccessExport.Status.READY
    export.progress = 100
    export.stage = "Ready"
    export.finished_at = timezone.now()
    with transaction.atomic():
        ready = claim.finish(
            file=export.file.name,
            size=export.size,
            status=export.status,
            progress=export.progress,
            stage=export.stage,
            finished_at=export.finished_at,
        )
        if not ready:
            log.warning("Subject access export %s was taken over by another worker; this copy is dropped.", export.pk)
            file_delete_on_commit(export.file)
            export.refresh_from_db()
            return export
        audit.event_record(
            obj_model=Constituent,
            obj_pk=constituent.pk,
            office_id=export.office_id,
            by=export.requested_by,
            event="subject-access-export",
            summary=f"Constituent #{constituent.pk}: subject access export #{export.pk} made",
            files=len(files) - len(missing),
        )
    return export


def subject_access_failed(*, export_id: int, error: str) -> None:
    SubjectAccessExport.objects.filter(SUBJECT_ACCESS_BUILDS.waiting, pk=export_id).update(
        status=SubjectAccessExport.Status.FAILED, error=error[:300], stage="Failed"
    )


def subject_access_downloaded(*, export: SubjectAccessExport, by) -> None:
    audit.event_record(
        obj_model=Constituent,
        obj_pk=export.constituent_id,
        office_id=export.office_id,
        by=by,
        event="subject-access-download",
        summary=f"Constituent #{export.constituent_id}: subject access export #{export.pk} downloaded",
    )


def zip_names(data: bytes) -> list[str]:
    """The names in a ZIP (for tests and the export page)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


__all__ = [
    "ExportSection",
    "Outcome",
    "RetentionRefused",
    "SubjectDataSource",
    "case_anonymise",
    "case_delete",
    "constituent_erase",
    "erasure_preview",
    "register_source",
    "retention_decide",
    "retention_due",
    "retention_flag",
    "subject_access_build",
    "subject_access_expire",
    "subject_access_recover",
    "subject_access_request",
]
