"""Read-side queries of the core app: memberships and the health of the moving parts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from mpoffice.models import Heartbeat, Membership, Office, SweepError, SweepRun


def memberships_for(*, user: User | AnonymousUser) -> list[Membership]:
    return list(Membership.objects.for_user(user))


def membership_pick(memberships: list[Membership], *, office_id: int | None) -> Membership | None:
    """The membership of the office the user chose, else of their first office."""
    for membership in memberships:
        if membership.office_id == office_id:
            return membership
    return memberships[0] if memberships else None


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # any failure means down; the message is for the operator
        return False, f"{type(exc).__name__}: {exc}"[:200]


def _broker_ok() -> tuple[bool, str]:
    from mpoffice.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
        return True, "ok"
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"[:200]


def _heartbeat(component: str, seen: dict[str, datetime], now: datetime) -> dict[str, Any]:
    last_seen = seen.get(component)
    if last_seen is None:
        return {"ok": False, "last_seen": None, "age_seconds": None, "detail": "never seen"}
    age = (now - last_seen).total_seconds()
    ok = age <= settings.HEARTBEAT_MAX_AGE_SECONDS
    return {
        "ok": ok,
        "last_seen": last_seen.isoformat(),
        "age_seconds": round(age, 1),
        "detail": "ok" if ok else f"no heartbeat for {int(age)} s",
    }


def system_health() -> dict[str, Any]:
    """What /healthz reports and the System status panel shows."""
    now = timezone.now()
    database_ok, database_detail = _database_ok()
    seen: dict[str, datetime] = {}
    if database_ok:
        seen = dict(Heartbeat.objects.values_list("component", "last_seen"))
    broker_ok, broker_detail = _broker_ok()
    checks = {
        "database": {"ok": database_ok, "detail": database_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
        "worker": _heartbeat(Heartbeat.Component.WORKER, seen, now),
        "beat": _heartbeat(Heartbeat.Component.BEAT, seen, now),
    }
    return {"ok": all(check["ok"] for check in checks.values()), "checked_at": now.isoformat(), "checks": checks}


def office_setting_changes(*, office: Office) -> QuerySet[LogEntry]:
    """The audit entries of the office's settings (see ``office_settings_update``), newest first."""
    entries: QuerySet[LogEntry] = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Office),
            object_pk=str(office.pk),
            action=LogEntry.Action.UPDATE,
        )
        .select_related("actor")
        .order_by("-timestamp", "-pk")
    )
    return entries


def sweep_runs_for(*, office: Office) -> list[Mapping[str, Any]]:
    """Each sweep's last run, as one office may see it.

    A sweep runs for every office at once, so its own counts (rows looked at, raised, failed)
    describe all offices together and are left out; what is shown is when it ran and how many
    of this office's rows it could not handle in that run.
    """
    failed_here = (
        SweepError.objects.for_office(office)
        .filter(sweep=OuterRef("name"), occurred_at__gte=OuterRef("started_at"))
        .order_by()
        .values("sweep")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        SweepRun.objects.annotate(
            failed_here=Coalesce(Subquery(failed_here, output_field=IntegerField()), Value(0))
        ).values("name", "started_at", "finished_at", "failed_here")
    )
