from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils import timezone

from casework.services import note_add
from privacy import services as dataprotection
from privacy.models import SharedTextReview, SubjectAccessExport
from tests.casework.factories import CaseFactory, ConstituentFactory


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


def make_shared_text_review(office, *, by=None) -> SharedTextReview:
    """Erase a person whom a note on a neighbour's shared case names: one place to review."""
    neighbour = ConstituentFactory(office=office, first_name="Nora", last_name="Neighbour")
    person = ConstituentFactory(office=office, first_name="Pat", last_name="Erased")
    case = CaseFactory(office=office, constituents=[neighbour, person], summary="Street lighting")
    note = note_add(case=case, by=by, text="Nora says Pat Erased saw the lamp fail too.")
    dataprotection.constituent_erase(constituent=person, by=by)
    return SharedTextReview.objects.get(office=office, object_id=note.pk, field_name="body")
