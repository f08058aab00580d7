"""Notifications: the list with mark-read, the unread count, the setting, and the e-mail outbox."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mpoffice.middleware import SESSION_OFFICE_KEY
from mpoffice.models import Delivery, Notification, NotificationPreference
from mpoffice.notifications import (
    NOTIFICATION_OUTBOX,
    delivery_set,
    notification_digests_send,
    notification_emails_send,
    notifications_create,
)
from mpoffice.tasks import notifications_email
from tests.mpoffice.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _notify(membership, title="Reply overdue: MKS-L-2026-0001", **kwargs):
    (notification,) = notifications_create(
        office=membership.office, users=[membership.user], kind="reply_overdue", title=title, **kwargs
    )
    return notification


# --- the list and mark-read (three actors) -----------------------------------------------------


def test_member_sees_their_own_notifications_only(staff, caseworker, client_for):
    _notify(staff, title="For the office manager")
    _notify(caseworker, title="For the caseworker")
    response = client_for(staff).get(reverse("notification-list"))
    assert response.status_code == 200
    assert b"For the office manager" in response.content
    assert b"For the caseworker" not in response.content


def test_member_of_another_office_does_not_see_this_offices_notifications(staff, outsider, client_for):
    _notify(staff, title="About Milton Keynes South")
    response = client_for(outsider).get(reverse("notification-list"))
    assert response.status_code == 200
    assert b"About Milton Keynes South" not in response.content


def test_a_person_in_two_offices_sees_each_offices_notifications_in_that_office(staff, outsider, client_for):
    MembershipFactory(office=outsider.office, user=staff.user, role=staff.role)
    _notify(staff, title="About Milton Keynes South")
    client = client_for(staff)
    session = client.session
    session[SESSION_OFFICE_KEY] = outsider.office_id
    session.save()
    response = client.get(reverse("notification-list"))
    assert response.status_code == 200
    assert b"About Milton Keynes South" not in response.content


def test_marking_read_works_for_the_owner(staff, client_for):
    notification = _notify(staff, url="/letters/")
    response = client_for(staff).post(reverse("notification-read", args=[notification.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/letters/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_colleague_cannot_mark_someone_elses_notification_read(staff, caseworker, client_for):
    notification = _notify(staff)
    response = client_for(caseworker).post(reverse("notification-read", args=[notification.pk]))
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_outsider_gets_404_for_a_notification(staff, outsider, client_for):
    notification = _notify(staff)
    assert client_for(outsider).post(reverse("notification-read", args=[notification.pk])).status_code == 404


def test_mark_all_read_touches_only_the_members_own(staff, caseworker, client_for):
    mine, theirs = _notify(staff), _notify(caseworker)
    response = client_for(staff).post(reverse("notification-read-all"))
    assert response.status_code == 302
    mine.refresh_from_db(), theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None


def test_open_refuses_an_offsite_url(staff, client_for):
    notification = _notify(staff, url="https://evil.example/")
    response = client_for(staff).post(reverse("notification-read", args=[notification.pk]), {"open": "1"})
    assert response["Location"] == reverse("notification-list")


def test_unread_count_in_the_navigation_is_one_query(staff, client_for):
    for i in range(3):
        _notify(staff, title=f"Reminder {i}")
    client = client_for(staff)
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("notification-preferences"))
    assert b'3<span class="visually-hidden"> unread' in response.content
    for i in range(40):
        _notify(staff, title=f"More {i}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("notification-preferences"))
    assert b'43<span class="visually-hidden"> unread' in response.content
    assert len(many) == len(few)
    assert sum("notification" in q["sql"] and "COUNT" in q["sql"].upper() for q in many.captured_queries) == 1


def test_notification_list_has_a_fixed_query_count(staff, client_for):
    client = client_for(staff)
    _notify(staff)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notification-list"))
    for i in range(30):
        _notify(staff, title=f"Reminder {i}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("notification-list"))
    assert len(many) == len(few)


# --- preferences -------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["caseworker", "staff", "mp"])
def test_every_role_can_choose_how_to_be_notified(actor, request, client_for):
    membership = request.getfixturevalue(actor)
    client = client_for(membership)
    assert client.get(reverse("notification-preferences")).status_code == 200
    response = client.post(reverse("notification-preferences"), {"delivery": Delivery.DIGEST})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=membership.user).delivery == Delivery.DIGEST


def test_an_unknown_setting_is_refused_with_a_message(staff, client_for):
    response = client_for(staff).post(reverse("notification-preferences"), {"delivery": "carrier-pigeon"})
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not NotificationPreference.objects.exists()


def test_anonymous_is_sent_to_sign_in(client):
    for name in ("notification-list", "notification-preferences"):
        assert "/accounts/login/" in client.get(reverse(name))["Location"]


# --- the outbox --------------------------------------------------------------------------------


def test_email_preference_sends_one_email_through_the_outbox(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = _notify(staff, body="Chase them.", url="/letters/1/")
    # The on-commit nudge ran the outbox task (eagerly in tests).
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [staff.user.email]
    assert "Reply overdue" in message.subject and "/letters/1/" in message.body
    assert message.extra_headers["Message-ID"].startswith(f"<notification-{notification.pk}@")
    notification.refresh_from_db()
    assert notification.email_state == Notification.EmailState.SENT and notification.email_sent_at
    notifications_email.delay()  # running the outbox again sends nothing twice
    assert len(mail.outbox) == 1


def test_in_app_preference_sends_no_email(staff):
    delivery_set(user=staff.user, delivery=Delivery.IN_APP)
    notification = _notify(staff)
    assert notification.email_state == Notification.EmailState.SKIPPED
    notification_emails_send()
    assert mail.outbox == []


def test_a_claimed_row_is_not_taken_by_a_second_worker(staff):
    _notify(staff)
    first = NOTIFICATION_OUTBOX.claim(Notification.objects.all(), limit=50)
    second = NOTIFICATION_OUTBOX.claim(Notification.objects.all(), limit=50)
    assert len(first.ids) == 1 and second.ids == []


def test_a_claim_left_by_a_dead_worker_is_taken_again_after_the_timeout(staff, settings):
    notification = _notify(staff)
    NOTIFICATION_OUTBOX.claim(Notification.objects.all())  # ...and the worker died
    assert notification_emails_send() == 0
    Notification.objects.filter(pk=notification.pk).update(
        email_claimed_at=timezone.now() - timedelta(seconds=settings.EMAIL_CLAIM_TIMEOUT_SECONDS + 1)
    )
    assert notification_emails_send() == 1
    assert len(mail.outbox) == 1


def test_smtp_failure_puts_the_row_back_and_the_task_retries(staff, monkeypatch):
    notification = _notify(staff)

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        notification_emails_send()
    notification.refresh_from_db()
    assert notification.email_state == Notification.EmailState.PENDING
    assert "SMTPServerDisconnected" in notification.email_error
    assert notifications_email.autoretry_for and smtplib.SMTPException in notifications_email.autoretry_for
    monkeypatch.undo()
    assert notification_emails_send() == 1


def test_person_without_an_email_address_is_not_emailed(staff):
    staff.user.email = ""
    staff.user.save()
    notification = _notify(staff)
    assert notification.email_state == Notification.EmailState.SKIPPED
    assert "no e-mail address" in notification.email_error


def test_daily_digest_sends_one_email_listing_everything(staff, caseworker):
    delivery_set(user=staff.user, delivery=Delivery.DIGEST)
    for i in range(3):
        _notify(staff, title=f"Reminder {i}")
    _notify(caseworker)  # e-mail preference: not part of any digest
    assert notification_emails_send() == 1  # the caseworker's
    mail.outbox.clear()
    assert notification_digests_send() == 1
    assert len(mail.outbox) == 1
    assert "3 notifications" in mail.outbox[0].subject
    assert all(f"Reminder {i}" in mail.outbox[0].body for i in range(3))
    assert Notification.objects.filter(user=staff.user, digested_at=None).count() == 0
    assert notification_digests_send() == 0
