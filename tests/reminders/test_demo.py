"""The demo's promises for reminders and bulk replies: one overdue reply gets a reminder and a
chaser on the first sweep after start-up, and the knife-crime campaign is ready for a bulk reply."""

import io

import pytest
from django.core.management import call_command

from campaigns.models import Campaign
from campaigns.services import campaign_cases
from casework.models import Case
from letters.bulk import bulk_preview, bulk_run_prepare
from letters.demo import BULK_TEMPLATE, CAMPAIGN_NAME
from letters.models import Letter, LetterTemplate
from letters.reminders import sweep_replies_overdue
from mpoffice.models import Notification, Reminder


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())


def test_first_sweep_after_start_up_reminds_the_overdue_reply_and_drafts_one_chaser(demo):
    assert sweep_replies_overdue().raised == 1
    assert sweep_replies_overdue().raised == 0
    reminder = Reminder.objects.get(kind=Reminder.Kind.REPLY_OVERDUE)
    overdue = Letter.objects.get(pk=reminder.source_id)
    assert reminder.office.reference_prefix == "MKS"
    assert Letter.objects.filter(subject__startswith=f"Chasing our letter {overdue.reference}").count() == 1
    assert Notification.objects.filter(reminder=reminder).exists()


def test_knife_crime_campaign_is_ready_for_a_bulk_reply(demo):
    campaign = Campaign.objects.get(office__reference_prefix="MKS", name=CAMPAIGN_NAME)
    template = LetterTemplate.objects.get(office=campaign.office, name=BULK_TEMPLATE[0])
    run = bulk_run_prepare(
        office=campaign.office,
        by=None,
        template=template,
        cases=campaign_cases(campaign=campaign, cases=Case.objects.for_office(campaign.office)),
        description=f"Campaign: {campaign.name}",
        campaign=campaign,
    )
    assert run.total >= 10
    assert all(not sample.problem for sample in bulk_preview(run=run))
