"""Writing geography: the office's area and the directory's releases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from geography import directory
from geography.models import OfficeArea, Release
from mpoffice.models import Office

# Apps above geography refresh what they derive from the directory (casework: the postcode-ward
# table, each constituent's recorded areas and "outside the constituency" flag). A listener gets
# the office whose area changed, or None when a new release changed every office's data.
DirectoryListener = Callable[[Office | None], None]
_LISTENERS: list[DirectoryListener] = []


def register_directory_listener(listener: DirectoryListener) -> None:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def _notify(office: Office | None) -> None:
    for listener in _LISTENERS:
        listener(office)


@transaction.atomic
def office_area_set(*, office: Office, by: User | None, constituency_code: str) -> OfficeArea:
    code = constituency_code.strip().upper()
    area = OfficeArea.objects.filter(office=office).first() or OfficeArea(office=office)
    area.constituency_code = code
    area.updated_by = by
    area.full_clean()
    area.save()
    _notify(office)
    return area


def release_create(*, label: str, published_on: date, upload: UploadedFile[bytes], by: User | None) -> Release:
    """Keep the uploaded directory and import it in the background (``release_import_task``)."""
    from geography.tasks import release_import_task

    release = Release(
        label=label, published_on=published_on, source_name=Path(upload.name or "").name[:255], created_by=by
    )
    release.upload.save(f"directory-{date.today():%Y%m%d}", upload, save=False)
    try:
        release.full_clean()
    except ValidationError:
        release.upload.delete(save=False)
        raise
    with transaction.atomic():
        if Release.objects.filter(status__in=[Release.Status.QUEUED, Release.Status.RUNNING]).exists():
            release.upload.delete(save=False)
            raise directory.DirectoryRefused("Another import is waiting or running; wait for it to finish first.")
        release.save()
        transaction.on_commit(partial(release_import_task.delay, release.pk))
    return release


def release_run(*, release: Release) -> Release:
    """Import a stored upload (the task's body); the upload is deleted afterwards either way."""
    try:
        source = directory.source_open(Path(release.upload.path))
        release = directory.release_import(release=release, source=source)
    except directory.DirectoryRefused as refusal:
        Release.objects.filter(pk=release.pk).update(status=Release.Status.FAILED, error=str(refusal))
        release.refresh_from_db()
    finally:
        if release.upload:
            release.upload.delete(save=False)
            Release.objects.filter(pk=release.pk).update(upload="")
    if release.status == Release.Status.DONE:
        _notify(None)
    return release


def release_import_path(
    *, path: Path, label: str, published_on: date, names: list[Path], by: User | None = None
) -> Release:
    """The management command's import: read the file where it lies, in this process."""
    release = Release.objects.create(label=label, published_on=published_on, source_name=path.name, created_by=by)
    try:
        source = directory.source_open(path, names=names)
    except directory.DirectoryRefused as refusal:
        Release.objects.filter(pk=release.pk).update(status=Release.Status.FAILED, error=str(refusal))
        release.refresh_from_db()
        return release
    release = directory.release_import(release=release, source=source)
    if release.status == Release.Status.DONE:
        _notify(None)
    return release
