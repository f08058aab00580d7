"""Subject access: the export of everything held about a constituent, built by a worker."""

from __future__ import annotations

import io
import json
import logging
import tempfile
import zipfile
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import get_valid_filename

from casework import audit
from casework.models import (
    Attachment,
    Case,
    CaseConstituent,
    Constituent,
    ConstituentMerge,
    Contact,
    TimelineEntry,
)
from casework.services import CONSTITUENT_FIELDS
from casework.subjectdata import (
    ExportSection,
    export_row,
    file_delete_on_commit,
    sources,
)
from mpoffice.outbox import Claim, Claims
from privacy.models import SubjectAccessExport

log = logging.getLogger(__name__)


# --- Subject access ----------------------------------------------------------------------------


# An export waits on a worker until it is built; a claim older than JOB_CLAIM_TIMEOUT_SECONDS
# (the worker was killed, or the message lost) is queued again by subject_access_recover.
SUBJECT_ACCESS_BUILDS = Claims(
    model=SubjectAccessExport,
    waiting=Q(status__in=[SubjectAccessExport.Status.PENDING, SubjectAccessExport.Status.RUNNING]),
    timeout_seconds=lambda: settings.JOB_CLAIM_TIMEOUT_SECONDS,
    on_claim={"status": SubjectAccessExport.Status.RUNNING, "progress": 1, "stage": "Collecting records"},
)
# Decided by the product owner: an export is deleted this long after it was built.
SUBJECT_ACCESS_KEEP = timedelta(days=30)


def _queue_build(export_id: int) -> None:
    from privacy.tasks import subject_access_build_task

    transaction.on_commit(lambda: subject_access_build_task.delay(export_id))


def subject_access_request(*, constituent: Constituent, by: User) -> SubjectAccessExport:
    export = SubjectAccessExport.objects.create(
        office_id=constituent.office_id, constituent=constituent, requested_by=by
    )  # queued now (``claimed_at``'s default): the recovery sweep waits from here
    _queue_build(export.pk)
    return export


def subject_access_recover() -> list[int]:
    """Queue again each export whose message was lost or whose worker died."""
    requeued = SUBJECT_ACCESS_BUILDS.requeue_stale()
    for export_id in requeued:
        log.warning("Subject access export %s was lost or its worker died: queued again.", export_id)
        _queue_build(export_id)
    return requeued


def subject_access_expire(*, now: datetime | None = None) -> int:
    """Delete the files of exports built more than 30 days ago; each row stays, marked expired."""
    cutoff = (now or timezone.now()) - SUBJECT_ACCESS_KEEP
    expired = 0
    for export in SubjectAccessExport.objects.filter(status=SubjectAccessExport.Status.READY, finished_at__lt=cutoff):
        with transaction.atomic():
            if SubjectAccessExport.objects.filter(pk=export.pk, status=SubjectAccessExport.Status.READY).update(
                status=SubjectAccessExport.Status.EXPIRED, file="", size=None, stage="Deleted after 30 days"
            ):
                file_delete_on_commit(export.file)
                expired += 1
    return expired


def _progress(claim: Claim, percent: int, stage: str) -> None:
    claim.touch(progress=percent, stage=stage[:100])  # and the claim stays this live worker's


_row = export_row


def subject_access_sections(*, constituent: Constituent) -> list[ExportSection]:
    """Everything Postbag holds on the person, by section (rows and files)."""
    profile = ExportSection(
        title="Profile",
        rows=[
            _row(
                constituent,
                [*CONSTITUENT_FIELDS, "created_at"],
            )
            | {"ward": str(constituent.ward or "")}
        ],
        audited=[(Constituent, [constituent.pk])],
    )
    # Records merged into this one are the same person: each with its own details and trail.
    merged_ids = audit.merged_ids(constituent)
    merges = {
        merge.merged_id: merge
        for merge in ConstituentMerge.objects.filter(merged_id__in=merged_ids).select_related("merged")
    }
    merged_section = ExportSection(
        title="Records merged into this one",
        rows=[
            {"record": f"#{merge.merged_id}", "merged_into": f"#{merge.survivor_id}", "merged_at": merge.merged_at}
            | _row(merge.merged, [*CONSTITUENT_FIELDS, "created_at"])
            for merge in sorted(merges.values(), key=lambda m: (m.merged_at, m.pk))
        ],
        audited=[(Constituent, merged_ids)],
    )
    cases = list(
        Case.objects.filter(Q(case_constituents__constituent=constituent) | Q(correspondent=constituent))
        .distinct()
        .select_related("topic")
        .order_by("opened_at")
    )
    case_ids = [c.pk for c in cases]
    case_section = ExportSection(
        title="Cases",
        rows=[
            _row(case, ["reference", "summary", "description", "status", "outcome", "opened_at", "closed_at"])
            | {"topic": str(case.topic or "")}
            for case in cases
        ],
        audited=[
            (Case, case_ids),
            (CaseConstituent, list(constituent.case_links.values_list("pk", flat=True))),
        ],
    )
    timeline = ExportSection(
        title="Case notes and history",
        rows=[
            {"case": entry.case.reference, "when": entry.occurred_at, "what": entry.title, "text": entry.body}
            for entry in TimelineEntry.objects.filter(case_id__in=case_ids)
            .exclude(kind="contact")
            .select_related("case")
            .order_by("occurred_at")
        ],
    )
    # Contacts with the person, and contacts on their cases that name no one else.
    contacts = list(
        Contact.objects.filter(Q(constituent=constituent) | Q(case_id__in=case_ids, constituent=None))
        .select_related("case")
        .prefetch_related("attachments")
        .order_by("occurred_at")
    )
    contact_section = ExportSection(
        title="Contacts",
        rows=[
            _row(contact, ["occurred_at", "channel", "direction", "summary", "body"])
            | {"case": contact.case.reference if contact.case is not None else ""}
            for contact in contacts
        ],
        audited=[(Contact, [c.pk for c in contacts])],
    )
    attachments = [a for contact in contacts for a in contact.attachments.all()]
    contact_section.files = [
        (f"attachments/{a.pk}-{get_valid_filename(a.original_name) or 'file'}", a.file) for a in attachments
    ]
    contact_section.audited.append((Attachment, [a.pk for a in attachments]))
    sections = [profile, merged_section, case_section, timeline, contact_section]
    for source in sources():
        sections += source.collect(constituent, case_ids)
    return sections


def _audit_section(sections: list[ExportSection]) -> ExportSection:
    rows = []
    audited = [pair for section in sections for pair in section.audited]
    for entry in audit.entries_for(audited):
        rows.append(
            {
                "when": entry.timestamp,
                "who": str(entry.actor or entry.actor_email or "Postbag"),
                "action": entry.get_action_display(),
                "record": f"{entry.content_type.name}: {entry.object_repr}",
                "changes": entry.changes_str if entry.changes else "",
            }
        )
    return ExportSection(title="Audit trail: who saw or changed these records", rows=rows)


def subject_access_build(*, export: SubjectAccessExport) -> SubjectAccessExport:
    """Write the ZIP: index.html (readable), data.json (every row) and the files.

    Marked ready, and audited, once: only while this worker's claim holds (a worker whose claim
    was taken over drops its copy)."""
    claim = SUBJECT_ACCESS_BUILDS.claim_one(export.pk)
    if claim is None:
        return export  # another worker has it, or it is done
    export.refresh_from_db()
    constituent = export.constituent
    sections = subject_access_sections(constituent=constituent)
    _progress(claim, 30, "Collecting the audit trail")
    sections.append(_audit_section(sections))
    files = [item for section in sections for item in section.files]
    missing = []
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for number, (name, stored) in enumerate(files, start=1):
                try:
                    with stored.open("rb") as source, archive.open(name, "w") as target:
                        for chunk in iter(lambda: source.read(1 << 16), b""):
                            target.write(chunk)
                except FileNotFoundError:
                    missing.append(name)
                _progress(claim, 30 + int(60 * number / max(len(files), 1)), f"Adding file {number} of {len(files)}")
            generated = timezone.now()
            context = {
                "constituent": constituent,
                "office": export.office,
                "sections": sections,
                "file_names": [name for name, _ in files if name not in missing],
                "missing": missing,
                "generated": generated,
            }
            archive.writestr("index.html", render_to_string("privacy/sar_index.html", context))
            data = {section.title: section.rows for section in sections}
            archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
        handle.seek(0)
        export.file.save("export.zip", File(handle), save=False)
        export.size = export.file.size
    export.status = SubjectAccessExport.Status.READY
    export.progress = 100
    export.stage = "Ready"
    export.finished_at = timezone.now()
    with transaction.atomic():
        ready = claim.finish(
            file=export.file.name,
            size=export.size,
            status=export.status,
            progress=export.progress,
            stage=export.stage,
            finished_at=export.finished_at,
        )
        if not ready:
            log.warning("Subject access export %s was taken over by another worker; this copy is dropped.", export.pk)
            file_delete_on_commit(export.file)
            export.refresh_from_db()
            return export
        audit.event_record(
            obj_model=Constituent,
            obj_pk=constituent.pk,
            office_id=export.office_id,
            by=export.requested_by,
            event="subject-access-export",
            summary=f"Constituent #{constituent.pk}: subject access export #{export.pk} made",
            files=len(files) - len(missing),
        )
    return export


def subject_access_failed(*, export_id: int, error: str) -> None:
    SubjectAccessExport.objects.filter(SUBJECT_ACCESS_BUILDS.waiting, pk=export_id).update(
        status=SubjectAccessExport.Status.FAILED, error=error[:300], stage="Failed"
    )


def subject_access_downloaded(*, export: SubjectAccessExport, by: User) -> None:
    audit.event_record(
        obj_model=Constituent,
        obj_pk=export.constituent_id,
        office_id=export.office_id,
        by=by,
        event="subject-access-download",
        summary=f"Constituent #{export.constituent_id}: subject access export #{export.pk} downloaded",
    )


def zip_names(data: bytes) -> list[str]:
    """The names in a ZIP (for tests and the export page)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()
