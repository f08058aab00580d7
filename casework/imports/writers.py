"""Writing an import's new rows in chunks, inside the commit's one transaction."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import F
from django.utils import timezone

from casework.imports.rows import Outcome
from casework.imports.specs import CHUNK
from casework.models import (
    Case,
    CaseConstituent,
    CaseReferenceCounter,
    Constituent,
    ImportBatch,
    TimelineEntry,
)


class _Superseded(Exception):
    """This worker's claim was taken over: its copy of the work is rolled back."""


class _RollBack(Exception):
    def __init__(self, outcome: Outcome):
        self.outcome = outcome


class _ConstituentWriter:
    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.pending: list[Constituent] = []

    def add(self, fields: dict) -> None:
        self.pending.append(
            Constituent(office_id=self.batch.office_id, created_by_id=self.batch.committed_by_id, **fields)
        )
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        Constituent.objects.bulk_create(self.pending, batch_size=CHUNK)
        self.pending = []


class _CaseWriter:
    """Cases with their constituent link and an "opened" timeline entry, in chunks.

    Case numbers are taken in blocks from the office's counter for each year (the UPDATE
    holds the counter's row lock until the import commits, as ``case_reference_next`` does).
    """

    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.office = batch.office
        self.pending: list[dict] = []

    def add(self, fields: dict) -> None:
        self.pending.append(fields)
        if len(self.pending) >= CHUNK:
            self.flush()

    def _numbers(self, year: int, count: int) -> range:
        CaseReferenceCounter.objects.get_or_create(office=self.office, year=year)
        CaseReferenceCounter.objects.filter(office=self.office, year=year).update(last_number=F("last_number") + count)
        last = CaseReferenceCounter.objects.get(office=self.office, year=year).last_number
        return range(last - count + 1, last + 1)

    def flush(self) -> None:
        if not self.pending:
            return
        tz = timezone.get_current_timezone()
        by_year: dict[int, list[dict]] = {}
        for fields in self.pending:
            by_year.setdefault(date.fromisoformat(fields["opened_on"]).year, []).append(fields)
        cases, links = [], []
        for year, rows in by_year.items():
            for number, fields in zip(self._numbers(year, len(rows)), rows, strict=True):
                opened_on = date.fromisoformat(fields["opened_on"])
                opened_at = datetime.combine(opened_on, time(9, 0), tzinfo=tz)
                case = Case(
                    office_id=self.office.pk,
                    reference=f"{self.office.reference_prefix}-{year}-{number:05d}",
                    year=year,
                    number=number,
                    summary=fields["summary"],
                    description=fields["description"],
                    topic_id=fields["topic_id"],
                    status=fields["status"],
                    outcome=fields["outcome"],
                    priority=fields["priority"],
                    review_by=date.fromisoformat(fields["review_by"]) if fields["review_by"] else None,
                    opened_at=opened_at,
                    closed_at=opened_at if fields["status"] == Case.Status.CLOSED else None,
                    created_by_id=self.batch.committed_by_id,
                )
                cases.append(case)
                links.append(fields["constituent_id"])
        Case.objects.bulk_create(cases, batch_size=CHUNK)
        CaseConstituent.objects.bulk_create(
            [
                CaseConstituent(office_id=self.office.pk, case=case, constituent_id=constituent_id)
                for case, constituent_id in zip(cases, links, strict=True)
            ],
            batch_size=CHUNK,
        )
        TimelineEntry.objects.bulk_create(
            [
                TimelineEntry(
                    office_id=self.office.pk,
                    case=case,
                    kind="opened",
                    title=f"Case {case.reference} opened (imported from {self.batch.original_name})"[:300],
                    actor_id=self.batch.committed_by_id,
                    occurred_at=case.opened_at,
                )
                for case in cases
            ],
            batch_size=CHUNK,
        )
        self.pending = []
