"""The ONS Postcode Directory import, on fixtures in the published ONSPD layout."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from geography import selectors, services
from geography.models import Area, Postcode, Release
from tests.conftest import need
from tests.geography.conftest import AUG_2024, FIXTURES, MAY_2024, NAMES, fixture_rows, spaced


def _expected(path):
    rows = fixture_rows(path)
    return {spaced(row["pcds"]): row for row in rows}


def test_command_imports_every_postcode_with_its_areas(db):
    out = io.StringIO()
    call_command("import_postcode_directory", str(AUG_2024), "--names", *map(str, NAMES), stdout=out)

    expected = _expected(AUG_2024)
    release = Release.objects.get()
    assert (release.label, release.published_on, release.is_current) == ("ONSPD August 2024", date(2024, 8, 1), True)
    assert release.postcodes == len(expected) == Postcode.objects.count()
    assert release.terminated == sum(1 for row in expected.values() if row["doterm"]) > 0
    assert f"{len(expected):,} postcodes" in out.getvalue()
    for postcode, row in expected.items():
        place = selectors.postcode_lookup(postcode)
        assert place is not None, postcode
        assert (place.ward_code, place.local_authority_code, place.constituency_code, place.police_force_area_code) == (
            row["osward"],
            row["oslaua"],
            row["pcon"],
            row["pfa"],
        )
        assert place.is_terminated == bool(row["doterm"])
        assert place.release_id == release.pk
    assert Area.objects.get(code="E14001376").name == "Milton Keynes Central"
    assert Area.objects.get(code="E06000042").name == "Milton Keynes"
    assert Area.objects.get(code="E23000029").name == "Thames Valley"


def test_odd_spacing_and_case_in_the_file_and_the_query_resolve(db, aug_2024):
    odd = [row["pcds"] for row in fixture_rows(AUG_2024) if row["pcds"] != spaced(row["pcds"])]
    assert len(odd) == 3  # lower case, two spaces, none
    for value in odd:
        assert Postcode.objects.filter(postcode=spaced(value)).exists()
        assert selectors.postcode_lookup(value.lower().replace(" ", "")).postcode == spaced(value)


def test_terminated_postcode_resolves_marked_terminated(db, aug_2024):
    row = next(row for row in fixture_rows(AUG_2024) if row["doterm"])
    place = selectors.postcode_lookup(row["pcds"])
    assert place.is_terminated and place.terminated_on == date(int(row["doterm"][:4]), int(row["doterm"][4:]), 1)
    assert place.constituency_code == row["pcon"]


def test_a_new_release_replaces_the_old_one_whole(db, may_2024, aug_2024):
    assert list(Release.objects.filter(is_current=True)) == [aug_2024]
    new = _expected(AUG_2024)
    assert Postcode.objects.count() == len(new)
    codes = set(Postcode.objects.values_list("constituency_code", flat=True))
    assert codes == {row["pcon"] for row in new.values()}
    assert "E14000823" not in codes  # Milton Keynes South (2010) is gone
    # The old constituencies keep their names, for the boundary report.
    assert Area.objects.get(code="E14000823").name == "Milton Keynes South"


def _zip(members: dict[str, bytes], tmp_path):
    path = tmp_path / "ONSPD_AUG_2024.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_the_zip_as_downloaded_is_read_with_its_names_files(db, tmp_path):
    members = {"Data/ONSPD_AUG_2024_UK.csv": AUG_2024.read_bytes(), "User Guide/readme.txt": b"Open Government Licence"}
    members |= {f"Documents/{path.name}": path.read_bytes() for path in NAMES}
    release = services.release_import_path(
        path=_zip(members, tmp_path), label="ONSPD August 2024", published_on=date(2024, 8, 20), names=[]
    )
    assert release.status == Release.Status.DONE, release.error
    assert release.postcodes == len(_expected(AUG_2024)) and release.areas == Area.objects.count() > 30


def test_a_zip_split_by_postcode_area_is_read_as_one(db, tmp_path):
    lines = AUG_2024.read_bytes().split(b"\r\n")
    header, rows = lines[0], [line for line in lines[1:] if line]
    lu = [line for line in rows if line.startswith(b'"LU')]
    mk = [line for line in rows if line.startswith(b'"MK')]
    rest = [line for line in rows if not line.startswith((b'"LU', b'"MK'))]
    members = {
        "Data/multi_csv/ONSPD_AUG_2024_UK_LU.csv": b"\r\n".join([header, *lu]) + b"\r\n",
        "Data/multi_csv/ONSPD_AUG_2024_UK_MK.csv": b"\r\n".join([header, *mk]),  # no final newline
        "Data/multi_csv/ONSPD_AUG_2024_UK_NN.csv": b"\r\n".join([header, *rest]) + b"\r\n",
    }
    release = services.release_import_path(
        path=_zip(members, tmp_path), label="split", published_on=date(2024, 8, 20), names=[]
    )
    assert release.status == Release.Status.DONE, release.error
    assert release.postcodes == len(rows) == Postcode.objects.count()


def test_a_file_without_the_directory_columns_is_refused_and_changes_nothing(db, may_2024, tmp_path):
    wrong = tmp_path / "constituents.csv"
    wrong.write_text("postcode,ward\nMK9 3HQ,Central Milton Keynes\n")
    before = Postcode.objects.count()
    with pytest.raises(CommandError, match="no pcds .or pcd. or pcon .or pcon24cd. column"):
        call_command("import_postcode_directory", str(wrong), "--published", "2024-08-20")
    assert Postcode.objects.count() == before
    assert Release.objects.get(is_current=True) == may_2024
    assert Release.objects.get(source_name="constituents.csv").status == Release.Status.FAILED


def test_a_postcode_twice_is_refused_and_changes_nothing(db, may_2024, tmp_path):
    data = AUG_2024.read_text(encoding="utf-8")
    lines = data.splitlines()
    doubled = tmp_path / "ONSPD_AUG_2024_UK.csv"
    doubled.write_text("\n".join([*lines, lines[5]]) + "\n")
    release = services.release_import_path(path=doubled, label="doubled", published_on=date(2024, 8, 20), names=[])
    assert release.status == Release.Status.FAILED
    assert "appears more than once" in release.error
    assert Release.objects.get(is_current=True) == may_2024
    assert set(Postcode.objects.values_list("constituency_code", flat=True)) == {
        row["pcon"] for row in fixture_rows(MAY_2024)
    }


def test_rows_without_a_valid_postcode_are_skipped_and_counted(db, tmp_path):
    lines = AUG_2024.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    broken = ",".join([*cells[:2], '"NOT A CODE"', *cells[3:]])
    path = tmp_path / "ONSPD_AUG_2024_UK.csv"
    path.write_text("\n".join([lines[0], broken, *lines[2:]]) + "\n")
    release = services.release_import_path(path=path, label="x", published_on=date(2024, 8, 20), names=[])
    assert release.status == Release.Status.DONE
    assert (release.skipped, release.postcodes) == (1, len(lines) - 2)
    assert "NOT A CODE" in release.error


def test_names_file_in_windows_encoding_is_read(db, tmp_path):
    names = tmp_path / "Ward names and codes UK as at 05_24.csv"
    names.write_bytes("WD24CD,WD24NM,WD24NMW\r\nW05001234,Ynys Môn Ward,Ward Ynys Môn\r\n".encode("cp1252"))
    services.release_import_path(path=AUG_2024, label="x", published_on=date(2024, 8, 20), names=[names])
    assert Area.objects.get(code="W05001234").name == "Ynys Môn Ward"


def test_office_postcodes_and_wards_come_from_the_data(db, office, staff, aug_2024):
    services.office_area_set(office=office, by=staff.user, constituency_code="e14001376 ")
    rows = [row for row in fixture_rows(AUG_2024) if row["pcon"] == "E14001376"]
    assert selectors.office_postcodes(office).count() == len(rows)
    live_wards = {row["osward"] for row in rows if not row["doterm"]}
    assert {area.code for area in selectors.office_wards(office)} == live_wards
    assert "Central Milton Keynes" in {area.name for area in selectors.office_wards(office)}


def test_fixtures_have_what_the_tests_rely_on():
    rows = fixture_rows(AUG_2024)
    assert len(rows) > 2000
    assert {row["pcon"] for row in rows} >= {"E14001376", "E14001377", "E14001133"}
    assert any(row["pcds"].startswith(("LU", "NN")) for row in rows)  # neighbours outside Milton Keynes
    assert (FIXTURES / "build.py").is_file()


@pytest.mark.postgres
def test_a_directory_larger_than_one_batch_is_loaded_whole_with_progress_between_batches(db, monkeypatch):
    """PostgreSQL loads one COPY per PROGRESS_EVERY rows and records progress between them. (SQLite
    loads in one transaction, where progress written between batches could not be seen by the page
    polling it, so it records the figures once, at the end.)"""
    need(connection.vendor == "postgresql", "SQLite loads the directory in one transaction")
    from geography import directory

    monkeypatch.setattr(directory, "PROGRESS_EVERY", 500)  # the fixture's 2,300 rows: five batches
    monkeypatch.setattr(directory, "COPY_CHUNK", 120)
    seen = []
    real_update = Release.objects.filter

    def spy(*args, **kwargs):
        rows = real_update(*args, **kwargs)
        seen.append(kwargs)
        return rows

    monkeypatch.setattr(Release.objects, "filter", spy)
    release = services.release_import_path(path=AUG_2024, label="x", published_on=date(2024, 8, 20), names=[])
    assert release.status == Release.Status.DONE
    assert release.postcodes == len(_expected(AUG_2024)) == Postcode.objects.count()
    assert release.rows_read == len(fixture_rows(AUG_2024))
    assert sum(1 for kwargs in seen if kwargs == {"pk": release.pk}) >= 5  # progress written between batches
