"""State changes of casework: plain, typed, keyword-only functions used by views, tasks,
management commands and the demo loader alike."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Model, OuterRef, Subquery
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from casework import audit
from casework.models import (
    Attachment,
    Case,
    CaseConstituent,
    CaseReferenceCounter,
    Constituent,
    ConstituentMerge,
    Contact,
    PostcodeWard,
    Tag,
    TimelineEntry,
    Topic,
)
from casework.phones import phone_normalise
from casework.postcodes import postcode_normalise
from casework.uploads import UploadRefused, content_type_check
from mpoffice.models import Membership, Office, Ward


def case_reference_next(*, office: Office, year: int) -> tuple[int, str]:
    """Issue the next case number for the office and year; never the same number twice.

    The counter row is incremented with an UPDATE, which takes a row lock until the
    surrounding transaction commits, so two caseworkers opening cases at the same moment
    queue on the lock instead of colliding. Must run inside ``transaction.atomic``.
    """
    for _attempt in range(3):
        updated = CaseReferenceCounter.objects.filter(office=office, year=year).update(last_number=F("last_number") + 1)
        if updated:
            break
        try:
            with transaction.atomic():
                CaseReferenceCounter.objects.create(office=office, year=year, last_number=1)
            break
        except IntegrityError:
            continue  # another transaction created the counter first: increment it instead
    number = CaseReferenceCounter.objects.get(office=office, year=year).last_number
    return number, f"{office.reference_prefix}-{year}-{number:05d}"


def timeline_record(
    *,
    case: Case,
    kind: str,
    title: str,
    actor=None,
    body: str = "",
    occurred_at: datetime | None = None,
    source: Model | None = None,
    data: dict | None = None,
) -> TimelineEntry:
    """Add an entry to a case's timeline. Other apps (letters) contribute entries this way."""
    entry = TimelineEntry(
        office_id=case.office_id,
        case=case,
        kind=kind,
        title=title[:300],
        actor=actor,
        body=body,
        occurred_at=occurred_at or timezone.now(),
        data=data or {},
    )
    if source is not None:
        entry.source_type = ContentType.objects.get_for_model(source)
        entry.source_id = source.pk
    entry.save()
    return entry


@transaction.atomic
def case_open(
    *,
    office: Office,
    by,
    constituents: Iterable[Constituent],
    summary: str,
    topic: Topic | None = None,
    description: str = "",
    priority: str = Case.Priority.NORMAL,
    assignee=None,
    review_by=None,
    is_sensitive: bool = False,
    correspondent: Constituent | None = None,
    correspondent_relationship: str = Case.Relationship.SELF,
    correspondent_consent: str = "",
    opened_at: datetime | None = None,
) -> Case:
    constituents = list(constituents)
    if any(c.office_id != office.pk for c in constituents) or (
        correspondent is not None and correspondent.office_id != office.pk
    ):
        raise ValueError("Constituents must belong to the case's office.")
    if topic is not None and topic.office_id != office.pk:
        raise ValueError("The topic must belong to the case's office.")
    opened_at = opened_at or timezone.now()
    year = timezone.localtime(opened_at).year
    number, reference = case_reference_next(office=office, year=year)
    case = Case(
        office=office,
        reference=reference,
        year=year,
        number=number,
        summary=summary,
        description=description,
        topic=topic,
        priority=priority,
        assignee=assignee,
        review_by=review_by,
        is_sensitive=is_sensitive,
        correspondent=correspondent,
        correspondent_relationship=correspondent_relationship,
        correspondent_consent=correspondent_consent,
        opened_at=opened_at,
        created_by=by,
    )
    case.full_clean()
    case.save()
    CaseConstituent.objects.bulk_create(
        [CaseConstituent(office=office, case=case, constituent=constituent) for constituent in constituents]
    )
    timeline_record(case=case, kind="opened", title=f"Case {reference} opened", actor=by, occurred_at=opened_at)
    return case


@transaction.atomic
def case_set_status(*, case: Case, by, status: str, outcome: str = "", comment: str = "") -> Case:
    """Change a case's status and record who did it and when on the timeline."""
    if status not in Case.Status.values:
        raise ValueError(f"Unknown status {status!r}.")
    previous = case.status
    if status == previous and (status != Case.Status.CLOSED or outcome == case.outcome):
        return case
    case.status = status
    if status == Case.Status.CLOSED:
        case.outcome = outcome
        case.closed_at = timezone.now()
    else:
        case.outcome = ""
        case.closed_at = None
    case.full_clean()
    case.save(update_fields=["status", "outcome", "closed_at", "updated_at"])
    title = f"Status: {Case.Status(previous).label} → {Case.Status(status).label}"
    if status == Case.Status.CLOSED:
        title += f" ({Case.Outcome(outcome).label})"
    timeline_record(
        case=case, kind="status", title=title, actor=by, body=comment, data={"from": previous, "to": status}
    )
    return case


# --- Constituents -------------------------------------------------------------------------

CONSTITUENT_FIELDS = (
    "kind",
    "title",
    "first_name",
    "last_name",
    "organisation_name",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "email",
    "phone",
    "preferred_channel",
    "consent_to_contact",
    "contact_by_email",
    "contact_by_post",
    "contact_by_phone",
    "is_vulnerable",
    "has_special_category_data",
    "notes",
)


def ward_for_postcode(*, office: Office, postcode: str) -> Ward | None:
    if not postcode:
        return None
    link = PostcodeWard.objects.for_office(office).filter(postcode=postcode).select_related("ward").first()
    return link.ward if link else None


def _constituent_clean(constituent: Constituent) -> None:
    """Normalise what people type (postcode, phone, e-mail) and derive the ward."""
    if constituent.postcode:
        constituent.postcode = postcode_normalise(constituent.postcode)
    if constituent.phone:
        constituent.phone = phone_normalise(constituent.phone)
    constituent.email = (constituent.email or "").strip().lower()
    constituent.ward = ward_for_postcode(office=constituent.office, postcode=constituent.postcode)
    constituent.full_clean()


@transaction.atomic
def constituent_create(*, office: Office, by, **fields) -> Constituent:
    unknown = set(fields) - set(CONSTITUENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown constituent fields: {sorted(unknown)}")
    constituent = Constituent(office=office, created_by=by, **fields)
    _constituent_clean(constituent)
    constituent.save()
    return constituent


@transaction.atomic
def constituent_update(*, constituent: Constituent, by, **fields) -> Constituent:
    unknown = set(fields) - set(CONSTITUENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown constituent fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(constituent, name, value)
    _constituent_clean(constituent)
    constituent.save()
    return constituent


def _relations_to(model: type[Model]):
    """Every foreign key (from any installed app) that points at ``model``, including the hidden
    ones (``related_name="+"``) and the auto-created tables behind many-to-many fields."""
    for relation in model._meta.get_fields(include_hidden=True):
        if relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one):
            yield relation.related_model, relation.field


def _unique_field_sets(model: type[Model], field_name: str) -> list[tuple[str, ...]]:
    sets = [tuple(fields) for fields in model._meta.unique_together if field_name in fields]
    sets += [
        tuple(constraint.fields)
        for constraint in model._meta.total_unique_constraints
        if field_name in constraint.fields
    ]
    if model._meta.get_field(field_name).unique:
        sets.append((field_name,))
    return sets


# Rows that record history about the constituent itself and must keep pointing at it.
_MERGE_KEEPS = {(ConstituentMerge, "survivor"), (ConstituentMerge, "merged")}


@transaction.atomic
def constituent_merge(*, survivor: Constituent, merged: Constituent, by) -> ConstituentMerge:
    """Move everything that points at ``merged`` to ``survivor`` and retire ``merged``.

    Generic on purpose: it walks every relation to Constituent, so links that later apps add
    (letters' recipients, survey responses) move too without casework importing them. A row
    that would duplicate one the survivor already has (both on the same case) is removed
    instead of moved, and counted. Nothing else is deleted: ``merged`` stays, marked.
    """
    if survivor.pk == merged.pk:
        raise ValueError("Choose two different constituents to merge.")
    if survivor.office_id != merged.office_id:
        raise ValueError("Constituents of different offices cannot be merged.")
    # Lock both rows so that two staff merging the same pair at once cannot interleave.
    locked = {c.pk: c for c in Constituent.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])}
    if locked[merged.pk].merged_into_id or locked[survivor.pk].merged_into_id:
        raise ValueError("One of these records has already been merged.")

    moved: dict[str, int] = {}
    by_kind: Counter[str] = Counter()  # for the audit trail: "contacts": 3
    for model, fk in _relations_to(Constituent):
        if (model, fk.name) in _MERGE_KEEPS:
            continue
        label = f"{model._meta.label}.{fk.name}"
        kind = str(model._meta.verbose_name_plural)
        rows = model._base_manager.filter(**{fk.name: merged})
        if model is Constituent:
            rows = rows.exclude(pk=survivor.pk)
        unique_sets = _unique_field_sets(model, fk.name)
        if not unique_sets:
            count = rows.update(**{fk.name: survivor})
            if count:
                moved[label] = count
                by_kind[kind] += count
            continue
        moved_count = dropped = 0
        for row in rows:
            collides = any(
                model._base_manager.filter(
                    **{fk.name: survivor},
                    **{name: getattr(row, model._meta.get_field(name).attname) for name in fields if name != fk.name},
                ).exists()
                for fields in unique_sets
            )
            if collides:
                row.delete()
                dropped += 1
            else:
                model._base_manager.filter(pk=row.pk).update(**{fk.name: survivor})
                moved_count += 1
        if moved_count:
            moved[label] = moved_count
            by_kind[kind] += moved_count
        if dropped:
            moved[f"{label} (duplicate links removed)"] = dropped
            by_kind[f"{kind} (duplicate links removed)"] += dropped

    # Keep what the survivor lacks (a phone number, an e-mail) rather than lose it.
    filled = []
    for name in ("email", "phone", "address_line1", "address_line2", "town", "postcode", "title"):
        if not getattr(survivor, name) and getattr(merged, name):
            setattr(survivor, name, getattr(merged, name))
            filled.append(name)
    if filled:
        if "postcode" in filled:
            survivor.ward = ward_for_postcode(office=survivor.office, postcode=survivor.postcode)
            filled.append("ward")
        survivor.save(update_fields=[*filled, "updated_at"])
    Constituent.objects.filter(pk=merged.pk).update(merged_into=survivor, updated_at=timezone.now())
    merged.merged_into = survivor
    merge = ConstituentMerge.objects.create(
        office_id=survivor.office_id, survivor=survivor, merged=merged, merged_by=by, moved=moved
    )
    # The moves are bulk updates, which auditlog does not see: one entry records the merge on
    # the survivor's trail (which also shows the merged record's own entries).
    if filled:
        by_kind["details filled in from the duplicate: " + ", ".join(filled)] = len(filled)
    audit.event_record(
        obj_model=Constituent,
        obj_pk=survivor.pk,
        office_id=survivor.office_id,
        by=by,
        event="merge",
        summary=f"Merged {merged.display_name} (#{merged.pk}) into {survivor.display_name} (#{survivor.pk})",
        merged_id=merged.pk,
        survivor_id=survivor.pk,
        moved=dict(by_kind),
    )
    return merge


@dataclass
class PostcodeImportResult:
    created: int = 0
    updated: int = 0
    constituents_updated: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, column, message)

    @property
    def ok(self) -> bool:
        return not self.errors


POSTCODE_CSV_COLUMNS = ("postcode", "ward")


@transaction.atomic
def postcode_wards_import(*, office: Office, rows: Iterable[dict[str, str]]) -> PostcodeImportResult:
    """Fill the office's postcode-to-ward table; all or nothing.

    ``rows`` are dicts with ``postcode`` and ``ward``; rows are numbered from 2 (the header is
    row 1). Every row is checked before anything is written; one bad row saves nothing.
    Constituents at an imported postcode get the ward.
    """
    result = PostcodeImportResult()
    wards = {ward.name.casefold(): ward for ward in Ward.objects.for_office(office)}
    wanted: dict[str, Ward] = {}
    for number, row in enumerate(rows, start=2):
        raw_postcode = (row.get("postcode") or "").strip()
        ward_name = (row.get("ward") or "").strip()
        try:
            postcode = postcode_normalise(raw_postcode)
        except ValidationError:
            result.errors.append((number, "postcode", f"{raw_postcode!r} is not a UK postcode such as MK9 3HQ."))
            continue
        ward = wards.get(ward_name.casefold())
        if ward is None:
            result.errors.append(
                (
                    number,
                    "ward",
                    f"{ward_name!r} is not one of this office's wards ({', '.join(w.name for w in wards.values())}).",
                )
            )
            continue
        wanted[postcode] = ward
    if result.errors:
        return result
    existing = {link.postcode: link for link in PostcodeWard.objects.for_office(office).filter(postcode__in=wanted)}
    to_create, to_update = [], []
    for postcode, ward in wanted.items():
        link = existing.get(postcode)
        if link is None:
            to_create.append(PostcodeWard(office=office, postcode=postcode, ward=ward))
        elif link.ward_id != ward.pk:
            link.ward = ward
            to_update.append(link)
    PostcodeWard.objects.bulk_create(to_create, batch_size=1000)
    PostcodeWard.objects.bulk_update(to_update, ["ward"], batch_size=1000)
    result.created, result.updated = len(to_create), len(to_update)
    result.constituents_updated = (
        Constituent.objects.for_office(office)
        .filter(postcode__in=list(wanted))
        .update(
            ward=Subquery(PostcodeWard.objects.filter(office=office, postcode=OuterRef("postcode")).values("ward")[:1])
        )
    )
    return result


# --- Topics -------------------------------------------------------------------------------


def topic_save(*, topic: Topic) -> Topic:
    topic.full_clean()
    topic.save()
    return topic


@transaction.atomic
def topic_set_active(*, topic: Topic, active: bool) -> Topic:
    """Deactivate (or reactivate) a topic; deactivating a parent deactivates its children.

    Topics are never deleted: old cases keep theirs, new cases can no longer pick it.
    """
    topic.is_active = active
    topic.save(update_fields=["is_active"])
    if not active:
        topic.children.update(is_active=False)
    return topic


# --- Cases --------------------------------------------------------------------------------

CASE_EDIT_FIELDS = (
    "summary",
    "description",
    "topic",
    "priority",
    "review_by",
    "is_sensitive",
    "correspondent",
    "correspondent_relationship",
    "correspondent_consent",
)


@transaction.atomic
def case_update(*, case: Case, by, **fields) -> Case:
    unknown = set(fields) - set(CASE_EDIT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown case fields: {sorted(unknown)}")
    topic = fields.get("topic")
    if topic is not None and topic.office_id != case.office_id:
        raise ValueError("The topic must belong to the case's office.")
    correspondent = fields.get("correspondent")
    if correspondent is not None and correspondent.office_id != case.office_id:
        raise ValueError("The correspondent must belong to the case's office.")
    changed = [name for name, value in fields.items() if getattr(case, name) != value]
    for name, value in fields.items():
        setattr(case, name, value)
    case.full_clean()
    case.save()
    if changed:
        labels = ", ".join(str(Case._meta.get_field(name).verbose_name) for name in changed)
        timeline_record(case=case, kind="update", title=f"Changed {labels}", actor=by)
    return case


@transaction.atomic
def case_set_constituents(*, case: Case, constituents: Iterable[Constituent]) -> None:
    wanted = {c.pk: c for c in constituents}
    if any(c.office_id != case.office_id for c in wanted.values()):
        raise ValueError("Constituents must belong to the case's office.")
    if not wanted:
        raise ValueError("A case concerns at least one constituent.")
    case.case_constituents.exclude(constituent_id__in=wanted).delete()
    present = set(case.case_constituents.values_list("constituent_id", flat=True))
    CaseConstituent.objects.bulk_create(
        [
            CaseConstituent(office_id=case.office_id, case=case, constituent=c)
            for pk, c in wanted.items()
            if pk not in present
        ]
    )


@transaction.atomic
def case_assign(*, case: Case, by, assignee) -> Case:
    """Give the case to a member of its office (or to nobody)."""
    if (
        assignee is not None
        and not Membership.objects.filter(office_id=case.office_id, user=assignee, is_active=True).exists()
    ):
        raise ValueError("Assign the case to someone who works in this office.")
    if case.assignee_id == (assignee.pk if assignee else None):
        return case
    case.assignee = assignee
    case.save(update_fields=["assignee", "updated_at"])
    name = (assignee.get_full_name() or assignee.get_username()) if assignee else "nobody"
    timeline_record(case=case, kind="update", title=f"Assigned to {name}", actor=by)
    return case


def tag_names_parse(text: str) -> list[str]:
    """ "housing, ASB ,, housing" -> ["housing", "ASB"]: comma-separated, trimmed, first spelling wins."""
    names: dict[str, str] = {}
    for raw in (text or "").split(","):
        name = " ".join(raw.split())[:60]
        if name:
            names.setdefault(name.casefold(), name)
    return list(names.values())


@transaction.atomic
def case_set_tags(*, case: Case, names: Iterable[str]) -> list[Tag]:
    """Set the case's tags by name, creating the office's new tags as they are typed."""
    existing = {tag.name.casefold(): tag for tag in Tag.objects.for_office(case.office_id)}
    tags = []
    for name in names:
        tag = existing.get(name.casefold())
        if tag is None:
            tag, _created = Tag.objects.get_or_create(office_id=case.office_id, name=name)
            existing[name.casefold()] = tag
        tags.append(tag)
    case.tags.set(tags)
    return tags


def note_add(*, case: Case, by, text: str, occurred_at: datetime | None = None) -> TimelineEntry:
    text = (text or "").strip()
    if not text:
        raise ValueError("A note needs some text.")
    first_line = text.splitlines()[0]
    title = first_line if len(first_line) <= 120 else first_line[:119] + "…"
    return timeline_record(case=case, kind="note", title=title, body=text, actor=by, occurred_at=occurred_at)


# --- Contacts and attachments -------------------------------------------------------------


class AttachmentRefused(ValueError):
    pass


def attachment_check(upload: UploadedFile) -> str:
    """The content type of an acceptable upload; raises AttachmentRefused saying what to do."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise AttachmentRefused(
            f"{upload.name} is {filesizeformat(upload.size)}; attachments can be at most {filesizeformat(limit)}."
        )
    try:
        return content_type_check(upload)
    except UploadRefused as refused:
        raise AttachmentRefused(f"{upload.name} {refused}") from refused


def attachment_add(*, contact: Contact, upload: UploadedFile) -> Attachment:
    content_type = attachment_check(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        office_id=contact.office_id,
        contact=contact,
        original_name=(upload.name or "attachment")[-255:],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
    )
    attachment.file.save(upload.name or "attachment", upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def contact_log(
    *,
    office: Office,
    by,
    channel: str,
    summary: str,
    constituent: Constituent | None = None,
    case: Case | None = None,
    direction: str = Contact.Direction.INBOUND,
    occurred_at: datetime | None = None,
    staff=None,
    body: str = "",
    attachments: Iterable[UploadedFile] = (),
    on_timeline: bool = True,
) -> Contact:
    """Log one interaction; when it is about a case it also appears on the case's timeline
    (unless ``on_timeline`` is off: a sent letter has its own, richer entry there).

    Attachments are checked before anything is written, so a refused file saves nothing.
    """
    if constituent is None and case is None:
        raise ValueError("A contact is with a constituent or about a case.")
    if constituent is not None and constituent.office_id != office.pk:
        raise ValueError("The constituent must belong to this office.")
    if case is not None and case.office_id != office.pk:
        raise ValueError("The case must belong to this office.")
    uploads = list(attachments)
    for upload in uploads:
        attachment_check(upload)
    contact = Contact(
        office=office,
        constituent=constituent,
        case=case,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at or timezone.now(),
        staff=staff if staff is not None else by,
        summary=summary,
        body=body,
    )
    contact.full_clean()
    contact.save()
    for upload in uploads:
        attachment_add(contact=contact, upload=upload)
    if case is not None and on_timeline:
        timeline_record(
            case=case,
            kind="contact",
            title=str(contact),
            actor=contact.staff,
            occurred_at=contact.occurred_at,
            source=contact,
            data={"channel": channel, "direction": direction},
        )
    return contact


@transaction.atomic
def contact_attach(*, contact: Contact, case: Case, by) -> Contact:
    """Put a contact logged before its case existed onto that case, and onto its timeline.

    Only a contact not yet on a case, and only onto a case that concerns the same constituent:
    a contact never moves between cases silently.
    """
    if contact.case_id is not None:
        raise ValueError(f"This contact is already on case {contact.case.reference}.")
    if (
        case.office_id != contact.office_id
        or not case.case_constituents.filter(constituent_id=contact.constituent_id).exists()
    ):
        raise ValueError("Choose one of this constituent's cases.")
    claimed = Contact.objects.filter(pk=contact.pk, case=None).update(case=case)
    if not claimed:  # a colleague attached it a moment ago
        raise ValueError("This contact was put on a case a moment ago; reload the page.")
    contact.case = case
    timeline_record(
        case=case,
        kind="contact",
        title=str(contact),
        actor=by,
        occurred_at=contact.occurred_at,
        source=contact,
        data={"channel": contact.channel, "direction": contact.direction},
    )
    return contact
