import io
from datetime import date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from campaigns.models import FollowUpAction, KeyFact, Meeting
from campaigns.services import campaign_cases
from casework.models import Case, Topic
from casework.services import case_open
from tests.campaigns.factories import CampaignFactory


def _at(year, month, day=15):
    return timezone.make_aware(datetime(year, month, day, 10, 0))


@pytest.fixture
def knife(office):
    crime = Topic.objects.create(office=office, name="Crime & policing")
    return Topic.objects.create(office=office, name="Knife crime", parent=crime)


@pytest.fixture
def campaign(office, knife):
    campaign = CampaignFactory(office=office, name="Knife crime in Milton Keynes", rule_since=date(2025, 1, 1))
    campaign.topics.add(knife.parent)
    return campaign


def _open(office, topic, when, **kwargs):
    return case_open(
        office=office, by=None, constituents=[], summary="Knife crime", topic=topic, opened_at=when, **kwargs
    )


def test_campaign_rule_gathers_cases_under_its_topics_since_its_date(office, knife, campaign):
    housing = Topic.objects.create(office=office, name="Housing")
    inside = _open(office, knife, _at(2025, 3))  # a sub-topic of the rule's topic, after the date
    parent_level = _open(office, knife.parent, _at(2026, 1))
    too_early = _open(office, knife, _at(2024, 12, 31))
    other_topic = _open(office, housing, _at(2026, 2))
    by_hand = _open(office, housing, _at(2023, 5))
    campaign.campaign_cases.create(office=office, case=by_hand)

    members = set(campaign_cases(campaign=campaign, cases=Case.objects.for_office(office)))

    assert members == {inside, parent_level, by_hand}
    assert too_early not in members and other_topic not in members
    # Kept current by construction: a new matching case is in at once, with nothing to re-run.
    newcomer = _open(office, knife, timezone.now())
    assert newcomer in set(campaign_cases(campaign=campaign, cases=Case.objects.for_office(office)))


def test_campaign_without_a_start_date_gathers_only_linked_cases(office, knife, campaign):
    campaign.rule_since = None
    campaign.save()
    _open(office, knife, _at(2026, 1))
    assert not campaign_cases(campaign=campaign, cases=Case.objects.for_office(office)).exists()


def test_a_case_linked_by_hand_and_by_rule_counts_once(office, knife, campaign):
    case = _open(office, knife, _at(2026, 1))
    campaign.campaign_cases.create(office=office, case=case)
    assert campaign_cases(campaign=campaign, cases=Case.objects.for_office(office)).count() == 1


def _story(office, campaign, knife, staff):
    KeyFact.objects.create(
        office=office,
        campaign=campaign,
        statement="Knife crime in Milton Keynes up 90% in two years",
        source="Thames Valley Police figures",
        stated_on=date(2021, 6, 1),
    )
    meeting = Meeting.objects.create(
        office=office,
        campaign=campaign,
        held_on=date(2021, 6, 10),
        place="Oldbrook",
        attendees="Police and Crime Commissioner\nLocal officers",
    )
    FollowUpAction.objects.create(
        office=office,
        meeting=meeting,
        description="Send the PCC our case figures",
        owner=staff.user,
        due_on=date(2021, 6, 20),
    )
    for month in range(1, 4):
        _open(office, knife, _at(2026, month))


def test_briefing_page_shows_facts_numbers_meetings_and_open_actions(office, knife, campaign, staff, mp, client_for):
    _story(office, campaign, knife, staff)
    page = client_for(mp).get(reverse("campaign-briefing", args=[campaign.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Knife crime in Milton Keynes up 90% in two years" in html
    assert "Thames Valley Police figures" in html
    assert "<strong>3</strong> cases raise this subject" in html
    assert "Oldbrook" in html and "Send the PCC our case figures" in html and "overdue" in html


def test_briefing_pdf_carries_the_same_content(office, knife, campaign, staff, mp, client_for):
    _story(office, campaign, knife, staff)
    response = client_for(mp).get(reverse("campaign-briefing-pdf", args=[campaign.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="briefing-knife-crime-in-milton-keynes.pdf"'
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "Briefing: Knife crime in Milton Keynes" in text
    assert "up 90% in two years" in text
    assert "3 cases raise this subject" in text
    assert "Oldbrook" in text
    assert "Page 1 of" in text


def test_briefing_of_another_offices_campaign_is_not_found(campaign, outsider, client_for):
    assert client_for(outsider).get(reverse("campaign-briefing", args=[campaign.pk])).status_code == 404
    assert client_for(outsider).get(reverse("campaign-briefing-pdf", args=[campaign.pk])).status_code == 404


def test_briefing_hides_sensitive_cases_from_a_caseworker(office, knife, campaign, caseworker, client_for):
    _open(office, knife, _at(2026, 2))
    _open(office, knife, _at(2026, 2), is_sensitive=True)
    html = client_for(caseworker).get(reverse("campaign-briefing", args=[campaign.pk])).content.decode()
    assert "<strong>1</strong> case raises this subject" in html
