from datetime import date

import pytest
from django.urls import reverse

from campaigns.models import FollowUpAction, KeyFact, Meeting
from tests.campaigns.factories import CampaignFactory


@pytest.fixture
def campaign(office):
    return CampaignFactory(office=office, name="Knife crime in Milton Keynes")


@pytest.fixture
def meeting(campaign):
    return Meeting.objects.create(
        office=campaign.office, campaign=campaign, held_on=date(2021, 6, 10), place="Oldbrook", attendees="PCC"
    )


def test_staff_add_a_key_fact_with_its_source(campaign, staff, client_for):
    response = client_for(staff).post(
        reverse("campaigns:campaign-fact-add", args=[campaign.pk]),
        {
            "statement": "Fourth fatal stabbing in 13 weeks",
            "source": "Thames Valley Police",
            "source_url": "www.thamesvalley.police.uk",
            "stated_on": "2021-07-01",
        },
    )
    assert response.status_code == 302
    fact = KeyFact.objects.get(campaign=campaign)
    assert fact.source_url == "https://www.thamesvalley.police.uk"


def test_a_key_fact_without_source_is_refused_and_the_typing_is_kept(campaign, staff, client_for):
    response = client_for(staff).post(
        reverse("campaigns:campaign-fact-add", args=[campaign.pk]),
        {"statement": "Fourth fatal stabbing in 13 weeks", "source": "", "stated_on": "31/02/2021"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required" in html and "Enter a valid date" in html
    assert 'value="Fourth fatal stabbing in 13 weeks"' in html
    assert not KeyFact.objects.exists()


def test_caseworker_cannot_add_facts_or_meetings(campaign, caseworker, client_for):
    client = client_for(caseworker)
    assert client.post(reverse("campaigns:campaign-fact-add", args=[campaign.pk]), {}).status_code == 403
    assert client.post(reverse("campaigns:campaign-meeting-add", args=[campaign.pk]), {}).status_code == 403


def test_staff_record_a_meeting_and_an_action_for_a_colleague(campaign, staff, caseworker, client_for):
    client = client_for(staff)
    client.post(
        reverse("campaigns:campaign-meeting-add", args=[campaign.pk]),
        {"held_on": "2021-06-10", "place": "Oldbrook", "attendees": "Police and Crime Commissioner"},
    )
    meeting = Meeting.objects.get(campaign=campaign)
    prefix = f"meeting-{meeting.pk}"
    response = client.post(
        reverse("campaigns:meeting-action-add", args=[campaign.pk, meeting.pk]),
        {
            f"{prefix}-description": "Send case figures",
            f"{prefix}-owner": caseworker.user.pk,
            f"{prefix}-due_on": "2021-06-20",
        },
    )
    assert response.status_code == 302
    assert FollowUpAction.objects.get(meeting=meeting).owner == caseworker.user


def test_an_action_cannot_be_given_to_someone_outside_the_office(campaign, meeting, staff, outsider, client_for):
    prefix = f"meeting-{meeting.pk}"
    response = client_for(staff).post(
        reverse("campaigns:meeting-action-add", args=[campaign.pk, meeting.pk]),
        {f"{prefix}-description": "Leak", f"{prefix}-owner": outsider.user.pk, f"{prefix}-due_on": "2021-06-20"},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not FollowUpAction.objects.exists()


def test_the_owner_marks_their_action_done_once(campaign, meeting, caseworker, client_for):
    action = FollowUpAction.objects.create(
        office=campaign.office,
        meeting=meeting,
        description="Call the PCC",
        owner=caseworker.user,
        due_on=date(2021, 7, 1),
    )
    url = reverse("campaigns:meeting-action-done", args=[campaign.pk, action.pk])
    client_for(caseworker).post(url)
    first = FollowUpAction.objects.get(pk=action.pk).done_at
    client_for(caseworker).post(url)
    assert first is not None and FollowUpAction.objects.get(pk=action.pk).done_at == first


def test_a_caseworker_cannot_close_someone_elses_action(campaign, meeting, caseworker, staff, client_for):
    action = FollowUpAction.objects.create(
        office=campaign.office, meeting=meeting, description="Call the PCC", owner=staff.user, due_on=date(2021, 7, 1)
    )
    response = client_for(caseworker).post(reverse("campaigns:meeting-action-done", args=[campaign.pk, action.pk]))
    assert response.status_code == 403
    assert FollowUpAction.objects.get(pk=action.pk).done_at is None
