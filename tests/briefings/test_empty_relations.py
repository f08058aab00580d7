"""Pages whose records point at nobody: an action without an owner, a decision by a person whose
account was deleted, a review of a case that no longer exists. Each page still answers, and
says so in words (tests/test_template_relations.py keeps the templates that way)."""

import io
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from campaigns.models import FollowUpAction, Meeting
from casework.models import ConstituentMerge
from mpoffice.models import Role
from privacy.models import RetentionReview
from tests.campaigns.factories import CampaignFactory
from tests.casework.factories import CaseFactory, ConstituentFactory
from tests.mpoffice.factories import MembershipFactory
from tests.security.factories import make_ready_export


@pytest.fixture
def meeting(office):
    campaign = CampaignFactory(office=office, name="Knife crime in Milton Keynes")
    return Meeting.objects.create(
        office=office, campaign=campaign, held_on=date(2021, 6, 10), place="Oldbrook", attendees="PCC"
    )


@pytest.fixture
def leaver(office):
    """A member of staff whose account is deleted during the test."""
    return MembershipFactory(office=office, role=Role.STAFF, user__username="leaver", user__first_name="Lee").user


def _campaign_pages(client_for, staff, mp, campaign) -> tuple[str, str, str]:
    campaign_page = client_for(staff).get(campaign.get_absolute_url())
    briefing = client_for(mp).get(reverse("campaign-briefing", args=[campaign.pk]))
    pdf = client_for(mp).get(reverse("campaign-briefing-pdf", args=[campaign.pk]))
    assert (campaign_page.status_code, briefing.status_code, pdf.status_code) == (200, 200, 200)
    pdf_text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    return campaign_page.content.decode(), briefing.content.decode(), " ".join(pdf_text.split())


def test_an_action_added_without_an_owner_leaves_the_campaign_briefing_and_pdf_working(meeting, staff, mp, client_for):
    prefix = f"meeting-{meeting.pk}"
    response = client_for(staff).post(
        reverse("campaigns:meeting-action-add", args=[meeting.campaign.pk, meeting.pk]),
        {
            f"{prefix}-description": "Ask the council for CCTV figures",
            f"{prefix}-owner": "",
            f"{prefix}-due_on": "2021-06-20",
        },
    )
    assert response.status_code == 302 and FollowUpAction.objects.get().owner is None

    campaign_page, briefing, pdf_text = _campaign_pages(client_for, staff, mp, meeting.campaign)

    assert "Ask the council for CCTV figures – no owner" in campaign_page
    assert "Ask the council for CCTV figures</td><td>–</td>" in briefing
    assert "Ask the council for CCTV figures –" in pdf_text


def test_deleting_the_owners_account_leaves_the_campaign_briefing_and_pdf_working(
    meeting, staff, mp, leaver, client_for
):
    FollowUpAction.objects.create(
        office=meeting.office,
        meeting=meeting,
        description="Send the PCC our figures",
        owner=leaver,
        due_on=date(2021, 6, 20),
    )
    before, _, _ = _campaign_pages(client_for, staff, mp, meeting.campaign)
    assert "Send the PCC our figures – Lee" in before

    leaver.delete()

    campaign_page, briefing, pdf_text = _campaign_pages(client_for, staff, mp, meeting.campaign)
    assert "Send the PCC our figures – no owner" in campaign_page
    assert "Send the PCC our figures" in briefing and "Send the PCC our figures" in pdf_text


def test_data_protection_page_names_a_decider_who_left_and_a_case_that_no_longer_exists(
    office, staff, leaver, client_for
):
    RetentionReview.objects.create(office=office, case=None, case_reference="MKS-2019-00007")
    RetentionReview.objects.create(
        office=office,
        case=CaseFactory(office=office),
        case_reference="MKS-2019-00008",
        decision=RetentionReview.Decision.KEPT,
        decided_by=leaver,
        keep_until=date(2030, 1, 1),
    )
    leaver.delete()

    response = client_for(staff).get(reverse("privacy:data-protection"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "MKS-2019-00007 (no longer exists)" in html and 'href=""' not in html
    assert "someone no longer here" in html and "None" not in html


def test_a_merge_and_an_export_by_someone_whose_account_was_deleted_say_so(office, staff, leaver, client_for):
    survivor = ConstituentFactory(office=office)
    ConstituentMerge.objects.create(
        office=office, survivor=survivor, merged=ConstituentFactory(office=office), merged_by=leaver
    )
    export = make_ready_export(office, constituent=survivor)
    export.requested_by = leaver
    export.save()
    leaver.delete()

    pages = [
        client_for(staff).get(survivor.get_absolute_url()),
        client_for(staff).get(reverse("privacy:subject-access", args=[survivor.pk])),
        client_for(staff).get(reverse("privacy:subject-access-detail", args=[export.pk])),
    ]

    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "someone no longer here" in html and "by None" not in html and "<td>None</td>" not in html
