"""Claims: one worker at a time on a row that waits for background work, and a way back when
that worker died or its message was lost.

Two kinds of rows wait for a worker:

- **outbox rows**, e-mails to send (notifications, letters, bulk letters). The periodic task
  that sends them *is* their sweep: it sends whatever is claimable, so a lost nudge only delays
  an e-mail until the next minute;
- **jobs** (a CSV import being checked or saved, a subject-access export being built), each
  queued as one message. Their sweep, ``Claims.requeue_stale``, queues again the jobs whose
  message was lost or whose worker was killed. A job's worker keeps its claim fresh as it
  reports progress (``Claim.touch``), so only a job that stopped moving is taken over.

Each such model keeps two columns: a claim token and a time. Token ``""`` with a time means
"queued at", with no worker yet; a token means "this worker took it at". A waiting row is
*claimable* when nobody holds it, or when its claim is older than the timeout (the worker was
killed: by the kernel, a deploy, or its own hard time limit). A claim is taken by a conditional
UPDATE (the condition is repeated, so a row another worker took in between is not taken), after
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL so that two workers take different rows rather
than queue for the same ones.

What this buys, and what it does not:

- an e-mail is sent **at least once**: it is marked sent only after the mail server accepted it,
  so a worker killed in between leaves a claim that goes stale and the e-mail is sent again
  (with the same ``Message-ID``, so that it can be recognised as the same message);
- a job's effect happens **exactly once** when the job finishes inside one transaction with
  ``Claim.finish``: the finishing UPDATE is conditional on the claim still being this worker's,
  so a worker whose claim was taken over rolls its work back instead of doing it twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import EmailMessage, get_connection
from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone


@dataclass(frozen=True)
class Claims:
    """Where one model keeps its claims, and which of its rows are waiting for a worker."""

    model: type[models.Model]
    waiting: Q
    timeout_seconds: Callable[[], int]
    claim_field: str = "claim"
    claimed_at_field: str = "claimed_at"
    # Columns written when a row is claimed, or put back (e.g. an e-mail state).
    on_claim: Mapping[str, Any] = field(default_factory=dict)
    on_release: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def email_outbox(cls, model: type[models.Model], *, timeout_seconds: Callable[[], int]) -> Claims:
        """The outbox of a model whose rows carry an e-mail: ``email_state`` (an ``EmailState``
        with PENDING, CLAIMED, ...), ``email_claim`` and ``email_claimed_at``, as notifications
        and letters do. A claimed row is marked CLAIMED and put back PENDING if released."""
        state = model.EmailState  # type: ignore[attr-defined]
        return cls(
            model=model,
            waiting=Q(email_state__in=[state.PENDING, state.CLAIMED]),
            timeout_seconds=timeout_seconds,
            claim_field="email_claim",
            claimed_at_field="email_claimed_at",
            on_claim={"email_state": state.CLAIMED},
            on_release={"email_state": state.PENDING},
        )

    def _stale(self, now: datetime) -> datetime:
        return now - timedelta(seconds=self.timeout_seconds())

    def claimable(self, now: datetime | None = None) -> Q:
        stale = self._stale(now or timezone.now())
        return self.waiting & (
            Q(**{self.claim_field: ""})
            | Q(**{f"{self.claimed_at_field}__lt": stale})
            | Q(**{f"{self.claimed_at_field}__isnull": True})
        )

    def claim(self, queryset: QuerySet | None = None, *, limit: int = 1) -> Claim:
        """Claim up to ``limit`` claimable rows of ``queryset``: nobody else gets them until
        they are finished, released, or the claim goes stale."""
        now = timezone.now()
        token = uuid.uuid4().hex
        condition = self.claimable(now)
        rows = self.model._default_manager.all() if queryset is None else queryset
        with transaction.atomic():
            candidates = rows.filter(condition).order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                # Only this model's rows: a queryset filtered through another table (a bulk
                # run's letters) must not lock that table's rows too.
                candidates = candidates.select_for_update(skip_locked=True, of=("self",))
            ids = list(candidates.values_list("pk", flat=True)[:limit])
            if ids:
                self.model._default_manager.filter(condition, pk__in=ids).update(
                    **{self.claim_field: token, self.claimed_at_field: now}, **self.on_claim
                )
        if ids:
            ids = list(
                self.model._default_manager.filter(pk__in=ids, **{self.claim_field: token})
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        return Claim(claims=self, token=token, ids=ids)

    def claim_one(self, pk: int) -> Claim | None:
        """Claim this one row for this worker, or None if it is not waiting or someone holds it."""
        claim = self.claim(self.model._default_manager.filter(pk=pk))
        return claim if claim else None

    def requeue_stale(self, queryset: QuerySet | None = None, *, now: datetime | None = None) -> list[int]:
        """The recovery sweep of a job: the waiting rows whose message was published, or whose
        worker claimed them, longer ago than the timeout. Each is marked queued again by a
        conditional UPDATE, so that two sweeps at once re-queue it once; the caller publishes a
        message for each id returned."""
        now = now or timezone.now()
        stale = Q(**{f"{self.claimed_at_field}__lt": self._stale(now)}) | Q(
            **{f"{self.claimed_at_field}__isnull": True}
        )
        rows = self.model._default_manager.all() if queryset is None else queryset
        requeued = []
        for pk in rows.filter(self.waiting & stale).order_by("pk").values_list("pk", flat=True):
            if self.model._default_manager.filter(self.waiting & stale, pk=pk).update(
                **{self.claim_field: "", self.claimed_at_field: now}
            ):
                requeued.append(pk)
        return requeued


@dataclass
class Claim:
    """The rows one worker holds (``ids``), under its ``token``."""

    claims: Claims
    token: str
    ids: list[int]

    def __bool__(self) -> bool:
        return bool(self.ids)

    def _mine(self, ids: Iterable[int] | None) -> QuerySet:
        return self.claims.model._default_manager.filter(
            self.claims.waiting, pk__in=self.ids if ids is None else list(ids), **{self.claims.claim_field: self.token}
        )

    def rows(self) -> QuerySet:
        return self._mine(None).order_by("pk")

    def touch(self, **changes: Any) -> int:
        """A live worker's heartbeat (with its progress, say): its claim stays fresh, so that a
        job longer than the timeout is not taken over. 0 when it was taken over meanwhile."""
        return self._mine(None).update(**{self.claims.claimed_at_field: timezone.now()}, **changes)

    def finish(self, ids: Iterable[int] | None = None, **changes: Any) -> int:
        """Write the outcome of rows this worker still holds (all of them by default) and let
        go of them: 0 when the claim was taken over meanwhile, and the caller must then undo
        its work. (A row that moves on to another waiting state is free for its next worker.)"""
        return self._mine(ids).update(**{self.claims.claim_field: ""}, **changes)

    def release(self, ids: Iterable[int] | None = None, **changes: Any) -> int:
        """Put rows back for the next worker (after an error that a retry may cure)."""
        return self._mine(ids).update(
            **{self.claims.claim_field: "", self.claims.claimed_at_field: None}, **self.claims.on_release, **changes
        )


def emails_send(
    claims: Claims,
    *,
    queryset: QuerySet | None = None,
    limit: int,
    compose: Callable[[Any], EmailMessage],
    sent: Callable[[datetime], Mapping[str, Any]],
    after_sent: Callable[[Any, datetime], object] | None = None,
    error_field: str = "",
) -> int:
    """Claim up to ``limit`` waiting e-mails of ``queryset`` and send them over one connection,
    each marked sent (``sent(now)`` gives the columns; ``after_sent(row, now)`` records it
    elsewhere too) as soon as the mail server accepted it.

    A mail-server error puts the unsent ones back (with the error in ``error_field``) and is
    raised, so that the task retries with back-off. Returns how many were sent.
    """
    claim = claims.claim(queryset, limit=limit)
    if not claim:
        return 0
    rows = list(claim.rows() if queryset is None else queryset.filter(pk__in=claim.ids).order_by("pk"))
    done: list[int] = []
    try:
        with get_connection() as mail:
            for row in rows:
                mail.send_messages([compose(row)])
                now = timezone.now()
                claim.finish([row.pk], **sent(now))
                if after_sent is not None:
                    after_sent(row, now)
                done.append(row.pk)
    except Exception as exc:
        error = {error_field: f"{type(exc).__name__}: {exc}"[:300]} if error_field else {}
        claim.release([pk for pk in claim.ids if pk not in done], **error)
        raise
    return len(done)


def message_id(name: str) -> str:
    """A stable Message-ID: the same e-mail sent twice (at least once) is recognisably one."""
    from django.conf import settings

    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "postbag.invalid"
    return f"<{name}@{domain}>"
