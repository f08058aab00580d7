"""State changes of casework: plain, typed, keyword-only functions used by views, tasks,
management commands and the demo loader alike."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone

from casework.models import Case, CaseConstituent, CaseReferenceCounter, Constituent, TimelineEntry, Topic
from mpoffice.models import Office


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
