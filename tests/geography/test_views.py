"""The postcode directory page: the office's constituency, an upload imported by Celery, progress."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from geography.models import OfficeArea, Postcode, Release
from tests.geography.conftest import AUG_2024, fixture_rows


def _upload(name: str, data: bytes) -> dict:
    return {"label": "ONSPD August 2024", "published_on": "20/08/2024", "file": SimpleUploadedFile(name, data)}


def test_administrator_uploads_the_directory_and_it_is_imported_in_the_background(
    db, staff, client_for, django_capture_on_commit_callbacks
):
    staff.user.is_staff = True
    staff.user.save()
    client = client_for(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("geography:upload"), _upload("ONSPD_AUG_2024_UK.csv", AUG_2024.read_bytes()))
    assert response.status_code == 302
    release = Release.objects.get()
    # The real Celery app ran the task (eagerly, in tests): imported, current, the upload removed.
    assert release.status == Release.Status.DONE and release.is_current
    assert release.postcodes == len(fixture_rows(AUG_2024)) == Postcode.objects.count()
    assert not release.upload
    assert release.created_by == staff.user
    page = client.get(reverse("geography:directory")).content.decode()
    assert "ONSPD August 2024" in page and "current" in page
    progress = client.get(reverse("geography:progress"), headers={"HX-Request": "true"})
    assert progress.status_code == 200 and progress["HX-Refresh"] == "true"


def test_a_wrong_file_is_refused_with_a_reason_and_the_directory_kept(
    db, staff, client_for, django_capture_on_commit_callbacks
):
    staff.user.is_staff = True
    staff.user.save()
    client = client_for(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("geography:upload"), _upload("ONSPD_AUG_2024_UK.csv", AUG_2024.read_bytes()))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("geography:upload"), _upload("people.csv", b"name,postcode\nA Person,MK9 3HQ\n"))
    failed = Release.objects.order_by("-pk").first()
    assert failed.status == Release.Status.FAILED and "pcds" in failed.error
    assert Release.objects.get(is_current=True).source_name == "ONSPD_AUG_2024_UK.csv"
    assert "Nothing was changed" in client.get(reverse("geography:progress")).content.decode()
    response = client.post(reverse("geography:upload"), _upload("notes.txt", b"hello"))
    assert response.status_code == 400 and "Upload the ONS zip or a CSV file." in response.content.decode()


def test_office_staff_who_are_not_administrators_may_not_replace_the_directory(db, staff, client_for):
    response = client_for(staff).post(reverse("geography:upload"), _upload("x.csv", AUG_2024.read_bytes()))
    assert response.status_code == 403
    assert not Release.objects.exists()


def test_staff_set_the_office_constituency_with_a_clear_message_for_a_bad_code(db, office, staff, client_for):
    client = client_for(staff)
    bad = client.post(reverse("geography:area"), {"constituency_code": "Milton Keynes"})
    assert bad.status_code == 400 and "E14001376" in bad.content.decode()
    assert not OfficeArea.objects.exists()
    client.post(reverse("geography:area"), {"constituency_code": " e14001376"})
    assert OfficeArea.objects.get(office=office).constituency_code == "E14001376"


def test_caseworkers_and_mps_may_not_use_the_directory_page(db, caseworker, mp, client_for):
    for member in (caseworker, mp):
        client = client_for(member)
        assert client.get(reverse("geography:directory")).status_code == 403
        assert client.post(reverse("geography:area"), {"constituency_code": "E14001376"}).status_code == 403
    assert not OfficeArea.objects.exists()


def test_get_only_and_post_only_pages_answer_405(db, staff, client_for):
    client = client_for(staff)
    assert client.post(reverse("geography:directory")).status_code == 405
    assert client.get(reverse("geography:area")).status_code == 405
    assert client.get(reverse("geography:upload")).status_code == 405
