"""Anonymising and deleting cases, erasure on request, and the uploaded files that carried the person."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from auditlog.context import disable_auditlog
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import ForeignObject, Model, Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.db.models.fields.reverse_related import ForeignObjectRel

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
from casework.subjectdata import (
    ANONYMISED,
    file_delete_on_commit,
    sources,
)
from privacy.models import SubjectAccessExport
from privacy.services.redaction import Outcome, trail_redact
from privacy.services.shared_text import _cases_of_others, _shared_text_list, identifiers


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


def _orphans_erase(constituent_ids: Iterable[int], outcome: Outcome, *, by: User) -> None:
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
def case_anonymise(*, case: Case, by: User, event: str = "retention-anonymise") -> Outcome:
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
def case_delete(*, case: Case, by: User, event: str = "retention-delete") -> Outcome:
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


def _relations_to_constituent() -> Iterator[tuple[type[Model], ForeignObject[Any, Any]]]:
    """Every foreign key from any installed app to Constituent, hidden ones included."""
    for relation in Constituent._meta.get_fields(include_hidden=True):
        # The reverse side of a foreign key (or one-to-one) pointing here is a ForeignObjectRel.
        if not isinstance(relation, ForeignObjectRel):
            continue
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
def constituent_erase(*, constituent: Constituent, by: User) -> Outcome:
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


def _constituent_erase(constituent: Constituent, *, by: User) -> Outcome:
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
