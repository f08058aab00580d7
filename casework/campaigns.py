"""Campaigns (policy issues): which cases raise them. Services and selectors in one small module."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from casework.models import Campaign, CampaignCase, Case
from casework.services import timeline_record
from mpoffice.models import Membership


def campaigns_for(*, membership: Membership) -> QuerySet[Campaign]:
    return Campaign.objects.for_office(membership.office)


def campaign_case_link(*, campaign: Campaign, case: Case, by) -> bool:
    """Link a case to a campaign; False (and no change) when it was already linked."""
    if case.office_id != campaign.office_id:
        raise ValueError("A campaign can only gather cases of its own office.")
    try:
        with transaction.atomic():
            CampaignCase.objects.create(office_id=campaign.office_id, campaign=campaign, case=case, added_by=by)
            timeline_record(case=case, kind="campaign", title=f"Linked to campaign “{campaign.name}”", actor=by)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def campaign_case_unlink(*, campaign: Campaign, case: Case, by) -> bool:
    deleted, _ = CampaignCase.objects.filter(campaign=campaign, case=case).delete()
    if deleted:
        timeline_record(case=case, kind="campaign", title=f"Removed from campaign “{campaign.name}”", actor=by)
    return bool(deleted)
