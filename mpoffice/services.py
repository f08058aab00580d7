"""State changes of the core app."""

from __future__ import annotations

from django.utils import timezone

from mpoffice.models import Heartbeat, Membership


def heartbeat_record(*, component: str) -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(component=component, defaults={"last_seen": timezone.now()})
    return heartbeat


def membership_grant(*, user, office, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        user=user, office=office, defaults={"role": role, "is_active": True}
    )
    return membership
