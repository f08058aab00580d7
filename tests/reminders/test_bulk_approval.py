"""A bulk reply waits for the MP's approval of its template and number of letters, unless the
office lets staff send bulk replies themselves (an audited office setting).

Staff prepare, submit and start; the MP approves or returns; caseworkers do neither; another
office's run is a 404 (the URL sweep checks that for every role, these test it by hand too)."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from campaigns.services import campaign_case_link, campaign_case_unlink
from casework.models import Case
from letters.bulk import bulk_run_approve, bulk_run_return, bulk_run_start
from letters.models import BulkRun, Letter
from mpoffice.models import Notification, Office
from tests.letters.factories import make_case, make_constituent
from tests.mpoffice.factories import MembershipFactory
from tests.reminders.test_bulk import campaign_with_cases, make_run, make_template

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def prepared(office, staff, client_for, *, people=3):
    """A campaign run prepared by ``staff`` through the page, as the office would."""
    campaign, people_list = campaign_with_cases(office, people=people)
    template = make_template(office)
    response = client_for(staff).post(
        reverse("letters:bulk-new"), {"template": template.pk, "source": "campaign", "campaign": campaign.pk}
    )
    run = BulkRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    return run, campaign, people_list


def post(client, name, run, data=None):
    return client.post(reverse(name, args=[run.pk]), data or {})


# --- the flow ------------------------------------------------------------------------------------


def test_a_prepared_run_waits_for_the_mp_and_staff_cannot_start_it(
    office, staff, client_for, django_capture_on_commit_callbacks
):
    run, _, _ = prepared(office, staff, client_for)
    assert run.status == BulkRun.Status.AWAITING_APPROVAL
    client = client_for(staff)
    page = client.get(run.get_absolute_url())
    assert b"Waiting for Iain Stewart MP to approve" in page.content
    assert b"letters:bulk-start" not in page.content and b"/start/" not in page.content

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "letters:bulk-start", run)
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == BulkRun.Status.AWAITING_APPROVAL
    assert not Letter.objects.exists()
    assert "waiting for the MP" in client.get(run.get_absolute_url()).content.decode()


def test_the_mp_sees_the_run_with_a_sample_on_the_dashboard_and_letter_list(office, staff, mp, client_for):
    run, _, _ = prepared(office, staff, client_for)
    client = client_for(mp)
    dashboard = client.get(reverse("home")).content.decode()
    assert "Bulk replies waiting for approval" in dashboard and f"Bulk reply #{run.pk}" in dashboard
    letters = client.get(reverse("letters:list")).content.decode()
    assert "1 bulk reply waiting for your approval" in letters
    waiting = client.get(reverse("letters:bulk-list") + "?status=awaiting").content.decode()
    assert f"#{run.pk}</a>" in waiting
    detail = client.get(run.get_absolute_url()).content.decode()
    assert "3 letters will be made" in detail
    assert "Thank you for contacting me about knife crime in" in detail  # the merged sample
    assert "Approve 3 letters" in detail and "Return to the office" in detail


def test_the_mp_approves_then_staff_start_and_every_letter_is_made(
    office, staff, mp, client_for, django_capture_on_commit_callbacks
):
    run, _, people = prepared(office, staff, client_for)
    assert post(client_for(mp), "letters:bulk-approve", run).status_code == 302
    run.refresh_from_db()
    assert run.status == BulkRun.Status.APPROVED and run.approved_by == mp.user and run.approved_total == 3
    # The person who prepared it is told.
    assert Notification.objects.filter(user=staff.user, kind="bulk_approved", url=run.get_absolute_url()).exists()
    assert not Letter.objects.exists()  # approval alone sends nothing

    with django_capture_on_commit_callbacks(execute=True):
        post(client_for(staff), "letters:bulk-start", run)
    run.refresh_from_db()
    assert run.status == BulkRun.Status.FINISHED
    assert Letter.objects.filter(recipient_constituent__in=people).count() == 3


def test_the_mp_returns_a_run_with_a_comment_and_the_preparer_is_told(
    office, staff, mp, client_for, django_capture_on_commit_callbacks
):
    run, _, _ = prepared(office, staff, client_for)
    response = post(client_for(mp), "letters:bulk-return", run, {"comment": "Mention the PCC meeting, please."})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == BulkRun.Status.RETURNED and run.return_comment == "Mention the PCC meeting, please."
    note = Notification.objects.get(user=staff.user, kind="bulk_returned")
    assert note.body == "Mention the PCC meeting, please." and note.url == run.get_absolute_url()
    # Returned: staff cannot start it, they change it and ask again.
    with django_capture_on_commit_callbacks(execute=True):
        post(client_for(staff), "letters:bulk-start", run)
    assert not Letter.objects.exists()
    page = client_for(staff).get(run.get_absolute_url()).content.decode()
    assert "Mention the PCC meeting, please." in page and "Ask the MP to approve again" in page
    assert post(client_for(staff), "letters:bulk-submit", run).status_code == 302
    run.refresh_from_db()
    assert run.status == BulkRun.Status.AWAITING_APPROVAL


def test_returning_without_a_comment_says_what_to_do_and_changes_nothing(office, staff, mp, client_for):
    run, _, _ = prepared(office, staff, client_for)
    response = post(client_for(mp), "letters:bulk-return", run, {"comment": "   "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert 'aria-describedby="id_comment-help id_comment-error"' in response.content.decode()
    run.refresh_from_db()
    assert run.status == BulkRun.Status.AWAITING_APPROVAL
    assert not Notification.objects.filter(kind="bulk_returned").exists()


def test_approving_twice_or_after_a_return_is_refused_with_a_message(office, staff, mp, client_for):
    run, _, _ = prepared(office, staff, client_for)
    client = client_for(mp)
    post(client, "letters:bulk-approve", run)
    response = client.post(reverse("letters:bulk-approve", args=[run.pk]), follow=True)
    assert "not waiting for approval" in response.content.decode()
    post(client, "letters:bulk-return", run, {"comment": "On reflection, not yet."})
    response = client.post(reverse("letters:bulk-approve", args=[run.pk]), follow=True)
    assert "not waiting for approval" in response.content.decode()
    run.refresh_from_db()
    assert run.status == BulkRun.Status.RETURNED and run.approved_total is None


# --- the recount -------------------------------------------------------------------------------


def test_more_recipients_after_approval_sends_the_run_back_to_the_mp(
    office, staff, mp, client_for, django_capture_on_commit_callbacks
):
    run, campaign, _ = prepared(office, staff, client_for)
    bulk_run_approve(run=run, by=mp)
    newcomer = make_constituent(office, first_name="Newcomer", email="new@example.org")
    campaign_case_link(campaign=campaign, case=make_case(office, constituents=[newcomer]), by=None)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(reverse("letters:bulk-start", args=[run.pk]), follow=True)
    assert "3 letters approved, 4 now" in response.content.decode()
    run.refresh_from_db()
    assert run.status == BulkRun.Status.AWAITING_APPROVAL and run.total == 4 and run.approved_total is None
    assert not Letter.objects.exists()
    assert run.items.filter(constituent=newcomer).exists()  # the MP now sees the new count

    bulk_run_approve(run=run, by=mp)
    with django_capture_on_commit_callbacks(execute=True):
        assert bulk_run_start(run=run, by=staff)
    assert Letter.objects.count() == 4


def test_fewer_recipients_after_approval_sends_the_run_back_to_the_mp(office, staff, mp, client_for):
    run, campaign, _ = prepared(office, staff, client_for)
    bulk_run_approve(run=run, by=mp)
    campaign_case_unlink(campaign=campaign, case=run.items.order_by("pk").first().case, by=None)
    outcome = bulk_run_start(run=run, by=staff)
    assert not outcome and "3 letters approved, 2 now" in outcome.message
    run.refresh_from_db()
    assert run.status == BulkRun.Status.AWAITING_APPROVAL and run.total == 2
    assert not Letter.objects.exists()


def test_a_filtered_run_is_counted_again_from_its_filters(office, staff, mp, client_for):
    first = make_case(office, constituents=[make_constituent(office, first_name="Open")])
    make_case(office, constituents=[make_constituent(office, first_name="Also open")])
    client_for(staff).post(
        reverse("letters:bulk-new"), {"template": make_template(office).pk, "source": "cases", "status": ["open_any"]}
    )
    run = BulkRun.objects.get()
    assert run.total == 2 and run.case_filter == {"status": ["open_any"]}
    bulk_run_approve(run=run, by=mp)
    Case.objects.filter(pk=first.pk).update(status=Case.Status.CLOSED, outcome=Case.Outcome.RESOLVED)
    outcome = bulk_run_start(run=run, by=staff)
    assert not outcome and "2 letters approved, 1 now" in outcome.message
    run.refresh_from_db()
    assert run.status == BulkRun.Status.AWAITING_APPROVAL
    assert run.total == 1 and not run.items.filter(case=first).exists()


def test_a_template_changed_after_approval_sends_the_run_back_to_the_mp(office, staff, mp, client_for):
    run, _, _ = prepared(office, staff, client_for)
    bulk_run_approve(run=run, by=mp)
    run.template.body += "\n\nP.S. Something the MP never read."
    run.template.save()
    outcome = bulk_run_start(run=run, by=staff)
    assert not outcome and "template was changed" in outcome.message
    run.refresh_from_db()
    assert run.status == BulkRun.Status.AWAITING_APPROVAL and not Letter.objects.exists()


def test_a_swapped_recipient_at_the_same_count_gets_the_letter_instead(
    office, staff, mp, client_for, django_capture_on_commit_callbacks
):
    run, campaign, people = prepared(office, staff, client_for)
    bulk_run_approve(run=run, by=mp)
    leaver = run.items.order_by("pk").first()
    campaign_case_unlink(campaign=campaign, case=leaver.case, by=None)
    joiner = make_constituent(office, first_name="Joiner", email="joiner@example.org")
    campaign_case_link(campaign=campaign, case=make_case(office, constituents=[joiner]), by=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert bulk_run_start(run=run, by=staff)
    recipients = set(Letter.objects.values_list("recipient_constituent_id", flat=True))
    assert joiner.pk in recipients and leaver.constituent_id not in recipients and len(recipients) == 3


# --- the office setting ----------------------------------------------------------------------------


def test_with_the_setting_on_staff_start_directly(office, staff, client_for, django_capture_on_commit_callbacks):
    Office.objects.filter(pk=office.pk).update(staff_may_send_bulk=True)
    run, _, _ = prepared(office, staff, client_for)
    assert run.status == BulkRun.Status.DRAFT
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(reverse("letters:bulk-start", args=[run.pk]), follow=True)
    assert "Bulk reply started: 3 letters are being made." in response.content.decode()
    run.refresh_from_db()
    assert run.status == BulkRun.Status.FINISHED and Letter.objects.count() == 3


def test_a_draft_made_with_the_setting_on_needs_approval_once_it_is_turned_off(office, staff, mp, client_for):
    Office.objects.filter(pk=office.pk).update(staff_may_send_bulk=True)
    run, _, _ = prepared(office, staff, client_for)
    Office.objects.filter(pk=office.pk).update(staff_may_send_bulk=False)
    client = client_for(staff)
    response = client.post(reverse("letters:bulk-start", args=[run.pk]), follow=True)
    assert "need the MP&#x27;s approval" in response.content.decode()
    assert "Ask the MP to approve" in response.content.decode()
    run.refresh_from_db()
    assert run.status == BulkRun.Status.DRAFT and not Letter.objects.exists()
    client.post(reverse("letters:bulk-submit", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == BulkRun.Status.AWAITING_APPROVAL


def test_staff_turn_the_setting_on_and_the_change_is_audited(office, staff, mp, client_for):
    client = client_for(staff)
    page = client.get(reverse("office-settings"))
    assert page.status_code == 200 and b"No changes recorded yet." in page.content
    response = client.post(reverse("office-settings"), {"staff_may_send_bulk": "on"}, follow=True)
    assert "Settings saved." in response.content.decode()
    office.refresh_from_db()
    assert office.staff_may_send_bulk is True
    entry = LogEntry.objects.get(content_type__model="office", object_pk=str(office.pk))
    assert entry.actor == staff.user and entry.changes == {"staff_may_send_bulk": ["False", "True"]}
    # Who and when, on the page, for staff and the MP alike.
    for member in (staff, mp):
        page = client_for(member).get(reverse("office-settings")).content.decode()
        assert "Staff may send bulk replies: turned on" in page
        assert staff.user.get_full_name() in page and entry.timestamp.astimezone().strftime("%d/%m/%Y") in page
    # Saving the same value again records nothing.
    client.post(reverse("office-settings"), {"staff_may_send_bulk": "on"})
    client.post(reverse("office-settings"), {})
    assert LogEntry.objects.filter(content_type__model="office").count() == 2
    office.refresh_from_db()
    assert office.staff_may_send_bulk is False


def test_only_staff_change_the_setting_the_mp_reads_it_caseworkers_neither(office, mp, caseworker, client_for):
    mp_client = client_for(mp)
    assert mp_client.get(reverse("office-settings")).status_code == 200
    assert mp_client.post(reverse("office-settings"), {"staff_may_send_bulk": "on"}).status_code == 403
    worker = client_for(caseworker)
    assert worker.get(reverse("office-settings")).status_code == 403
    assert worker.post(reverse("office-settings"), {"staff_may_send_bulk": "on"}).status_code == 403
    office.refresh_from_db()
    assert office.staff_may_send_bulk is False and not LogEntry.objects.filter(content_type__model="office").exists()


def test_another_offices_setting_is_neither_shown_nor_changed(office, other_office, outsider, client_for):
    Office.objects.filter(pk=office.pk).update(staff_may_send_bulk=True)
    client_for(outsider).post(reverse("office-settings"), {})
    office.refresh_from_db()
    assert office.staff_may_send_bulk is True  # the outsider changed their own office only
    assert not LogEntry.objects.filter(content_type__model="office", object_pk=str(office.pk)).exists()


# --- roles on every action --------------------------------------------------------------------------

ACTIONS = ["letters:bulk-approve", "letters:bulk-return", "letters:bulk-submit", "letters:bulk-start"]
# Who may do each action (everyone else in the office gets 403).
MAY = {
    "letters:bulk-approve": "mp",
    "letters:bulk-return": "mp",
    "letters:bulk-submit": "staff",
    "letters:bulk-start": "staff",
}


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("role", ["caseworker", "staff", "mp"])
def test_each_bulk_action_is_for_one_role(name, role, office, staff, mp, caseworker, client_for):
    run = make_run(office, campaign_with_cases(office, people=1)[0])
    if name == "letters:bulk-submit":
        bulk_run_return(run=run, by=mp, comment="Try again.")
    if name == "letters:bulk-start":
        bulk_run_approve(run=run, by=mp)
    before = BulkRun.objects.get(pk=run.pk).status
    actor = {"caseworker": caseworker, "staff": staff, "mp": mp}[role]
    response = post(client_for(actor), name, run, {"comment": "Not this week."})
    run.refresh_from_db()
    if MAY[name] == role:
        assert response.status_code == 302 and run.status != before
    else:
        assert response.status_code == 403 and run.status == before


@pytest.mark.parametrize("name", ACTIONS)
def test_another_offices_run_is_not_found_for_any_action(name, office, other_office, client_for):
    run = make_run(office, campaign_with_cases(office, people=1)[0])
    # A member of the other office with the very role the action needs.
    outsider = MembershipFactory(office=other_office, role=MAY[name])
    assert post(client_for(outsider), name, run, {"comment": "No."}).status_code == 404
    assert BulkRun.objects.get(pk=run.pk).status == BulkRun.Status.AWAITING_APPROVAL
