from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from briefings.selectors import case_trend, office_dashboard
from casework.models import Case, Constituent, Topic
from casework.services import case_open, case_set_status
from mpoffice.models import Ward

TODAY = date(2026, 11, 25)


def _at(year, month, day=15):
    return timezone.make_aware(datetime(year, month, day, 10, 0))


@pytest.fixture
def topics(office):
    crime = Topic.objects.create(office=office, name="Crime & policing")
    return {
        "knife": Topic.objects.create(office=office, name="Knife crime", parent=crime),
        "asb": Topic.objects.create(office=office, name="Anti-social behaviour", parent=crime),
        "housing": Topic.objects.create(office=office, name="Housing"),
    }


def _open(office, topic, when, ward=None, **kwargs):
    people = []
    if ward is not None:
        people = [Constituent.objects.create(office=office, first_name="Test", last_name="Resident", ward=ward)]
    return case_open(
        office=office, by=None, constituents=people, summary="A concern", topic=topic, opened_at=when, **kwargs
    )


def test_trend_counts_cases_per_month_and_compares_with_two_years_earlier(office, topics):
    # Two years earlier (26 Nov 2023 – 25 Nov 2024): 10 cases. Last 12 months: 19, i.e. up 90%.
    for i in range(10):
        _open(office, topics["knife"], _at(2024, 1 + i % 10))
    for i in range(19):
        _open(office, topics["knife"], _at(2026, 1 + i % 10))
    _open(office, topics["knife"], _at(2025, 6))  # in neither comparison period

    trend = case_trend(cases=Case.objects.for_office(office), today=TODAY)

    assert len(trend.months) == 24 and trend.months[0] == date(2024, 12, 1) and trend.months[-1] == date(2026, 11, 1)
    assert dict(trend.rows)[date(2026, 1, 1)] == 2  # i = 0 and 10
    assert dict(trend.rows)[date(2025, 6, 1)] == 1
    assert sum(trend.counts) == 20  # the 2024 cases are older than 24 months
    assert (trend.recent_total, trend.earlier_total) == (19, 10)
    assert trend.change_percent == pytest.approx(90.0)


def test_trend_without_earlier_cases_has_no_percentage(office, topics):
    _open(office, topics["knife"], _at(2026, 3))
    assert case_trend(cases=Case.objects.for_office(office), today=TODAY).change_percent is None


def test_dashboard_counts_open_and_new_cases_by_topic_and_ward(office, topics, mp):
    bletchley = Ward.objects.create(office=office, name="Bletchley East")
    _open(office, topics["knife"], _at(2026, 11, 20), ward=bletchley)
    _open(office, topics["knife"], _at(2026, 6), ward=bletchley)
    _open(office, topics["asb"], _at(2026, 6))
    closed = _open(office, topics["housing"], _at(2026, 6), ward=bletchley)
    case_set_status(case=closed, by=None, status=Case.Status.CLOSED, outcome=Case.Outcome.RESOLVED)

    data = office_dashboard(membership=mp, today=TODAY)

    assert data.open_cases == 3 and data.new_cases_30_days == 1
    assert {(t.label, t.value) for t in data.open_by_topic} == {
        ("Crime & policing › Knife crime", 2),
        ("Crime & policing › Anti-social behaviour", 1),
    }
    assert [(t.label, t.value) for t in data.new_by_topic] == [("Crime & policing › Knife crime", 1)]
    assert {(t.label, t.value) for t in data.open_by_ward} == {("Bletchley East", 2), ("Ward not known", 1)}


def test_dashboard_never_counts_another_offices_cases(office, other_office, mp, topics):
    other_topic = Topic.objects.create(office=other_office, name="Knife crime")
    _open(other_office, other_topic, timezone.now())
    assert office_dashboard(membership=mp).open_cases == 0


def test_mp_lands_on_the_dashboard_and_staff_can_open_it(office, topics, mp, staff, caseworker, client_for):
    _open(office, topics["knife"], timezone.now())
    page = client_for(mp).get(reverse("home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Cases opened per month" in html and f'<img src="{reverse("dashboard-chart-trend")}"' in html
    chart = client_for(mp).get(reverse("dashboard-chart-trend")).content.decode()  # an SVG image of its own
    assert 'role="img"' in chart and "<script" not in chart
    assert client_for(staff).get(reverse("dashboard")).status_code == 200
    assert client_for(caseworker).get(reverse("dashboard")).status_code == 403


def test_dashboard_runs_the_same_number_of_queries_for_2_or_60_cases(
    office, topics, mp, client_for, django_assert_max_num_queries
):
    client = client_for(mp)
    bletchley = Ward.objects.create(office=office, name="Bletchley East")
    for i in range(2):
        _open(office, topics["knife"], _at(2026, 1 + i), ward=bletchley)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    for i in range(58):
        ward = Ward.objects.create(office=office, name=f"Ward {i}") if i % 5 == 0 else bletchley
        _open(office, list(topics.values())[i % 3], _at(2025, 1 + i % 12), ward=ward)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("home"))
