"""Campaigns (policy issues): which cases raise them. Services and selectors in one small module."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from campaigns.models import Campaign, CampaignCase, FollowUpAction, KeyFact, Meeting
from casework.models import Case, Topic
from casework.services import timeline_record
from mpoffice.models import Membership, Office


def campaigns_for(*, membership: Membership) -> QuerySet[Campaign]:
    return Campaign.objects.for_office(membership.office)


@transaction.atomic
def campaign_save(*, campaign: Campaign, office: Office, topics: Iterable[Topic]) -> Campaign:
    """Add a campaign to the office, or save changes to one of its own, with the topics whose
    new cases it gathers (replacing those it had)."""
    if campaign.pk is None:
        campaign.office = office
    elif campaign.office_id != office.pk:
        raise ValueError("A campaign is saved only in its own office.")
    topics = list(topics)
    if any(topic.office_id != office.pk for topic in topics):
        raise ValueError("A campaign follows only its own office's topics.")
    campaign.save()
    campaign.topics.set(topics)
    return campaign


def campaign_case_link(*, campaign: Campaign, case: Case, by: User) -> bool:
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
def campaign_case_unlink(*, campaign: Campaign, case: Case, by: User) -> bool:
    deleted, _ = CampaignCase.objects.filter(campaign=campaign, case=case).delete()
    if deleted:
        timeline_record(case=case, kind="campaign", title=f"Removed from campaign “{campaign.name}”", actor=by)
    return bool(deleted)


def campaign_topic_ids(campaign: Campaign) -> list[int]:
    """The rule's topics and their sub-topics (topics have two levels)."""
    chosen = list(campaign.topics.values_list("pk", flat=True))
    if not chosen:
        return []
    children = Topic.objects.filter(parent_id__in=chosen).values_list("pk", flat=True)
    return sorted(set(chosen) | set(children))


def campaign_cases(*, campaign: Campaign, cases: QuerySet[Case]) -> QuerySet[Case]:
    """The cases of ``cases`` that raise the campaign: linked by hand, or matching its rule.

    The rule is a condition in the query, not a copy of it, so the campaign is always current:
    a case opened under the rule's topics this morning is in this afternoon's briefing.
    The hand-linked ids are read first (one small query) so that PostgreSQL can combine the
    primary-key index with the (office, topic, opened) index instead of scanning every case.
    """
    linked_ids = list(CampaignCase.objects.filter(campaign=campaign).values_list("case_id", flat=True))
    condition = Q(pk__in=linked_ids)
    rule_since = campaign.rule_since
    topic_ids = campaign_topic_ids(campaign) if rule_since else []
    if topic_ids and rule_since:
        since = timezone.make_aware(datetime.combine(rule_since, time.min))
        condition |= Q(topic_id__in=topic_ids, opened_at__gte=since)
    return cases.filter(condition)


@transaction.atomic
def key_fact_add(
    *, campaign: Campaign, by: User, statement: str, source: str, stated_on: date, source_url: str = ""
) -> KeyFact:
    fact = KeyFact(
        office_id=campaign.office_id,
        campaign=campaign,
        statement=statement,
        source=source,
        source_url=source_url,
        stated_on=stated_on,
        added_by=by,
    )
    fact.full_clean()
    fact.save()
    return fact


@transaction.atomic
def meeting_add(*, campaign: Campaign, held_on: date, place: str, attendees: str, notes: str = "") -> Meeting:
    meeting = Meeting(
        office_id=campaign.office_id, campaign=campaign, held_on=held_on, place=place, attendees=attendees, notes=notes
    )
    meeting.full_clean()
    meeting.save()
    return meeting


@transaction.atomic
def action_add(*, meeting: Meeting, description: str, owner: User | None, due_on: date) -> FollowUpAction:
    action = FollowUpAction(
        office_id=meeting.office_id, meeting=meeting, description=description, owner=owner, due_on=due_on
    )
    action.full_clean()
    action.save()
    return action


def action_complete(*, action: FollowUpAction) -> bool:
    """Mark an action done; False when it already was (two clicks record one completion)."""
    return FollowUpAction.objects.filter(pk=action.pk, done_at=None).update(done_at=timezone.now()) == 1
