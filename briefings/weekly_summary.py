"""The MP's weekly summary e-mail: Monday 08:00 London time, once per MP per week.

The figures are the dashboard's (``briefings.selectors.office_dashboard``). "Once" is the
reminder's unique key (weekly_summary, the MP's membership, the Monday of the week): a second
beat, a re-delivered task or a run by hand sends nothing more.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from briefings.selectors import office_dashboard
from mpoffice.formats import day
from mpoffice.models import Membership, Reminder, Role
from mpoffice.reminders import reminder_exists, reminder_raise

SEND_AT = time(8, 0)


def week_of(moment: datetime) -> date:
    """The Monday (London date) of the week ``moment`` falls in."""
    local = timezone.localtime(moment)
    return local.date() - timedelta(days=local.weekday())


def weekly_summary_body(*, membership: Membership, today: date) -> str:
    data = office_dashboard(membership=membership, today=today)
    lines = [
        f"Your office this week ({membership.office.name}, {day(today)}):",
        "",
        f"- Open cases: {data.open_cases}",
        f"- New cases in the last 30 days: {data.new_cases_30_days}",
        f"- Letters waiting for your approval: {len(data.letters_waiting)}",
        f"- Replies overdue: {data.overdue_total}",
    ]
    if data.trend.change_percent is not None:
        lines.append(f"- Cases opened in the last 12 months: {data.trend.change_percent:+.0f}% on two years before")
    if data.open_by_topic:
        lines += ["", "Open cases by topic:"]
        lines += [f"- {tally.label}: {tally.value}" for tally in data.open_by_topic[:5]]
    for row in data.overdue_by_organisation[:5]:
        if row == data.overdue_by_organisation[0]:
            lines += ["", "Replies overdue by organisation:"]
        lines.append(f"- {row['recipient_post__organisation__name'] or 'Other'}: {row['n']}")
    return "\n".join(lines)


def weekly_summaries_send(*, now: datetime | None = None) -> int:
    """Raise this week's summary for every MP who has not had it; returns how many."""
    now = now or timezone.now()
    monday = week_of(now)
    if timezone.localtime(now) < timezone.make_aware(datetime.combine(monday, SEND_AT)):
        return 0  # Monday before 08:00: this week's is not due yet
    sent = 0
    for membership in Membership.objects.filter(role=Role.MP, is_active=True, user__is_active=True).select_related(
        "office", "user"
    ):
        if reminder_exists(kind=Reminder.Kind.WEEKLY_SUMMARY, source=membership, due_on=monday):
            continue
        raised = reminder_raise(
            office=membership.office,
            kind=Reminder.Kind.WEEKLY_SUMMARY,
            source=membership,
            due_on=monday,
            title=f"Your weekly summary, week of {day(monday)}",
            body=weekly_summary_body(membership=membership, today=timezone.localtime(now).date()),
            url=reverse("dashboard"),
            recipients=[membership.user],
            force_email=True,
        )
        sent += raised is not None
    return sent
