"""A constituent's postcode resolved by the directory: areas kept on the record with the release,
the "outside the constituency" flag on people, cases and lists, and the office's ward table."""

from __future__ import annotations

from django.urls import reverse

from casework import geography as casework_geography
from casework.models import CaseConstituent, Constituent, PostcodeWard
from casework.services import constituent_create, ward_for_postcode
from geography import services as geo_services
from mpoffice.models import Ward
from tests.casework.factories import CaseFactory
from tests.geography.conftest import AUG_2024, fixture_rows, spaced

MK_CENTRAL = "E14001376"


def _row(**wanted):
    return next(
        row
        for row in fixture_rows(AUG_2024)
        if not row["doterm"] and row["pcds"] == spaced(row["pcds"]) and all(row[k] == v for k, v in wanted.items())
    )


def _person(office, by, postcode: str) -> Constituent:
    return constituent_create(office=office, by=by, first_name="Priya", last_name="Fictional", postcode=postcode)


def test_a_constituent_gets_ward_authority_constituency_and_police_area_with_the_release(
    db, office, caseworker, aug_2024
):
    geo_services.office_area_set(office=office, by=None, constituency_code=MK_CENTRAL)
    row = _row(pcon=MK_CENTRAL)
    person = _person(office, caseworker.user, row["pcds"].lower().replace(" ", ""))
    assert (person.ward_code, person.local_authority_code, person.constituency_code, person.police_force_area_code) == (
        row["osward"],
        "E06000042",
        MK_CENTRAL,
        "E23000029",
    )
    assert person.geography_release == aug_2024
    assert person.outside_constituency is False
    # The office's wards came from the directory, so the ward is set too.
    assert person.ward is not None and person.ward.office == office


def test_a_neighbour_is_flagged_outside_on_the_record_the_case_and_the_lists(
    db, office, caseworker, client_for, aug_2024
):
    geo_services.office_area_set(office=office, by=None, constituency_code=MK_CENTRAL)
    row = _row(pcon="E14001362")  # Mid Bedfordshire: Leighton Buzzard
    person = _person(office, caseworker.user, row["pcds"])
    assert person.outside_constituency is True and person.police_force_area_code == "E23000026"
    case = CaseFactory(office=office)
    CaseConstituent.objects.create(office=office, case=case, constituent=person)
    client = client_for(caseworker)
    for url in (
        person.get_absolute_url(),
        reverse("casework:constituent-list"),
        reverse("casework:case-list"),
        case.get_absolute_url(),
    ):
        page = client.get(url).content.decode()
        assert "Outside the constituency" in page, url
    assert "Mid Bedfordshire" in client.get(person.get_absolute_url()).content.decode()
    assert casework_geography.cases_outside(case.__class__.objects.filter(pk=case.pk)).get().outside_constituency


def test_a_constituent_inside_shows_no_flag(db, office, caseworker, client_for, aug_2024):
    geo_services.office_area_set(office=office, by=None, constituency_code=MK_CENTRAL)
    person = _person(office, caseworker.user, _row(pcon=MK_CENTRAL)["pcds"])
    assert "Outside the constituency" not in client_for(caseworker).get(person.get_absolute_url()).content.decode()


def test_a_terminated_postcode_still_resolves_and_is_marked(db, office, caseworker, client_for, aug_2024):
    row = next(row for row in fixture_rows(AUG_2024) if row["doterm"] and row["pcon"] == MK_CENTRAL)
    person = _person(office, caseworker.user, row["pcds"])
    assert person.postcode_terminated and person.constituency_code == MK_CENTRAL
    assert "Old postcode" in client_for(caseworker).get(person.get_absolute_url()).content.decode()


def test_changing_the_office_constituency_refreshes_flags_wards_and_postcode_table(db, office, caseworker, aug_2024):
    inside = _person(office, caseworker.user, _row(pcon=MK_CENTRAL)["pcds"])
    north = _person(office, caseworker.user, _row(pcon="E14001377")["pcds"])
    assert not inside.outside_constituency and not north.outside_constituency  # no area set yet: unknown

    geo_services.office_area_set(office=office, by=None, constituency_code=MK_CENTRAL)

    inside.refresh_from_db()
    north.refresh_from_db()
    assert (inside.outside_constituency, north.outside_constituency) == (False, True)
    expected = {spaced(r["pcds"]) for r in fixture_rows(AUG_2024) if r["pcon"] == MK_CENTRAL}
    assert set(PostcodeWard.objects.for_office(office).values_list("postcode", flat=True)) == expected
    names = {
        "Bradwell",
        "Campbell Park & Old Woughton",
        "Central Milton Keynes",
        "Loughton & Shenley",
        "Shenley Brook End",
        "Stantonbury",
        "Woughton & Fishermead",
    }
    assert set(Ward.objects.for_office(office).values_list("name", flat=True)) == names


def test_ward_for_postcode_keeps_its_signature_and_reads_the_directory(db, office, aug_2024):
    geo_services.office_area_set(office=office, by=None, constituency_code=MK_CENTRAL)
    row = _row(pcon=MK_CENTRAL, osward="E05009402")
    assert ward_for_postcode(office=office, postcode=row["pcds"]).name == "Central Milton Keynes"
    assert ward_for_postcode(office=office, postcode="") is None
    # A postcode the directory does not hold falls back to the office's own table.
    ward = Ward.objects.create(office=office, name="Typed by hand")
    PostcodeWard.objects.create(office=office, postcode="ZZ9 9ZZ", ward=ward)
    assert ward_for_postcode(office=office, postcode="ZZ9 9ZZ") == ward
