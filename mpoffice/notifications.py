"""Notifications: what a person should know, in Postbag and by e-mail.

Writing a notification is a row; e-mail leaves later from those rows (an outbox), so a
reminder and its notifications commit together or not at all, and a dead mail server or a
killed worker delays an e-mail without losing it. Rows are claimed and sent through the one
outbox helper (``mpoffice.outbox``): two workers never send the same row, and delivery is *at
least once* with a stable Message-ID.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from mpoffice.models import Delivery, Membership, Notification, NotificationPreference, Office
from mpoffice.outbox import Claims, emails_send, message_id

logger = logging.getLogger(__name__)

EMAIL_BATCH = 50


# --- preferences ------------------------------------------------------------------------------


def delivery_for(*, user) -> str:
    preference = NotificationPreference.objects.filter(user=user).values_list("delivery", flat=True).first()
    return preference or Delivery.EMAIL


def delivery_set(*, user, delivery: str) -> NotificationPreference:
    if delivery not in Delivery.values:
        raise ValueError(f"Unknown delivery {delivery!r}")
    preference, _ = NotificationPreference.objects.update_or_create(user=user, defaults={"delivery": delivery})
    return preference


# --- writing ----------------------------------------------------------------------------------


def notifications_create(
    *,
    office: Office,
    users: Iterable,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    reminder=None,
    force_email: bool = False,
) -> list[Notification]:
    """One notification per distinct user, delivered as each prefers (``force_email``: always
    e-mailed at once, e.g. the MP's weekly summary). Call inside the caller's transaction."""
    unique_users = {user.pk: user for user in users if user is not None and user.is_active}
    if not unique_users:
        return []
    preferences = dict(
        NotificationPreference.objects.filter(user_id__in=list(unique_users)).values_list("user_id", "delivery")
    )
    rows = []
    for user_id, user in unique_users.items():
        delivery = Delivery.EMAIL if force_email else preferences.get(user_id, Delivery.EMAIL)
        state, error = Notification.EmailState.PENDING, ""
        if delivery == Delivery.IN_APP:
            state = Notification.EmailState.SKIPPED
        elif not user.email:
            state, error = Notification.EmailState.SKIPPED, "This person has no e-mail address."
        rows.append(
            Notification(
                office=office,
                user=user,
                reminder=reminder,
                kind=kind,
                title=title[:300],
                body=body,
                url=url[:500],
                delivery=delivery,
                email_state=state,
                email_error=error,
            )
        )
    created = Notification.objects.bulk_create(rows)
    if any(row.delivery == Delivery.EMAIL and row.email_state == Notification.EmailState.PENDING for row in rows):
        from mpoffice.tasks import notifications_email

        # A nudge only: the periodic outbox task sends them anyway if this message is lost.
        transaction.on_commit(partial(notifications_email.delay))
    return created


def notification_mark_read(*, notification: Notification) -> bool:
    return bool(Notification.objects.filter(pk=notification.pk, read_at=None).update(read_at=timezone.now()))


def notifications_mark_all_read(*, membership: Membership) -> int:
    return notifications_for(membership=membership).filter(read_at=None).update(read_at=timezone.now())


# --- reading ----------------------------------------------------------------------------------


def notifications_for(*, membership: Membership) -> QuerySet[Notification]:
    """The member's own notifications in the office they are working in."""
    return Notification.objects.filter(user_id=membership.user_id, office_id=membership.office_id)


def unread_count(*, membership: Membership) -> int:
    return notifications_for(membership=membership).filter(read_at=None).count()


# --- the outbox -------------------------------------------------------------------------------

# Pending rows wait for the outbox task; a claim a dead worker left goes stale after
# EMAIL_CLAIM_TIMEOUT_SECONDS and the row is taken again (see mpoffice.outbox).
NOTIFICATION_OUTBOX = Claims.email_outbox(Notification, timeout_seconds=lambda: settings.EMAIL_CLAIM_TIMEOUT_SECONDS)


def _sent(now: datetime) -> dict:
    return {"email_state": Notification.EmailState.SENT, "email_sent_at": now, "email_error": ""}


def _absolute(url: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{url}" if url.startswith("/") else url


def notification_email_message(notification: Notification) -> EmailMessage:
    lines = [notification.body.strip()] if notification.body.strip() else []
    if notification.url:
        lines.append(f"Open it in Postbag: {_absolute(notification.url)}")
    lines.append(
        f"You receive this because your notification setting is e-mail; change it in Postbag under Notifications.\n"
        f"{notification.office.name}"
    )
    return EmailMessage(
        subject=f"[Postbag] {notification.title}",
        body="\n\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.user.email],
        headers={"Message-ID": message_id(f"notification-{notification.pk}")},
    )


def notification_emails_send(*, limit: int = EMAIL_BATCH) -> int:
    """Send one batch of pending e-mails; returns how many left. A mail-server error puts the
    unsent rows back to pending and is raised, so that the task retries with back-off."""
    return emails_send(
        NOTIFICATION_OUTBOX,
        queryset=Notification.objects.filter(delivery=Delivery.EMAIL).select_related("user", "office"),
        limit=limit,
        compose=notification_email_message,
        sent=_sent,
        error_field="email_error",
    )


def notification_digests_send(*, now: datetime | None = None) -> int:
    """One e-mail per person who chose the daily digest, listing their waiting notifications."""
    pending = Notification.objects.filter(NOTIFICATION_OUTBOX.claimable(now), delivery=Delivery.DIGEST)
    user_ids = list(pending.values_list("user_id", flat=True).distinct())
    sent = 0
    User = get_user_model()
    for user in User.objects.filter(pk__in=user_ids, is_active=True):
        claim = NOTIFICATION_OUTBOX.claim(Notification.objects.filter(delivery=Delivery.DIGEST, user=user), limit=500)
        if not claim:
            continue
        claimed = list(claim.rows().select_related("office"))
        by_office: dict[str, list[Notification]] = defaultdict(list)
        for notification in claimed:
            by_office[notification.office.name].append(notification)
        parts = []
        for office_name, items in sorted(by_office.items()):
            parts.append(office_name)
            parts.extend(f"- {n.title}" + (f" ({_absolute(n.url)})" if n.url else "") for n in items)
            parts.append("")
        message = EmailMessage(
            subject=f"[Postbag] Your daily digest: {len(claimed)} notification{'s' if len(claimed) != 1 else ''}",
            body="\n".join(parts)
            + "\nYou receive this digest by your choice; change it in Postbag under Notifications.",
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
            headers={"Message-ID": message_id(f"digest-{user.pk}-{claimed[0].pk}-{claimed[-1].pk}")},
        )
        try:
            message.send()
        except Exception as exc:
            claim.release(email_error=f"{type(exc).__name__}: {exc}"[:300])
            raise
        claim.finish(**_sent(timezone.now()), digested_at=timezone.now())
        sent += 1
    return sent
