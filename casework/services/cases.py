"""Cases: opening, references, status, assignment, tags, notes and the timeline they write."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone

from casework.models import (
    Case,
    CaseConstituent,
    CaseReferenceCounter,
    Constituent,
    Tag,
    TimelineEntry,
    Topic,
)
from mpoffice.models import Membership, Office


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
    actor: User | None = None,
    body: str = "",
    occurred_at: datetime | None = None,
    source: Model | None = None,
    data: dict[str, Any] | None = None,
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
    by: User,
    constituents: Iterable[Constituent],
    summary: str,
    topic: Topic | None = None,
    description: str = "",
    priority: str = Case.Priority.NORMAL,
    assignee: User | None = None,
    review_by: date | None = None,
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
def case_set_status(*, case: Case, by: User, status: str, outcome: str = "", comment: str = "") -> Case:
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
def case_update(*, case: Case, by: User, **fields: Any) -> Case:
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
        labels = ", ".join(str(getattr(Case._meta.get_field(name), "verbose_name", name)) for name in changed)
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
def case_assign(*, case: Case, by: User, assignee: User | None) -> Case:
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


def note_add(*, case: Case, by: User, text: str, occurred_at: datetime | None = None) -> TimelineEntry:
    text = (text or "").strip()
    if not text:
        raise ValueError("A note needs some text.")
    first_line = text.splitlines()[0]
    title = first_line if len(first_line) <= 120 else first_line[:119] + "…"
    return timeline_record(case=case, kind="note", title=title, body=text, actor=by, occurred_at=occurred_at)
