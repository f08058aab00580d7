"""Retention: cases past the office's retention period are flagged, reviewed and decided."""

from __future__ import annotations

from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from casework import audit
from casework.models import (
    Case,
)
from mpoffice.formats import day
from mpoffice.models import Office
from privacy.models import RetentionReview
from privacy.services.erasure import case_anonymise, case_delete

# --- Retention ---------------------------------------------------------------------------------


def retention_cutoff(*, office: Office, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - relativedelta(years=office.retention_years)


def retention_due(*, office: Office, now: datetime | None = None) -> QuerySet[Case]:
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


def retention_flag(*, office: Office, now: datetime | None = None) -> int:
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


def retention_period_set(*, office: Office, years: int) -> Office:
    """Set how many years after closing a case is reviewed. Only that column is written: the rest
    of the office's row (which a colleague may have changed since the page loaded) stays."""
    office.retention_years = years
    office.save(update_fields=["retention_years"])
    return office


class RetentionRefused(ValueError):
    pass


@transaction.atomic
def retention_decide(*, review: RetentionReview, by: User, decision: str, keep_years: int = 1) -> RetentionReview:
    """Carry out a member of staff's decision on one flagged case."""
    review = RetentionReview.objects.select_for_update().get(pk=review.pk)
    if review.decision != RetentionReview.Decision.PENDING:
        raise RetentionRefused(f"{review.case_reference} was already reviewed.")
    case = review.case
    if case is None:
        raise RetentionRefused(f"{review.case_reference} no longer exists.")
    if (
        case.status != Case.Status.CLOSED
        or case.closed_at is None
        or case.closed_at >= retention_cutoff(office=case.office)
    ):
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
            summary=f"Case {case.reference}: kept until {day(review.keep_until)}",
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
