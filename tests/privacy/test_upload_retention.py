"""Uploaded CSV files are kept only as long as an import needs them: the preview goes when the
rows are saved, and the retention sweep deletes the file UPLOAD_KEEP_DAYS later."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import SurveyUpload
from casework.models import ImportBatch
from casework.subjectdata import UPLOAD_KEEP_DAYS
from privacy.tasks import retention_sweep_task
from tests.campaigns.factories import SurveyFactory

pytestmark = pytest.mark.django_db

CSV = b"first_name,last_name,postcode,email,phone\nAda,Example,MK9 3HQ,ada@example.org,01908123456\n"


def _import(client, django_capture_on_commit_callbacks) -> ImportBatch:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("casework:import-list"),
            {"kind": "constituents", "file": SimpleUploadedFile("people.csv", CSV, content_type="text/csv")},
        )
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.PREVIEW and batch.preview
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("casework:import-confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    return batch


def _age(model, pk, field, days):
    model.objects.filter(pk=pk).update(**{field: timezone.now() - timedelta(days=days)})


def test_an_imported_file_loses_its_preview_and_is_deleted_after_the_retention_period(
    office, staff, client_for, django_capture_on_commit_callbacks
):
    client = client_for(staff)
    batch = _import(client, django_capture_on_commit_callbacks)
    storage, name = batch.file.storage, batch.file.name
    assert batch.preview == [] and storage.exists(name)  # the rows are saved; the file is kept a while

    with django_capture_on_commit_callbacks(execute=True):
        retention_sweep_task.delay()
    assert storage.exists(name)  # not yet

    _age(ImportBatch, batch.pk, "finished_at", UPLOAD_KEEP_DAYS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        retention_sweep_task.delay()

    batch.refresh_from_db()
    assert not batch.file and not storage.exists(name)
    assert (batch.new_rows, batch.sha256) == (1, batch.sha256)  # counts and checksum stay
    # The checksum still refuses the same file: the people in it are not imported twice.
    response = client.post(
        reverse("casework:import-list"),
        {"kind": "constituents", "file": SimpleUploadedFile("people.csv", CSV, content_type="text/csv")},
    )
    assert "already imported" in response.content.decode()
    assert client.get(batch.get_absolute_url()).status_code == 200


def test_old_survey_files_are_deleted_and_unimported_uploads_go_whole(office, django_capture_on_commit_callbacks):
    survey = SurveyFactory(office=office)
    uploads = []
    for imported in (True, False):
        upload = SurveyUpload(office=office, survey=survey, original_name="responses.csv", headers=["Email"])
        upload.file.save("responses.csv", ContentFile(b"Email\nada@example.org\n"), save=False)
        upload.imported_at = timezone.now() if imported else None
        upload.save()
        _age(SurveyUpload, upload.pk, "uploaded_at", UPLOAD_KEEP_DAYS + 1)
        uploads.append(upload)
    recent = SurveyUpload(office=office, survey=survey, original_name="new.csv")
    recent.file.save("new.csv", ContentFile(b"Email\n"), save=False)
    recent.save()

    with django_capture_on_commit_callbacks(execute=True):
        retention_sweep_task.delay()

    kept = SurveyUpload.objects.get(pk=uploads[0].pk)
    assert not kept.file and kept.headers == []
    assert not SurveyUpload.objects.filter(pk=uploads[1].pk).exists()
    assert not uploads[0].file.storage.exists(uploads[0].file.name)
    assert SurveyUpload.objects.get(pk=recent.pk).file.storage.exists(recent.file.name)
