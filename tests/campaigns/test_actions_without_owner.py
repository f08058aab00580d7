"""A meeting's follow-up action may have no owner (the form allows it, and an owner's account
may be deleted): the campaign page and its briefing still show, saying so."""

from datetime import date

import pytest
from django.urls import reverse

from campaigns.models import FollowUpAction, Meeting
from tests.campaigns.factories import CampaignFactory


@pytest.mark.django_db
def test_an_action_without_an_owner_shows_on_the_campaign_page_and_briefing(office, staff, client_for):
    campaign = CampaignFactory(office=office)
    meeting = Meeting.objects.create(
        office=office, campaign=campaign, held_on=date(2021, 6, 10), place="Oldbrook", attendees="PCC"
    )
    client = client_for(staff)
    prefix = f"meeting-{meeting.pk}"
    added = client.post(
        reverse("campaigns:meeting-action-add", args=[campaign.pk, meeting.pk]),
        {f"{prefix}-description": "Send case figures", f"{prefix}-owner": "", f"{prefix}-due_on": "2099-06-20"},
    )
    assert added.status_code == 302 and FollowUpAction.objects.get(meeting=meeting).owner is None

    page = client.get(reverse("campaigns:campaign-detail", args=[campaign.pk]))
    assert page.status_code == 200
    assert "Send case figures – no owner" in page.content.decode()
    briefing = client.get(reverse("campaign-briefing", args=[campaign.pk]))
    assert briefing.status_code == 200
    assert "<td>Send case figures</td><td>–</td>" in briefing.content.decode()
