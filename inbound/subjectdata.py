"""Inbound mail's part in data protection (registered from ``InboundConfig.ready``): the e-mails
received from a person, or attached to their cases and contacts, in subject access exports,
erasure and the anonymising of cases."""

from __future__ import annotations

from django.db.models import QuerySet

from casework.models import Constituent
from casework.subjectdata import (
    AuditedRows,
    Counts,
    ExportSection,
    SubjectDataSource,
    export_row,
    file_delete_on_commit,
)
from inbound.models import InboundMessage


def _remove(messages: QuerySet[InboundMessage]) -> tuple[Counts, AuditedRows]:
    for message in messages:
        file_delete_on_commit(message.raw)
    return {"inbound e-mails": messages.delete()[1].get("inbound.InboundMessage", 0)}, []


def _collect(constituent: Constituent, case_ids: list[int]) -> list[ExportSection]:
    messages = list(InboundMessage.objects.filter(constituent=constituent).order_by("received_at"))
    return [
        ExportSection(
            title="E-mails received",
            rows=[export_row(m, ["received_at", "from_name", "from_address", "subject", "body"]) for m in messages],
            files=[(f"emails/{m.pk}.eml", m.raw) for m in messages],
        )
    ]


SOURCE = SubjectDataSource(
    name="inbound",
    collect=_collect,
    erase_constituent=lambda constituent: _remove(InboundMessage.objects.filter(constituent=constituent)),
    anonymise_cases=lambda case_ids, delete: _remove(InboundMessage.objects.filter(case_id__in=case_ids)),
    contacts_removing=lambda contact_ids: _remove(InboundMessage.objects.filter(contact_id__in=contact_ids)),
)
