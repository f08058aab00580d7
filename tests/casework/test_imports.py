import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casework.imports import SPECS
from casework.models import Case, Constituent, ImportBatch, TimelineEntry
from tests.casework.factories import ConstituentFactory, TopicFactory, import_batch

pytestmark = pytest.mark.django_db

HEADER = "first_name,last_name,postcode,email,phone,address_line1,town\n"
GOOD_ROWS = (
    "Jane,Doe,mk9 3hq,Jane@Example.org,01908 123456,1 Saxon Street,Milton Keynes\n"
    "Sam,Example,MK6 2LB,,07911 123456,2 Oldbrook Boulevard,Milton Keynes\n"
)


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks, monkeypatch):
    """Views queue the import tasks with transaction.on_commit; inside a test's transaction
    nothing commits, so run those callbacks (the tasks, eagerly through Celery) as a commit would."""
    from django.test import Client

    original = Client.post

    def post(self, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return original(self, *args, **kwargs)

    monkeypatch.setattr(Client, "post", post)


def _csv(text: str, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def _upload(client, text, kind="constituents", name="people.csv"):
    return client.post(reverse("casework:import-list"), {"kind": kind, "file": _csv(text, name)})


def test_staff_uploads_sees_preview_then_commits(office, staff, client_for):
    client = client_for(staff)

    response = _upload(client, HEADER + GOOD_ROWS)

    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    assert batch.status == ImportBatch.Status.PREVIEW  # the check ran (eagerly, through Celery)
    assert (batch.total_rows, batch.new_rows, batch.error_count) == (2, 2, 0)
    assert not Constituent.objects.exists()  # nothing saved before the confirmation
    page = client.get(batch.get_absolute_url()).content.decode()
    assert "Import 2 rows" in page and "MK9 3HQ" in page

    assert client.post(reverse("casework:import-confirm", args=[batch.pk])).status_code == 302

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and batch.committed_by == staff.user
    jane = Constituent.objects.get(first_name="Jane")
    assert (jane.postcode, jane.phone, jane.email, jane.office) == (
        "MK9 3HQ",
        "+441908123456",
        "jane@example.org",
        office,
    )


def test_rows_with_errors_are_listed_by_row_and_column_and_nothing_is_saved(office, staff, client_for):
    text = (
        HEADER
        + GOOD_ROWS
        + "Bad,Postcode,NOT A POSTCODE,bad@example.org,,,\n"
        + ",,MK9 3HQ,,,,\n"
        + "Bad,Phone,MK9 3HQ,phone@example.org,12345,,\n"
        + "Bad,Email,MK9 3HQ,not-an-email,,,\n"
        + "Jane,Again,MK9 3HQ,jane@example.org,,,\n"
    )

    _upload(client_for(staff), text)

    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.INVALID
    errors = {(row, column) for row, column, _message in batch.errors}
    assert errors == {(4, "postcode"), (5, "last_name"), (6, "phone"), (7, "email"), (8, "")}
    messages = dict(((row, column), message) for row, column, message in batch.errors)
    assert "MK9 3HQ" in messages[(4, "postcode")]  # an example of the right form
    assert "row 2" in messages[(8, "")]
    page = client_for(staff).get(batch.get_absolute_url()).content.decode()
    assert "Nothing was saved" in page and "5 errors" in page
    assert client_for(staff).post(reverse("casework:import-confirm", args=[batch.pk])).status_code == 302
    assert not Constituent.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        "name,address\nJane,1 Street\n",  # wrong columns
        "first_name;last_name;postcode;email;phone\nJane;Doe;MK9 3HQ;;\n",  # semicolons: one unknown column
        "first_name,last_name,postcode,email\nJane,Doe,MK9 3HQ,\n",  # a required column missing
    ],
)
def test_wrong_columns_are_refused_listing_the_expected_ones_and_nothing_is_saved(office, staff, client_for, content):
    response = _upload(client_for(staff), content)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Required columns: first_name, last_name, postcode, email, phone" in page
    assert not ImportBatch.objects.exists() and not Constituent.objects.exists()


def test_wrong_encoding_is_refused_listing_the_expected_columns(office, staff, client_for):
    latin1 = (HEADER + "Zoë,Brontë,MK9 3HQ,zoe@example.org,,,\n").encode("latin-1")
    upload = SimpleUploadedFile("people.csv", latin1, content_type="text/csv")

    response = client_for(staff).post(reverse("casework:import-list"), {"kind": "constituents", "file": upload})

    assert response.status_code == 400
    page = response.content.decode()
    assert "not UTF-8" in page and "Required columns: first_name" in page
    assert not ImportBatch.objects.exists()


def test_same_file_again_is_refused_and_extended_file_adds_only_new_rows(office, staff, client_for):
    client = client_for(staff)
    _upload(client, HEADER + GOOD_ROWS)
    client.post(reverse("casework:import-confirm", args=[ImportBatch.objects.get().pk]))

    again = _upload(client, HEADER + GOOD_ROWS, name="renamed.csv")
    assert again.status_code == 400 and "already imported" in again.content.decode()

    _upload(client, HEADER + GOOD_ROWS + "Ann,Other,MK10 9AA,ann@example.org,,,\n")
    extended = ImportBatch.objects.filter(status=ImportBatch.Status.PREVIEW).get()
    assert (extended.new_rows, extended.existing_rows) == (1, 2)
    client.post(reverse("casework:import-confirm", args=[extended.pk]))

    assert Constituent.objects.count() == 3
    assert Constituent.objects.filter(email="jane@example.org").count() == 1


def test_cases_import_with_references_and_timeline(office, staff, client_for):
    jane = ConstituentFactory(office=office, email="jane@example.org")
    housing = TopicFactory(office=office, name="Housing")
    TopicFactory(office=office, name="Repairs", parent=housing)
    text = (
        "constituent_email,summary,topic,status,outcome,opened_on\n"
        "jane@example.org,Damp in the flat,Housing > Repairs,open,,03/02/2025\n"
        "JANE@example.org,Bus pass,,closed,resolved,2024-05-01\n"
        "nobody@example.org,Unknown person,Nope,sideways,,31/31/2024\n"
    )
    client = client_for(staff)

    _upload(client, text, kind="cases", name="cases.csv")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.INVALID
    assert {(r, c) for r, c, _ in batch.errors} == {
        (4, "constituent_email"),
        (4, "topic"),
        (4, "status"),
        (4, "opened_on"),
    }

    _upload(client, text.rsplit("nobody", 1)[0], kind="cases", name="cases.csv")
    batch = ImportBatch.objects.get(status=ImportBatch.Status.PREVIEW)
    client.post(reverse("casework:import-confirm", args=[batch.pk]))

    damp = Case.objects.get(summary="Damp in the flat")
    assert damp.reference == "MKS-2025-00001" and str(damp.topic) == "Housing › Repairs"
    assert list(damp.constituents.all()) == [jane]
    bus = Case.objects.get(summary="Bus pass")
    assert bus.status == Case.Status.CLOSED and bus.outcome == Case.Outcome.RESOLVED
    assert TimelineEntry.objects.filter(kind="opened").count() == 2


def test_caseworker_and_mp_cannot_import(office, caseworker, mp, client_for):
    batch = import_batch(office)
    for member in (caseworker, mp):
        client = client_for(member)
        assert client.get(reverse("casework:import-list")).status_code == 403
        assert _upload(client, HEADER + GOOD_ROWS).status_code == 403
        assert client.get(batch.get_absolute_url()).status_code == 403
        assert client.post(reverse("casework:import-confirm", args=[batch.pk])).status_code == 403
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW and not Constituent.objects.exists()


def test_outsider_cannot_see_or_confirm_an_import(office, outsider, client_for):
    batch = import_batch(office)
    client = client_for(outsider)

    assert client.get(batch.get_absolute_url()).status_code == 404
    assert client.post(reverse("casework:import-confirm", args=[batch.pk])).status_code == 404
    assert batch.original_name not in client.get(reverse("casework:import-list")).content.decode()


def test_progress_fragment_polls_while_running_and_refreshes_when_done(office, staff, client_for):
    batch = import_batch(office, status=ImportBatch.Status.VALIDATING)
    ImportBatch.objects.filter(pk=batch.pk).update(processed_rows=2000, total_rows=0)
    client = client_for(staff)
    url = reverse("casework:import-progress", args=[batch.pk])

    running = client.get(url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in running.content.decode() and "2000" in running.content.decode()
    assert "HX-Refresh" not in running

    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.PREVIEW)
    finished = client.get(url, headers={"HX-Request": "true"})
    assert finished["HX-Refresh"] == "true"


def test_import_list_runs_fixed_queries(office, staff, client_for, django_assert_max_num_queries):
    client = client_for(staff)
    import_batch(office)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("casework:import-list"))
    for _ in range(30):
        import_batch(office)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("casework:import-list")).status_code == 200


def test_template_lists_the_expected_columns(office, staff, client_for):
    response = client_for(staff).get(reverse("casework:import-template") + "?kind=cases")
    assert response.content.decode("utf-8-sig").strip() == ",".join(SPECS["cases"].columns)
