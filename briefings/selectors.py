"""The MP's read side: the office dashboard, campaign briefings and the weekly summary.

Everything here only reads, from every app; nothing imports it but views and the weekly
summary task. Each function answers in a fixed number of queries whatever the data size,
and computes its figures from the data (nothing typed in by hand).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from dateutil.relativedelta import relativedelta
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from campaigns.models import Campaign, FollowUpAction, SurveyFinding
from campaigns.services import campaign_cases, campaigns_for
from casework.models import Case
from casework.selectors import cases_for
from inbound.models import InboundMessage
from letters.bulk import bulk_runs_waiting_for_mp
from letters.models import Status as LetterStatus
from letters.selectors import (
    letters_drafted_by,
    letters_for,
    letters_waiting_for_mp,
    replies_overdue,
    reply_times_by_organisation,
)
from mpoffice.models import Membership

TREND_MONTHS = 24


@dataclass
class Tally:
    label: str
    value: int


@dataclass
class Trend:
    months: list[date]
    counts: list[int]
    recent_total: int  # the last 12 months
    earlier_total: int  # the same 12 months two years before
    period_label: str

    @property
    def change_percent(self) -> float | None:
        """Change on the same period two years earlier; None when there is nothing to compare."""
        if not self.earlier_total:
            return None
        return 100 * (self.recent_total - self.earlier_total) / self.earlier_total

    @property
    def rows(self) -> list[tuple[date, int]]:
        return list(zip(self.months, self.counts, strict=True))


@dataclass
class Dashboard:
    today: date
    open_cases: int
    new_cases_30_days: int
    open_by_topic: list[Tally]
    new_by_topic: list[Tally]
    open_by_ward: list[Tally]
    trend: Trend
    letters_waiting: list
    overdue_by_organisation: list[dict]
    reply_times: list[dict]
    findings: list[SurveyFinding]
    campaigns: list[tuple[Campaign, int]] = field(default_factory=list)
    bulk_waiting: list = field(default_factory=list)

    @property
    def overdue_total(self) -> int:
        return sum(row["n"] for row in self.overdue_by_organisation)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def case_trend(*, cases: QuerySet[Case], today: date, months: int = TREND_MONTHS) -> Trend:
    """Cases opened per month over ``months`` months, and the last 12 months against the same
    12 months two years earlier (two queries)."""
    first_month = _month_start(today) - relativedelta(months=months - 1)
    month_list = [first_month + relativedelta(months=i) for i in range(months)]
    per_month = dict(
        cases.filter(opened_at__gte=_aware(first_month))
        .annotate(month=TruncMonth("opened_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    counts_by_month = {}
    for month, n in per_month.items():
        key = month.date() if isinstance(month, datetime) else month
        counts_by_month[key] = counts_by_month.get(key, 0) + n
    recent_start = today - relativedelta(years=1)
    earlier_start, earlier_end = recent_start - relativedelta(years=2), today - relativedelta(years=2)
    # Two counts, each a range on the (office, opened) index, rather than one pass over three years.
    totals = {
        "recent": cases.filter(_between(recent_start, today)).count(),
        "earlier": cases.filter(_between(earlier_start, earlier_end)).count(),
    }
    return Trend(
        months=month_list,
        counts=[counts_by_month.get(month, 0) for month in month_list],
        recent_total=totals["recent"],
        earlier_total=totals["earlier"],
        period_label=(
            f"{recent_start:%d/%m/%Y}–{today:%d/%m/%Y} against {earlier_start:%d/%m/%Y}–{earlier_end:%d/%m/%Y}"
        ),
    )


def _between(start: date, end: date) -> Q:
    return Q(opened_at__gte=_aware(start), opened_at__lt=_aware(end + relativedelta(days=1)))


def _by_topic(cases: QuerySet[Case]) -> list[Tally]:
    rows = cases.values("topic__parent__name", "topic__name").annotate(n=Count("pk")).order_by("-n")
    result = []
    for row in rows:
        if row["topic__name"] is None:
            label = "No topic"
        elif row["topic__parent__name"]:
            label = f"{row['topic__parent__name']} › {row['topic__name']}"
        else:
            label = row["topic__name"]
        result.append(Tally(label, row["n"]))
    return result


def _by_ward(cases: QuerySet[Case]) -> list[Tally]:
    # A case counts once per ward its constituents live in; one without constituents, or whose
    # constituents' wards are unknown, counts under "Ward not known".
    rows = cases.values("constituents__ward__name").annotate(n=Count("pk", distinct=True)).order_by("-n")
    return [Tally(row["constituents__ward__name"] or "Ward not known", row["n"]) for row in rows]


def office_trend(*, membership: Membership, today: date | None = None) -> Trend:
    return case_trend(cases=cases_for(membership=membership), today=today or timezone.localdate())


def office_open_by_topic(*, membership: Membership) -> list[Tally]:
    return _by_topic(cases_for(membership=membership).filter(status__in=Case.OPEN_STATUSES))[:15]


def office_open_by_ward(*, membership: Membership) -> list[Tally]:
    return _by_ward(cases_for(membership=membership).filter(status__in=Case.OPEN_STATUSES))


def office_dashboard(*, membership: Membership, today: date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    cases = cases_for(membership=membership)
    open_cases = cases.filter(status__in=Case.OPEN_STATUSES)
    new_cases = cases.filter(opened_at__gte=_aware(today - relativedelta(days=30)))
    overdue = (
        replies_overdue(membership=membership, today=today)
        .values("recipient_post__organisation__name")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    campaigns = list(campaigns_for(membership=membership).filter(status=Campaign.Status.ACTIVE).order_by("name")[:10])
    return Dashboard(
        today=today,
        open_cases=open_cases.count(),
        new_cases_30_days=new_cases.count(),
        open_by_topic=office_open_by_topic(membership=membership),
        new_by_topic=_by_topic(new_cases)[:15],
        open_by_ward=office_open_by_ward(membership=membership),
        trend=office_trend(membership=membership, today=today),
        letters_waiting=list(letters_waiting_for_mp(membership=membership)[:20]),
        bulk_waiting=list(bulk_runs_waiting_for_mp(office=membership.office)[:20]),
        overdue_by_organisation=list(overdue),
        reply_times=list(reply_times_by_organisation(membership=membership)),
        findings=list(SurveyFinding.objects.for_office(membership.office).select_related("survey", "campaign")[:5]),
        # One count per active campaign, at most ten: bounded whatever the number of cases.
        campaigns=[(c, campaign_cases(campaign=c, cases=cases).count()) for c in campaigns],
    )


@dataclass
class Briefing:
    campaign: Campaign
    today: date
    total_cases: int
    open_cases: int
    trend: Trend
    by_ward: list[Tally]
    facts: list
    findings: list
    meetings: list
    open_actions: list
    letters: list


def _campaign_cases(campaign: Campaign, membership: Membership) -> QuerySet[Case]:
    return campaign_cases(campaign=campaign, cases=cases_for(membership=membership))


def campaign_trend(*, campaign: Campaign, membership: Membership, today: date | None = None) -> Trend:
    return case_trend(cases=_campaign_cases(campaign, membership), today=today or timezone.localdate())


def campaign_by_ward(*, campaign: Campaign, membership: Membership) -> list[Tally]:
    return _by_ward(_campaign_cases(campaign, membership))


def campaign_briefing(*, campaign: Campaign, membership: Membership, today: date | None = None) -> Briefing:
    today = today or timezone.localdate()
    cases = _campaign_cases(campaign, membership)
    letters = (
        letters_for(membership=membership)
        .filter(campaign=campaign)
        .select_related("recipient_post__organisation")
        .order_by("-updated_at")
    )
    return Briefing(
        campaign=campaign,
        today=today,
        total_cases=cases.count(),
        open_cases=cases.filter(status__in=Case.OPEN_STATUSES).count(),
        trend=campaign_trend(campaign=campaign, membership=membership, today=today),
        by_ward=campaign_by_ward(campaign=campaign, membership=membership),
        facts=list(campaign.key_facts.all()),
        findings=list(campaign.survey_findings.select_related("survey")),
        meetings=list(campaign.meetings.prefetch_related("actions__owner")),
        open_actions=list(
            FollowUpAction.objects.filter(meeting__campaign=campaign, done_at=None)
            .select_related("owner", "meeting")
            .order_by("due_on")
        ),
        letters=list(letters[:50]),
    )


HOME_LIST_LENGTH = 10


@dataclass
class WorkList:
    """A home-page panel: the first rows of a list and how many there are in all."""

    items: list
    total: int


def _work_list(queryset: QuerySet) -> WorkList:
    items = list(queryset[:HOME_LIST_LENGTH])
    total = len(items) if len(items) < HOME_LIST_LENGTH else queryset.count()
    return WorkList(items=items, total=total)


def caseworker_home(*, membership: Membership, today: date | None = None) -> dict[str, WorkList]:
    """The caseworker's day: their open cases (reviews first) and the reviews now due."""
    today = today or timezone.localdate()
    mine = (
        cases_for(membership=membership)
        .filter(assignee_id=membership.user_id, status__in=Case.OPEN_STATUSES)
        .select_related("topic", "topic__parent")
    )
    return {
        "my_cases": _work_list(mine.order_by(F("review_by").asc(nulls_last=True), "-opened_at")),
        "reviews_due": _work_list(mine.filter(review_by__lte=today).order_by("review_by")),
    }


def staff_home(*, membership: Membership, today: date | None = None) -> dict[str, WorkList]:
    """What the office manager acts on: mail to triage, letters to send, replies overdue."""
    today = today or timezone.localdate()
    return {
        "inbox": _work_list(
            InboundMessage.objects.for_office(membership.office)
            .filter(status=InboundMessage.Status.PENDING)
            .order_by("-received_at")
        ),
        "to_send": _work_list(
            letters_drafted_by(membership=membership)
            .filter(status=LetterStatus.APPROVED)
            .select_related("recipient_post__organisation")
            .order_by("updated_at")
        ),
        "overdue": _work_list(replies_overdue(membership=membership, today=today)),
    }
