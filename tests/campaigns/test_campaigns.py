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


def test_staff_create_and_edit_a_campaign_with_its_topics(office, staff, client_for):
    from campaigns.models import Campaign
    from tests.casework.factories import TopicFactory

    housing, parking, benefits = (TopicFactory(office=office, name=n) for n in ("Housing", "Parking", "Benefits"))
    client = client_for(staff)
    created = client.post(
        reverse("campaigns:campaign-create"),
        {"name": "Damp in council flats", "status": "active", "topics": [housing.pk, parking.pk]},
    )
    campaign = Campaign.objects.get(name="Damp in council flats")
    assert created.status_code == 302
    assert campaign.office == office
    assert set(campaign.topics.all()) == {housing, parking}
    edited = client.post(
        reverse("campaigns:campaign-edit", args=[campaign.pk]),
        {"name": "Damp and mould in council flats", "status": "active", "topics": [benefits.pk]},
    )
    assert edited.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Damp and mould in council flats"
    assert list(campaign.topics.all()) == [benefits]


def test_campaign_save_keeps_a_campaign_and_its_topics_in_their_office(campaign, office, other_office):
    from campaigns.models import Campaign
    from campaigns.services import campaign_save
    from tests.casework.factories import TopicFactory

    foreign_topic = TopicFactory(office=other_office, name="Roads")
    with pytest.raises(ValueError, match="own office's topics"):
        campaign_save(campaign=Campaign(name="Potholes"), office=office, topics=[foreign_topic])
    with pytest.raises(ValueError, match="only in its own office"):
        campaign_save(campaign=campaign, office=other_office, topics=[])
    assert not Campaign.objects.filter(name="Potholes").exists()
    assert not campaign.topics.exists()
