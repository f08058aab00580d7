"""Merges in the audit trail and in subject access: one entry per merge on the survivor's
trail, and the survivor's export includes each record merged into them with its own trail."""

import io
import json
import zipfile

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from casework.services import constituent_update
from tests.casework.factories import CaseFactory, ConstituentFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(office, staff):
    survivor = ConstituentFactory(office=office, first_name="Sam", last_name="Survivor", phone="")
    duplicate = ConstituentFactory(
        office=office, first_name="Sam", last_name="Duplicate", phone="+441908123456", notes="Prefers mornings."
    )
    constituent_update(constituent=duplicate, by=staff.user, notes="Prefers mornings; deaf in one ear.")
    CaseFactory(office=office, constituents=[duplicate])
    ContactFactory(office=office, constituent=duplicate)
    ContactFactory(office=office, constituent=duplicate)
    return survivor, duplicate


def test_a_merge_is_one_entry_on_the_survivors_trail_naming_both_and_what_moved(office, staff, pair, client_for):
    survivor, duplicate = pair
    client = client_for(staff)

    response = client.post(reverse("casework:constituent-merge", args=[duplicate.pk]), {"survivor": survivor.pk})

    assert response.status_code == 302
    entry = LogEntry.objects.get(additional_data__event="merge")
    assert entry.object_pk == str(survivor.pk) and entry.actor == staff.user
    assert entry.additional_data["merged_id"] == duplicate.pk
    assert entry.additional_data["moved"]["contacts"] == 2
    assert entry.additional_data["moved"]["case constituents"] == 1
    page = client.get(reverse("privacy:audit-trail", args=["constituent", survivor.pk])).content.decode()
    assert f"Merged Sam Duplicate (#{duplicate.pk}) into Sam Survivor (#{survivor.pk})" in page
    assert "<strong>Contacts</strong>: 2" in page
    assert "Details filled in from the duplicate: phone" in page
    # The merged record's own history is on the survivor's trail too.
    assert "deaf in one ear" in page


def test_the_survivors_subject_access_export_includes_each_merged_record(
    office, staff, pair, client_for, django_capture_on_commit_callbacks
):
    survivor, duplicate = pair
    client = client_for(staff)
    client.post(reverse("casework:constituent-merge", args=[duplicate.pk]), {"survivor": survivor.pk})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:subject-access", args=[survivor.pk]))
    export = survivor.subject_access_exports.get()
    download = client.get(reverse("privacy:subject-access-download", args=[export.pk]))

    assert response.status_code == 302 and download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        data = json.loads(archive.read("data.json"))
    merged = data["Records merged into this one"]
    assert [row["record"] for row in merged] == [f"#{duplicate.pk}"]
    assert merged[0]["last_name"] == "Duplicate" and "deaf in one ear" in merged[0]["notes"]
    trail = data["Audit trail: who saw or changed these records"]
    assert any("Sam Duplicate" in row["record"] and "deaf in one ear" in row["changes"] for row in trail)
    assert any("Merged Sam Duplicate" in row["record"] for row in trail)
