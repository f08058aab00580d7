"""What other rows say about the rows removed: the audit trail is redacted, and each change is counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q

from casework import audit
from casework.models import (
    TimelineEntry,
)
from casework.subjectdata import (
    ANONYMISED,
    AuditedRows,
)
from mpoffice.models import Notification, Reminder

REMOVED = "[removed]"


def _sources_condition(rows: Iterable[tuple[type[Model], Iterable[int]]]) -> Q:
    condition = Q(pk__in=[])
    for model, pks in rows:
        pks = list(pks)
        if pks:
            condition |= Q(source_type=ContentType.objects.get_for_model(model), source_id__in=pks)
    return condition


def trail_redact(rows: AuditedRows, *, reason: str) -> None:
    """Strip what other rows repeat about ``rows``: their audit entries, the timeline lines
    that were made from them (on any case, shared ones too), and the reminders and
    notifications raised about them. Who did what and when stays."""
    rows = [(model, list(pks)) for model, pks in rows]
    audit.entries_redact(rows, reason=reason)
    condition = _sources_condition(rows)
    TimelineEntry.objects.filter(condition).update(title=ANONYMISED, body="", data={})
    reminder_ids = list(Reminder.objects.filter(condition).values_list("pk", flat=True))
    Reminder.objects.filter(pk__in=reminder_ids).update(title=ANONYMISED)
    Notification.objects.filter(reminder_id__in=reminder_ids).update(title=ANONYMISED, body="")


# --- Anonymising and deleting cases ---------------------------------------------------------


@dataclass
class Outcome:
    counts: Counter[str] = field(default_factory=Counter)
    audited: list[tuple[type[Model], list[int]]] = field(default_factory=list)

    def add(self, label: str, number: int) -> None:
        if number:
            self.counts[label] += number

    def merge(self, counts: dict[str, int], audited: Iterable[tuple[type[Model], list[int]]] = ()) -> None:
        for label, number in counts.items():
            self.add(label, number)
        self.audited.extend(audited)
