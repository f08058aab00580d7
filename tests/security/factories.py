from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils import timezone

from casework.models import SubjectAccessExport
from tests.casework.factories import ConstituentFactory


def make_ready_export(office, constituent=None) -> SubjectAccessExport:
    """A finished export with a small ZIP, without running the task."""
    constituent = constituent or ConstituentFactory(office=office)
    export = SubjectAccessExport(office=office, constituent=constituent)
    export.file.save("export.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18), save=False)
    export.status = SubjectAccessExport.Status.READY
    export.progress = 100
    export.size = export.file.size
    export.finished_at = timezone.now()
    export.save()
    return export
