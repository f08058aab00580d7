import pytest
from django.urls import reverse

from campaigns.models import CampaignCase
from casework.models import TimelineEntry
from casework.services import case_open
from tests.campaigns.factories import CampaignFactory


@pytest.fixture
def campaign(office):
    return CampaignFactory(office=office, name="Knife crime in Milton Keynes")


def _case(office, **kwargs):
    return case_open(office=office, by=None, constituents=[], summary="Stabbing near MK College", **kwargs)


def test_caseworker_links_a_case_by_reference_and_it_shows_on_the_timeline(campaign, office, caseworker, client_for):
    case = _case(office)
    client = client_for(caseworker)
    response = client.post(
        reverse("campaigns:campaign-case-add", args=[campaign.pk]), {"reference": case.reference.lower()}
    )
    assert response.status_code == 302
    assert CampaignCase.objects.filter(campaign=campaign, case=case).exists()
    assert TimelineEntry.objects.filter(case=case, kind="campaign").count() == 1
    assert case.reference in client.get(campaign.get_absolute_url()).content.decode()


def test_linking_twice_keeps_one_link(campaign, office, caseworker, client_for):
    case = _case(office)
    client = client_for(caseworker)
    for _ in range(2):
        client.post(reverse("campaigns:campaign-case-add", args=[campaign.pk]), {"reference": case.reference})
    assert CampaignCase.objects.filter(campaign=campaign, case=case).count() == 1


def test_another_offices_case_reference_is_unknown(campaign, other_office, caseworker, client_for):
    foreign = _case(other_office)
    response = client_for(caseworker).post(
        reverse("campaigns:campaign-case-add", args=[campaign.pk]), {"reference": foreign.reference}, follow=True
    )
    assert f"No case {foreign.reference} in this office" in response.content.decode()
    assert not CampaignCase.objects.exists()


def test_caseworker_cannot_link_a_sensitive_case_they_cannot_see(campaign, office, caseworker, client_for):
    hidden = _case(office, is_sensitive=True)
    client_for(caseworker).post(
        reverse("campaigns:campaign-case-add", args=[campaign.pk]), {"reference": hidden.reference}
    )
    assert not CampaignCase.objects.exists()


def test_staff_create_campaigns_and_names_are_unique_per_office(campaign, staff, caseworker, client_for):
    url = reverse("campaigns:campaign-create")
    assert client_for(caseworker).get(url).status_code == 403
    duplicate = client_for(staff).post(url, {"name": "knife crime in milton keynes", "status": "active"})
    assert "already has a campaign with that name" in duplicate.content.decode()
    created = client_for(staff).post(url, {"name": "Anti-social behaviour in Bletchley", "status": "active"})
    assert created.status_code == 302


def test_campaign_page_query_count_does_not_grow_with_cases(
    campaign, office, staff, client_for, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(staff)
    for _ in range(2):
        campaign.campaign_cases.create(office=office, case=_case(office))
    with CaptureQueriesContext(connection) as few:
        client.get(campaign.get_absolute_url())
    for _ in range(30):
        campaign.campaign_cases.create(office=office, case=_case(office))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(campaign.get_absolute_url())
