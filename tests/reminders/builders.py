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
