"""Surveys' part in data protection (registered from ``CampaignsConfig.ready``): a person's
survey responses in subject access exports and erasure, and the uploaded response files that
carry them or are kept past ``UPLOAD_KEEP_DAYS``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from campaigns.models import Answer, Response, SurveyUpload
from casework.models import Constituent
from casework.subjectdata import (
    UPLOAD_KEEP_DAYS,
    AuditedRows,
    Counts,
    ExportSection,
    SubjectDataSource,
    file_delete_on_commit,
)


def _collect(constituent: Constituent, case_ids: list[int]) -> list[ExportSection]:
    responses = list(
        Response.objects.filter(constituent=constituent)
        .select_related("survey")
        .prefetch_related("answers__question", "answers__option")
    )
    return [
        ExportSection(
            title="Survey responses",
            rows=[
                {
                    "survey": response.survey.title,
                    "submitted_at": response.submitted_at,
                    "question": answer.question.text,
                    "answer": answer.text
                    or (answer.option.label if answer.option_id else "")
                    or ("" if answer.rating is None else str(answer.rating)),
                }
                for response in responses
                for answer in response.answers.all()
            ],
        )
    ]


def _erase(constituent: Constituent) -> tuple[Counts, AuditedRows]:
    responses = Response.objects.filter(constituent=constituent)
    response_ids = list(responses.values_list("pk", flat=True))
    Answer.objects.filter(response_id__in=response_ids).exclude(text="").update(text="")
    for response in Response.objects.filter(pk__in=response_ids):
        # The survey's counts keep the answers; nothing ties them to the person any more.
        Response.objects.filter(pk=response.pk).update(constituent=None, external_id=f"erased-{response.pk}")
    return {"survey responses unlinked": len(response_ids)}, []


def _files_forget(constituent: Constituent, carries: Callable[[FieldFile], bool]) -> Counts:
    removed = 0
    for upload in SurveyUpload.objects.filter(office_id=constituent.office_id):
        if carries(upload.file):
            file_delete_on_commit(upload.file)
            upload.delete()
            removed += 1
    return {"survey files removed": removed} if removed else {}


def survey_uploads_expire(*, now: datetime | None = None) -> int:
    """Delete survey response files older than UPLOAD_KEEP_DAYS. An imported one keeps its
    row (what was imported and when); one never imported is deleted whole."""
    cutoff = (now or timezone.now()) - timedelta(days=UPLOAD_KEEP_DAYS)
    expired = 0
    with transaction.atomic():
        for upload in (
            SurveyUpload.objects.filter(uploaded_at__lt=cutoff).exclude(file="").select_for_update(skip_locked=True)
        ):
            file_delete_on_commit(upload.file)
            if upload.imported_at is None:
                upload.delete()
            else:
                SurveyUpload.objects.filter(pk=upload.pk).update(file="", headers=[], mapping={})
            expired += 1
    return expired


SOURCE = SubjectDataSource(
    name="surveys",
    collect=_collect,
    erase_constituent=_erase,
    anonymise_cases=lambda case_ids, delete: ({}, []),
    files_forget=_files_forget,
    files_expire=lambda now: survey_uploads_expire(now=now),
)
