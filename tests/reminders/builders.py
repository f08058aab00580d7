"""Office-isolation builders for the notification, reminder and bulk-reply URLs."""

from mpoffice.models import Role
from mpoffice.notifications import notifications_create
from tests.isolation import builder
from tests.mpoffice.factories import MembershipFactory


@builder("notification-read")
def _notification(office):
    member = MembershipFactory(office=office, role=Role.STAFF)
    (notification,) = notifications_create(office=office, users=[member.user], kind="test", title="A reminder")
    return {"pk": notification.pk}


def _bulk_run(office):
    from tests.reminders.test_bulk import campaign_with_cases, make_run

    campaign, _ = campaign_with_cases(office, people=1)
    return make_run(office, campaign)


@builder(
    "letters:bulk-detail",
    "letters:bulk-progress",
    "letters:bulk-start",
    "letters:bulk-cancel",
    "letters:bulk-submit",
    "letters:bulk-approve",
    "letters:bulk-return",
)
def _bulk(office):
    return {"pk": _bulk_run(office).pk}


@builder("letters:bulk-batch")
def _bulk_batch(office):
    from letters.services import bulk_chunk_process
    from tests.reminders.test_bulk import start_run

    run = _bulk_run(office)
    start_run(run)
    bulk_chunk_process(run_id=run.pk)
    return {"pk": run.batches.get().pk}
