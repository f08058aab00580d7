"""State changes of the core app."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from mpoffice.models import Heartbeat, Membership, Office


def heartbeat_record(*, component: str) -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(component=component, defaults={"last_seen": timezone.now()})
    return heartbeat


def membership_grant(*, user: User, office: Office, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        user=user, office=office, defaults={"role": role, "is_active": True}
    )
    return membership


# What the office's letters print at their head (``LetterheadForm``'s fields).
LETTERHEAD_FIELDS = ("letterhead_address", "email", "phone", "logo")


@transaction.atomic
def office_letterhead_update(*, office: Office) -> Office:
    """Save the letterhead the form validated, and only it: the rest of the office's row (its
    settings, which a colleague may have changed since this page loaded) is left as it is."""
    office.clean_fields(exclude=[f.name for f in Office._meta.concrete_fields if f.name not in LETTERHEAD_FIELDS])
    office.save(update_fields=LETTERHEAD_FIELDS)
    return office


# Office settings changed here are written to the audit trail, with who changed them and when.
AUDITED_OFFICE_SETTINGS = ("staff_may_send_bulk",)


@transaction.atomic
def office_settings_update(*, office: Office, member: Membership, **values: bool) -> list[str]:
    """Change the office's audited settings; returns the names of those that changed."""
    unknown = set(values) - set(AUDITED_OFFICE_SETTINGS)
    if unknown:
        raise ValueError(f"Not an office setting: {', '.join(sorted(unknown))}")
    locked = Office.objects.select_for_update().get(pk=office.pk)
    before = {name: getattr(locked, name) for name in values}
    changes = {name: [str(before[name]), str(value)] for name, value in values.items() if before[name] != value}
    if not changes:
        return []
    for name in changes:
        setattr(locked, name, values[name])
        setattr(office, name, values[name])
    locked.save(update_fields=list(changes))
    LogEntry.objects.log_create(
        locked,
        action=LogEntry.Action.UPDATE,
        changes=changes,
        actor=member.user,
        actor_email=member.user.email or None,
        additional_data={"office_id": office.pk, "setting": True},
    )
    return list(changes)
