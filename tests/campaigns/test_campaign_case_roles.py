"""One rule for gathering cases into a campaign: caseworkers and staff add and remove cases,
the MP reads the campaign. Each role is tried on both actions, through the pages."""

import pytest
from django.urls import reverse

from campaigns.models import CampaignCase
from casework.services import case_open
from tests.campaigns.factories import CampaignFactory
from tests.mpoffice.factories import MembershipFactory

pytestmark = pytest.mark.django_db

MAY_LINK = {"caseworker": True, "staff": True, "mp": False}


@pytest.fixture
def campaign(office):
    return CampaignFactory(office=office, name="Knife crime in Milton Keynes")


def _case(office, **kwargs):
    return case_open(office=office, by=None, constituents=[], summary="Stabbing near MK College", **kwargs)


@pytest.fixture
def actors(caseworker, staff, mp):
    return {"caseworker": caseworker, "staff": staff, "mp": mp}


@pytest.mark.parametrize("role", sorted(MAY_LINK))
def test_adding_a_case_to_a_campaign(role, actors, campaign, office, client_for):
    case = _case(office)
    response = client_for(actors[role]).post(
        reverse("campaigns:campaign-case-add", args=[campaign.pk]), {"reference": case.reference}
    )
    linked = CampaignCase.objects.filter(campaign=campaign, case=case).exists()
    if MAY_LINK[role]:
        assert response.status_code == 302 and linked
    else:
        assert response.status_code == 403 and not linked


@pytest.mark.parametrize("role", sorted(MAY_LINK))
def test_removing_a_case_from_a_campaign(role, actors, campaign, office, client_for):
    case = _case(office)
    campaign.campaign_cases.create(office=office, case=case)
    response = client_for(actors[role]).post(reverse("campaigns:campaign-case-remove", args=[campaign.pk, case.pk]))
    linked = CampaignCase.objects.filter(campaign=campaign, case=case).exists()
    if MAY_LINK[role]:
        assert response.status_code == 302 and not linked
    else:
        assert response.status_code == 403 and linked


@pytest.mark.parametrize("role", sorted(MAY_LINK))
def test_the_page_offers_adding_and_removing_to_exactly_those_who_may(role, actors, campaign, office, client_for):
    case = _case(office)
    campaign.campaign_cases.create(office=office, case=case)
    page = client_for(actors[role]).get(campaign.get_absolute_url()).content.decode()
    add_url = reverse("campaigns:campaign-case-add", args=[campaign.pk])
    remove_url = reverse("campaigns:campaign-case-remove", args=[campaign.pk, case.pk])
    assert (add_url in page) is MAY_LINK[role]
    assert (remove_url in page) is MAY_LINK[role]


@pytest.mark.parametrize("role", ["caseworker", "staff"])
def test_another_offices_campaign_is_not_found_for_either_action(role, campaign, office, other_office, client_for):
    case = _case(office)
    campaign.campaign_cases.create(office=office, case=case)
    outsider = client_for(MembershipFactory(office=other_office, role=role))
    add = outsider.post(reverse("campaigns:campaign-case-add", args=[campaign.pk]), {"reference": case.reference})
    remove = outsider.post(reverse("campaigns:campaign-case-remove", args=[campaign.pk, case.pk]))
    assert add.status_code == 404 and remove.status_code == 404
    assert CampaignCase.objects.filter(campaign=campaign, case=case).count() == 1


def test_a_caseworker_cannot_remove_a_sensitive_case_they_cannot_see(campaign, office, caseworker, client_for):
    hidden = _case(office, is_sensitive=True)
    campaign.campaign_cases.create(office=office, case=hidden)
    response = client_for(caseworker).post(reverse("campaigns:campaign-case-remove", args=[campaign.pk, hidden.pk]))
    assert response.status_code == 404
    assert CampaignCase.objects.filter(campaign=campaign, case=hidden).exists()
