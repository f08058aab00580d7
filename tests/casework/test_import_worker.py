"""The import tasks through a real Celery worker process, on a 100,000-row file."""

import pytest
from django.core.files.base import ContentFile

from casework.models import Constituent, ImportBatch
from tests.casework.test_imports import HEADER
from tests.celery_helpers import celery_processes, wait_for
from tests.mpoffice.factories import MembershipFactory, OfficeFactory, Role

ROWS = 100_000


def _big_file(rows: int) -> bytes:
    lines = [HEADER]
    for n in range(rows):
        phone = f"01908 {200000 + n % 700000}" if n % 10 == 0 else ""
        lines.append(f"Person{n},Surname{n % 997},MK{n % 19 + 1} {n % 10}AB,person{n}@example.org,{phone},,\n")
    return "".join(lines).encode()


@pytest.mark.celery_worker
def test_hundred_thousand_rows_checked_and_imported_by_a_real_worker(transactional_db, tmp_path):
    office = OfficeFactory(reference_prefix="BIG")
    staff = MembershipFactory(office=office, role=Role.STAFF)
    batch = ImportBatch(office=office, kind=ImportBatch.Kind.CONSTITUENTS, original_name="big.csv", sha256="1" * 64)
    batch.created_by = staff.user
    batch.file.save("import.csv", ContentFile(_big_file(ROWS)), save=False)
    batch.save()

    with celery_processes(tmp_path=tmp_path, extra_env={"MEDIA_ROOT": str(tmp_path / "media")}) as celery:
        celery.send("casework.tasks.import_validate", args=(batch.pk,))
        wait_for(
            lambda: ImportBatch.objects.filter(pk=batch.pk, processed_rows__gt=0).exists(),
            what="progress from the worker",
            timeout=120,
        )
        wait_for(
            lambda: ImportBatch.objects.get(pk=batch.pk).status != ImportBatch.Status.VALIDATING,
            what=f"the check to finish\n{celery.log()}",
            timeout=300,
            interval=1,
        )
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.PREVIEW, (batch.message, batch.errors[:5])
        assert (batch.total_rows, batch.new_rows, batch.processed_rows) == (ROWS, ROWS, ROWS)
        assert not Constituent.objects.filter(office=office).exists()

        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.COMMITTING, committed_by=staff.user)
        celery.send("casework.tasks.import_commit", args=(batch.pk,))
        wait_for(
            lambda: ImportBatch.objects.get(pk=batch.pk).status != ImportBatch.Status.COMMITTING,
            what=f"the import to finish\n{celery.log()}",
            timeout=300,
            interval=1,
        )

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE, batch.message
    assert Constituent.objects.filter(office=office).count() == ROWS
    assert Constituent.objects.get(email="person10@example.org").phone == "+441908200010"
