"""The reminder sweeps: each due thing is reminded exactly once, with its side effect, and a
broken row is recorded and skipped."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from campaigns.models import FollowUpAction, Meeting
from casework.models import Case
from letters import services
from letters.models import Letter, Status
from letters.reminders import sweep_approvals, sweep_casework, sweep_replies_overdue
from mpoffice.models import Notification, Reminder, Role, SweepError, SweepRun
from mpoffice.reminders import reminder_raise
from tests.campaigns.factories import CampaignFactory
from tests.letters.factories import approved_letter, make_case
from tests.mpoffice.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _sent_letter(office, mp, *, days_ago=60, by=None, **kwargs) -> Letter:
    letter = approved_letter(office, mp, by=by, **kwargs)
    return services.letter_send(
        letter=letter, by=None, channel="post", sent_on=timezone.localdate() - timedelta(days=days_ago)
    )


def _reminders(kind, source):
    return Reminder.objects.filter(
        kind=kind, source_type=ContentType.objects.get_for_model(source), source_id=source.pk
    )


def test_overdue_reply_is_reminded_once_with_one_chaser(office, caseworker, staff, mp):
    case = make_case(office)
    letter = _sent_letter(office, mp, by=caseworker.user, cases=[case])
    assert letter.reply_due_on < timezone.localdate()

    for _ in range(3):  # three sweeps: a second beat, a re-delivered message, the next minute
        sweep_replies_overdue()

    (reminder,) = _reminders(Reminder.Kind.REPLY_OVERDUE, letter)
    assert reminder.due_on == letter.reply_due_on
    told = set(Notification.objects.filter(reminder=reminder).values_list("user_id", flat=True))
    assert told == {caseworker.user_id, staff.user_id}  # the letter's creator and the office staff
    (chaser,) = Letter.objects.filter(subject__startswith=f"Chasing our letter {letter.reference}")
    assert chaser.status == Status.DRAFT and chaser.recipient_post_id == letter.recipient_post_id
    assert list(chaser.cases.all()) == [case]
    assert case.timeline.filter(title__startswith=f"Chaser {chaser.reference}").count() == 1
    assert SweepRun.objects.get(name="replies-overdue").failed == 0


def test_overdue_reply_is_not_told_to_a_drafter_who_may_no_longer_see_the_case(office, caseworker, staff, mp):
    # The case became sensitive and is now a colleague's: the reminder names the letter, so it
    # goes to the office staff only.
    colleague = MembershipFactory(office=office, role=Role.CASEWORKER)
    case = make_case(office)
    letter = _sent_letter(office, mp, by=caseworker.user, cases=[case])
    Case.objects.filter(pk=case.pk).update(is_sensitive=True, assignee=colleague.user)

    sweep_replies_overdue()

    (reminder,) = _reminders(Reminder.Kind.REPLY_OVERDUE, letter)
    told = set(Notification.objects.filter(reminder=reminder).values_list("user_id", flat=True))
    assert told == {staff.user_id}


def test_reply_not_yet_due_or_already_received_is_not_reminded(office, mp):
    recent = _sent_letter(office, mp, days_ago=1)
    answered = _sent_letter(office, mp)
    services.reply_record(
        letter=answered,
        by=None,
        received_on=timezone.localdate(),
        from_name="Minister",
        summary="ok",
        outcome="answered",
    )
    sweep_replies_overdue()
    assert not Reminder.objects.exists()
    assert recent.reply_due_on >= timezone.localdate()


def test_a_broken_row_is_recorded_and_the_sweep_goes_on(office, staff, mp, client_for, outsider):
    good = _sent_letter(office, mp)
    broken = _sent_letter(office, mp)
    # Data from an old import: a letter due a reply but addressed to nobody a chaser can go to.
    constituent = make_case(office).constituents.get()
    Letter.objects.filter(pk=broken.pk).update(
        recipient_kind=Letter.RecipientKind.CONSTITUENT, recipient_post=None, recipient_constituent=constituent
    )

    result = sweep_replies_overdue()

    assert (result.raised, result.failed) == (1, 1)
    assert _reminders(Reminder.Kind.REPLY_OVERDUE, good).count() == 1
    # Nothing half-done for the broken one: no reminder, no notification, no chaser.
    assert not _reminders(Reminder.Kind.REPLY_OVERDUE, broken).exists()
    assert not Letter.objects.filter(subject__startswith=f"Chasing our letter {broken.reference}").exists()
    error = SweepError.objects.get()
    assert error.office_id == office.pk and broken.reference in error.source and "nobody to chase" in error.error
    # ...shown on the System status panel of its office, not of another.
    page = client_for(staff).get(reverse("system-status"))
    assert broken.reference.encode() in page.content and b"replies-overdue" in page.content
    assert broken.reference.encode() not in client_for(outsider).get(reverse("system-status")).content
    # The next run tries the broken row again (and still raises nothing twice for the good one).
    assert sweep_replies_overdue().raised == 0
    assert SweepError.objects.count() == 2


def test_case_review_date_reached_notifies_the_assignee(office, caseworker, staff):
    today = timezone.localdate()
    due = make_case(office, assignee=caseworker.user, review_by=today)
    make_case(office, assignee=caseworker.user, review_by=today + timedelta(days=1))
    closed = make_case(office, assignee=caseworker.user, review_by=today - timedelta(days=3))
    Case.objects.filter(pk=closed.pk).update(status=Case.Status.CLOSED, outcome=Case.Outcome.RESOLVED)
    unassigned = make_case(office, review_by=today - timedelta(days=1))

    sweep_casework()
    sweep_casework()

    assert Reminder.objects.filter(kind=Reminder.Kind.CASE_REVIEW).count() == 2
    (notification,) = Notification.objects.filter(reminder__source_id=due.pk, kind=Reminder.Kind.CASE_REVIEW)
    assert notification.user == caseworker.user and due.reference in notification.title
    # Nobody assigned: the office staff review it.
    assert (
        Notification.objects.get(reminder__source_id=unassigned.pk, kind=Reminder.Kind.CASE_REVIEW).user == staff.user
    )


def test_a_new_review_date_is_a_new_reminder(office, caseworker):
    case = make_case(office, assignee=caseworker.user, review_by=timezone.localdate() - timedelta(days=7))
    sweep_casework()
    Case.objects.filter(pk=case.pk).update(review_by=timezone.localdate())
    sweep_casework()
    assert _reminders(Reminder.Kind.CASE_REVIEW, case).count() == 2


def test_follow_up_action_past_due_notifies_its_owner(office, caseworker):
    campaign = CampaignFactory(office=office)
    meeting = Meeting.objects.create(
        office=office, campaign=campaign, held_on=timezone.localdate() - timedelta(days=30), place="Oldbrook"
    )
    overdue = FollowUpAction.objects.create(
        office=office,
        meeting=meeting,
        description="Ask the PCC for patrol figures",
        owner=caseworker.user,
        due_on=timezone.localdate() - timedelta(days=1),
    )
    FollowUpAction.objects.create(
        office=office,
        meeting=meeting,
        description="Done already",
        owner=caseworker.user,
        due_on=timezone.localdate() - timedelta(days=1),
        done_at=timezone.now(),
    )
    sweep_casework()
    sweep_casework()
    (notification,) = Notification.objects.filter(kind=Reminder.Kind.ACTION_OVERDUE)
    assert notification.user == caseworker.user and "patrol figures" in notification.title
    assert notification.reminder.source_id == overdue.pk


def test_letter_waiting_for_the_mp_more_than_n_working_days_notifies_the_mp(office, mp, other_office, settings):
    settings.APPROVAL_REMINDER_WORKING_DAYS = 3
    other_mp = MembershipFactory(office=other_office, role="mp")
    waiting = services.letter_submit(letter=_draft(office), by=None)
    joint = _draft(office)
    services.letter_invite_cosigner(letter=joint, by=None, office=other_office)
    services.letter_submit(letter=joint, by=None)
    fresh = services.letter_submit(letter=_draft(office), by=None)
    # Submitted on Monday 2 March 2026; "today" is Friday 6 March: four working days later.
    monday = timezone.make_aware(timezone.datetime(2026, 3, 2, 10, 0))
    Letter.objects.filter(pk__in=[waiting.pk, joint.pk]).update(updated_at=monday)
    Letter.objects.filter(pk=fresh.pk).update(updated_at=monday + timedelta(days=2))
    friday = monday.date() + timedelta(days=4)

    sweep_approvals(today=friday, working_days=3)
    sweep_approvals(today=friday, working_days=3)

    reminders = Reminder.objects.filter(kind=Reminder.Kind.APPROVAL_WAITING)
    assert reminders.count() == 3  # the waiting letter, and the joint letter for each of its MPs
    told = sorted(Notification.objects.filter(reminder__in=reminders).values_list("user_id", flat=True))
    assert told == sorted([mp.user_id, mp.user_id, other_mp.user_id])
    # Thursday is only three working days: not yet.
    Reminder.objects.all().delete()
    sweep_approvals(today=friday - timedelta(days=1), working_days=3)
    assert not Reminder.objects.exists()


def _draft(office):
    from tests.letters.factories import make_letter

    return make_letter(office)


def test_raising_the_same_reminder_twice_changes_nothing_the_second_time(office, staff):
    effects = []

    def raise_it():
        return reminder_raise(
            office=office,
            kind=Reminder.Kind.CASE_REVIEW,
            source=office,
            due_on=timezone.localdate(),
            title="Review",
            recipients=[staff.user, staff.user],
            effect=effects.append,
        )

    first, second = raise_it(), raise_it()
    assert first is not None and second is None
    assert len(effects) == 1
    assert Notification.objects.filter(reminder=first).count() == 1  # one per person, even if listed twice


def test_an_effect_that_fails_leaves_no_reminder_and_no_notification(office, staff):
    def explode(reminder):
        raise RuntimeError("the chaser could not be drafted")

    with pytest.raises(RuntimeError):
        reminder_raise(
            office=office,
            kind=Reminder.Kind.CASE_REVIEW,
            source=office,
            due_on=timezone.localdate(),
            title="Review",
            recipients=[staff.user],
            effect=explode,
        )
    assert not Reminder.objects.exists() and not Notification.objects.exists()
