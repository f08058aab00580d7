"""The demo data tells the reference story, computed by Postbag itself (not typed in)."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from campaigns.models import Campaign, Meeting, Survey
from campaigns.surveys import survey_results
from mpoffice.models import Membership
from tests.conftest import verified_login


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_demo_survey_gives_the_39_percent_with_n_and_interval(demo):
    survey = Survey.objects.get(title="Build Back Better in Milton Keynes South", office__reference_prefix="MKS")
    priority = next(r for r in survey_results(survey=survey) if r.question.kind == "single")
    crime = next(o for o in priority.options if o.option.label == "Tackling crime and anti-social behaviour")
    assert priority.respondents == 1210
    assert crime.result.count == 472
    assert crime.result.rounded() == (39, 36, 42)


def test_demo_campaigns_hold_facts_meetings_and_the_finding(demo):
    south = Campaign.objects.get(office__reference_prefix="MKS", name="Knife crime in Milton Keynes")
    north = Campaign.objects.get(office__reference_prefix="MKN", name="Knife crime in Milton Keynes")
    assert south.survey_findings.get().text.startswith("39% of 1,210 respondents (95% CI 36–42%)")
    assert south.key_facts.filter(statement__contains="90% over two years").exists()
    assert Meeting.objects.get(campaign=north).place == "Oldbrook"
    assert Meeting.objects.get(campaign=south).place == "Netherfield"


def test_demo_mp_reads_the_dashboard_and_briefing(demo):
    client = Client()
    verified_login(client, Membership.objects.get(user__username="mks-mp").user)
    assert client.get(reverse("home")).status_code == 200
    campaign = Campaign.objects.get(office__reference_prefix="MKS", name="Knife crime in Milton Keynes")
    briefing = client.get(reverse("campaign-briefing", args=[campaign.pk])).content.decode()
    assert "39% of 1,210 respondents" in briefing and "Netherfield" in briefing


def test_loading_the_demo_twice_changes_nothing_in_the_story(demo):
    counts = (Survey.objects.get().responses.count(), Meeting.objects.count(), Campaign.objects.count())
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Survey.objects.get().responses.count(), Meeting.objects.count(), Campaign.objects.count()) == counts
