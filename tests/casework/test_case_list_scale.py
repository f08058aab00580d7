"""Case-list behaviour that keeps it fast at ten years' scale."""

from datetime import UTC, datetime

from django.urls import reverse

from casework.services import case_open
from mpoffice.pagination import CappedPaginator


def _case_at(office, when):
    return case_open(office=office, by=None, constituents=[], summary="A concern", opened_at=when)


def test_date_filters_use_london_days(office, staff, client_for):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time).
    late = _case_at(office, datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    early = _case_at(office, datetime(2026, 6, 30, 22, 30, tzinfo=UTC))  # 23:30 on 30 June in London
    client = client_for(staff)

    july = client.get(reverse("casework:case-list"), {"status": "open_any", "opened_from": "2026-07-01"})
    june = client.get(reverse("casework:case-list"), {"status": "open_any", "opened_to": "2026-06-30"})

    assert list(july.context["page"]) == [late]
    assert list(june.context["page"]) == [early]


def test_case_list_counts_no_further_than_its_cap(office, staff, client_for, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 5)
    for day in range(1, 8):
        _case_at(office, datetime(2026, 3, day, 12, tzinfo=UTC))

    response = client_for(staff).get(reverse("casework:case-list"), {"status": "open_any"})

    paginator = response.context["page"].paginator
    assert (paginator.count, paginator.is_capped) == (5, True)
    assert "5+ cases" in response.content.decode()


def test_case_list_under_the_cap_gives_the_exact_count(office, staff, client_for):
    for day in range(1, 4):
        _case_at(office, datetime(2026, 3, day, 12, tzinfo=UTC))
    paginator = client_for(staff).get(reverse("casework:case-list")).context["page"].paginator
    assert (paginator.count, paginator.is_capped) == (3, False)
