"""Bulk replies: preview, start, one letter per constituent, failures per constituent, e-mail
for those who prefer it and print batches for the rest, progress, cancel and resume.

(The MP's approval before a run starts is tested in test_bulk_approval.py; the runs here are
approved by ``start_run`` first.)"""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from campaigns.services import campaign_case_link
from casework.models import Case, Contact
from letters.bulk import (
    bulk_chunk_process,
    bulk_progress,
    bulk_run_approve,
    bulk_run_prepare,
    bulk_run_start,
    bulk_runs_resume,
)
from letters.models import BulkItem, BulkRun, Letter, LetterTemplate, Status
from mpoffice.models import Membership, Role
from tests.campaigns.factories import CampaignFactory
from tests.letters.factories import make_case, make_constituent
from tests.mpoffice.factories import MembershipFactory

pytestmark = pytest.mark.django_db

BODY = "Thank you for contacting me about knife crime in {{ constituency }}.\n\nYour case is {{ case_reference }}."


def campaign_with_cases(office, *, people=4, **constituent_fields):
    """A campaign whose cases have ``people`` constituents: the even ones prefer e-mail, the
    odd ones post."""
    campaign = CampaignFactory(office=office, name=f"Knife crime {office.pk}")
    constituents = []
    for i in range(people):
        fields = {
            "first_name": f"Person{i}",
            "email": f"person{i}@example.org",
            "preferred_channel": "email" if i % 2 else "post",
        }
        fields.update(constituent_fields)
        constituent = make_constituent(office, **fields)
        campaign_case_link(campaign=campaign, case=make_case(office, constituents=[constituent]), by=None)
        constituents.append(constituent)
    return campaign, constituents


def make_template(office, body=BODY):
    return LetterTemplate.objects.create(
        office=office, name=f"Knife crime reply {LetterTemplate.objects.count()}", subject="Knife crime", body=body
    )


def make_run(office, campaign, template=None):
    return bulk_run_prepare(
        office=office,
        by=None,
        template=template or make_template(office),
        cases=Case.objects.filter(campaigns=campaign),
        description=f"Campaign: {campaign.name}",
        campaign=campaign,
    )


def member(office, role):
    """A member of the office with the role (the first one, or a new one)."""
    found = Membership.objects.filter(office=office, role=role, is_active=True).first()
    return found or MembershipFactory(office=office, role=role)


def start_run(run):
    """Start a run as staff, after the MP's approval when the office needs it."""
    run.refresh_from_db()
    if run.status == BulkRun.Status.AWAITING_APPROVAL:
        bulk_run_approve(run=run, by=member(run.office, Role.MP))
    return bulk_run_start(run=run, by=member(run.office, Role.STAFF))


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_staff_previews_the_mp_approves_then_staff_send_one_letter_per_constituent(
    office, staff, mp, client_for, django_capture_on_commit_callbacks
):
    campaign, people = campaign_with_cases(office, people=4)
    # One of them is on two cases of the campaign: still one letter.
    campaign_case_link(campaign=campaign, case=make_case(office, constituents=[people[0]]), by=None)
    template = make_template(office)
    client = client_for(staff)

    response = client.post(
        reverse("letters:bulk-new"), {"template": template.pk, "source": "campaign", "campaign": campaign.pk}
    )
    run = BulkRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    preview = client.get(run.get_absolute_url())
    assert b"4 letters will be made" in preview.content
    assert b"Thank you for contacting me about knife crime in" in preview.content
    assert not Letter.objects.exists()  # nothing is sent by the preview
    assert client_for(mp).post(reverse("letters:bulk-approve", args=[run.pk])).status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("letters:bulk-start", args=[run.pk]))
    assert response.status_code == 302

    run.refresh_from_db()
    assert run.status == BulkRun.Status.FINISHED
    letters = Letter.objects.filter(recipient_constituent__in=people)
    assert sorted(letters.values_list("recipient_constituent_id", flat=True)) == sorted(p.pk for p in people)
    assert set(letters.values_list("status", flat=True)) == {Status.SENT}
    # E-mail for those who prefer it, a print batch for the rest.
    assert sorted(m.to[0] for m in mail.outbox) == ["person1@example.org", "person3@example.org"]
    assert "Your case is MKS-" in mail.outbox[0].body
    batch = run.batches.get()
    assert batch.letters == 2 and batch.pages >= 2
    with batch.pdf.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    # Each letter is on its case's timeline, with a contact.
    for letter in letters:
        case = letter.cases.get()
        assert case.timeline.filter(kind="letter", source_id=letter.pk).count() == 1
        assert Contact.objects.filter(case=case, direction="out").count() == 1
    progress = client.get(reverse("letters:bulk-progress", args=[run.pk]))
    assert b"4 done, 0 failed, 0 left of 4" in progress.content and b"hx-trigger" not in progress.content


def test_a_template_that_fails_for_one_constituent_fails_that_letter_only(office, django_capture_on_commit_callbacks):
    campaign, people = campaign_with_cases(office, people=3)
    # No postal address and no e-mail: nowhere to send it.
    people[0].email, people[0].address_line1, people[0].postcode, people[0].town = "", "", "", ""
    people[0].save()
    # The template needs an address this one (who prefers e-mail) has not got.
    people[1].address_line1, people[1].postcode, people[1].town = "", "", ""
    people[1].save()
    run = make_run(office, campaign, make_template(office, body=BODY + "\n\nWe have you at {{ constituent_address }}."))

    with django_capture_on_commit_callbacks(execute=True):
        start_run(run)

    run.refresh_from_db()
    assert run.status == BulkRun.Status.FINISHED
    failed = {item.constituent_id: item.reason for item in run.items.filter(status=BulkItem.Status.FAILED)}
    assert set(failed) == {people[0].pk, people[1].pk}
    assert "{{ constituent_address }}" in failed[people[0].pk] or "no address" in failed[people[0].pk]
    assert "{{ constituent_address }}" in failed[people[1].pk]
    assert Letter.objects.filter(recipient_constituent=people[2]).count() == 1
    assert not Letter.objects.filter(recipient_constituent__in=people[:2]).exists()  # nothing half-made
    assert bulk_progress(run=run).failed == 2


def test_running_a_chunk_again_never_makes_a_second_letter(office, django_capture_on_commit_callbacks):
    campaign, people = campaign_with_cases(office, people=3)
    run = make_run(office, campaign)
    with django_capture_on_commit_callbacks(execute=True):
        start_run(run)
        start_run(run)  # a double click
    for _ in range(3):  # re-delivered messages, a resumed run
        bulk_chunk_process(run_id=run.pk)
    assert Letter.objects.count() == 3
    assert len(mail.outbox) == 1  # one of three prefers e-mail


def test_chunks_work_through_a_run_in_pieces(office, settings, django_capture_on_commit_callbacks):
    settings.BULK_CHUNK_SIZE = 2
    campaign, _ = campaign_with_cases(office, people=5)
    run = make_run(office, campaign)
    start_run(run)  # on-commit callbacks not run: drive the chunks by hand
    assert bulk_chunk_process(run_id=run.pk) is True
    assert bulk_progress(run=run).left == 3
    bulk_chunk_process(run_id=run.pk)
    assert bulk_chunk_process(run_id=run.pk) is False
    run.refresh_from_db()
    assert run.status == BulkRun.Status.FINISHED and run.batches.count() == 3


def test_cancel_stops_the_rest(office, staff, client_for):
    campaign, _ = campaign_with_cases(office, people=3)
    run = make_run(office, campaign)
    start_run(run)
    response = client_for(staff).post(reverse("letters:bulk-cancel", args=[run.pk]))
    assert response.status_code == 302
    bulk_chunk_process(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == BulkRun.Status.CANCELLED
    assert not Letter.objects.exists()
    assert bulk_progress(run=run).left == 3


def test_a_stalled_run_is_queued_again_and_finishes(office, django_capture_on_commit_callbacks):
    campaign, _ = campaign_with_cases(office, people=2)
    run = make_run(office, campaign)
    start_run(run)  # ...and its message was lost with the worker
    assert bulk_runs_resume() == []  # not stalled yet
    BulkRun.objects.filter(pk=run.pk).update(last_progress_at=timezone.now() - timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert bulk_runs_resume() == [run.pk]
    run.refresh_from_db()
    assert run.status == BulkRun.Status.FINISHED and Letter.objects.count() == 2


def test_bulk_reply_to_the_filtered_case_list(office, staff, client_for):
    open_case = make_case(office, constituents=[make_constituent(office, first_name="Open")])
    closed = make_case(office, constituents=[make_constituent(office, first_name="Closed")])
    Case.objects.filter(pk=closed.pk).update(status=Case.Status.CLOSED, outcome=Case.Outcome.RESOLVED)
    template = make_template(office)
    response = client_for(staff).post(
        reverse("letters:bulk-new"), {"template": template.pk, "source": "cases", "status": ["open_any"]}
    )
    assert response.status_code == 302
    run = BulkRun.objects.get()
    assert list(run.items.values_list("case_id", flat=True)) == [open_case.pk]
    assert run.description.startswith("Cases matching")


def test_campaign_must_be_chosen_when_replying_to_a_campaign(office, staff, client_for):
    response = client_for(staff).post(
        reverse("letters:bulk-new"), {"template": make_template(office).pk, "source": "campaign"}
    )
    assert response.status_code == 200 and b"Choose the campaign" in response.content
    assert not BulkRun.objects.exists()


# --- the three actors ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["letters:bulk-list", "letters:bulk-new"])
def test_caseworker_cannot_use_bulk_replies(name, caseworker, client_for):
    assert client_for(caseworker).get(reverse(name)).status_code == 403


def test_caseworker_cannot_start_watch_or_download(office, caseworker, client_for):
    campaign, _ = campaign_with_cases(office, people=1)
    run = make_run(office, campaign)
    client = client_for(caseworker)
    for name in ("letters:bulk-detail", "letters:bulk-progress"):
        assert client.get(reverse(name, args=[run.pk])).status_code == 403
    for name in ("letters:bulk-start", "letters:bulk-cancel"):
        assert client.post(reverse(name, args=[run.pk])).status_code == 403
    run.refresh_from_db()
    assert run.status == BulkRun.Status.AWAITING_APPROVAL


def test_mp_can_watch_but_not_start(office, mp, client_for):
    campaign, _ = campaign_with_cases(office, people=1)
    run = make_run(office, campaign)
    client = client_for(mp)
    assert client.get(reverse("letters:bulk-list")).status_code == 200
    assert client.get(reverse("letters:bulk-detail", args=[run.pk])).status_code == 200
    bulk_run_approve(run=run, by=mp)
    assert client.post(reverse("letters:bulk-start", args=[run.pk])).status_code == 403
    run.refresh_from_db()
    assert run.status == BulkRun.Status.APPROVED and not Letter.objects.exists()


def test_staff_downloads_a_print_batch_and_outsider_cannot(office, staff, outsider, client_for):
    campaign, _ = campaign_with_cases(office, people=1)
    run = make_run(office, campaign)
    start_run(run)
    bulk_chunk_process(run_id=run.pk)
    batch = run.batches.get()
    response = client_for(staff).get(reverse("letters:bulk-batch", args=[batch.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")
    assert client_for(outsider).get(reverse("letters:bulk-batch", args=[batch.pk])).status_code == 404
    assert client_for(outsider).get(reverse("letters:bulk-detail", args=[run.pk])).status_code == 404


def test_run_list_has_a_fixed_query_count(office, staff, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign, _ = campaign_with_cases(office, people=1)
    make_run(office, campaign)
    client = client_for(staff)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("letters:bulk-list"))
    for _ in range(10):
        make_run(office, campaign)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("letters:bulk-list"))
    assert len(many) == len(few)


def test_postal_letters_left_unbatched_by_a_dead_worker_are_batched_later(office, settings):
    campaign, _ = campaign_with_cases(office, people=3)
    run = make_run(office, campaign)
    start_run(run)
    bulk_chunk_process(run_id=run.pk)
    # As if the worker died after the chunk committed and before it rendered the batch.
    run.batches.all().delete()
    stale = timezone.now() - timedelta(seconds=settings.BULK_STALL_SECONDS + 1)
    BulkItem.objects.filter(run=run).update(processed_at=stale)
    BulkRun.objects.filter(pk=run.pk).update(status=BulkRun.Status.RUNNING)
    assert BulkItem.objects.filter(run=run, channel="post", batch=None).count() == 2

    assert bulk_chunk_process(run_id=run.pk) is False
    run.refresh_from_db()
    assert run.status == BulkRun.Status.FINISHED
    assert run.batches.get().letters == 2 and not BulkItem.objects.filter(run=run, channel="post", batch=None).exists()
