"""After a release with new constituencies: who now lies in another constituency, and which."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from casework.models import Case, CaseConstituent, Constituent
from casework.services import constituent_create
from geography import services as geo_services
from tests.casework.factories import CaseFactory
from tests.geography.conftest import AUG_2024, FIXTURES, MAY_2024, NAMES, fixture_rows, spaced

MK_SOUTH_2010, MK_CENTRAL_2024 = "E14000823", "E14001376"
PCON_2024_NAMES = "Westminster Parliamentary Constituency names and codes UK as at 12_24.csv"


def test_boundary_report_lists_constituents_and_open_cases_now_elsewhere(db, office, staff, caseworker, client_for):
    geo_services.release_import_path(path=MAY_2024, label="ONSPD May 2024", published_on=date(2024, 5, 22), names=NAMES)
    geo_services.office_area_set(office=office, by=staff.user, constituency_code=MK_SOUTH_2010)
    old = {spaced(r["pcds"]): r["pcon"] for r in fixture_rows(MAY_2024)}
    new = {spaced(r["pcds"]): r["pcon"] for r in fixture_rows(AUG_2024)}
    ours = sorted(p for p, code in old.items() if code == MK_SOUTH_2010)
    # One constituent per ward-sector of the old Milton Keynes South: some stay in Milton Keynes
    # Central, others (Bletchley, Tattenhoe) move to Buckingham and Bletchley, Walton to MK North.
    chosen = ours[::40]
    people = []
    for n, postcode in enumerate(chosen):
        people.append(
            constituent_create(
                office=office, by=caseworker.user, first_name=f"P{n}", last_name="Fictional", postcode=postcode
            )
        )
    assert all(p.constituency_code == MK_SOUTH_2010 and not p.outside_constituency for p in people)
    open_case, closed_case = CaseFactory(office=office), CaseFactory(office=office, status=Case.Status.CLOSED)
    for case in (open_case, closed_case):
        CaseConstituent.objects.create(office=office, case=case, constituent=people[0])

    geo_services.release_import_path(path=AUG_2024, label="ONSPD August 2024", published_on=date(2024, 8, 20), names=[])
    geo_services.office_area_set(office=office, by=staff.user, constituency_code=MK_CENTRAL_2024)

    expected_moved = {p.postcode: new[p.postcode] for p in people if new[p.postcode] != MK_CENTRAL_2024}
    assert expected_moved and len(expected_moved) < len(people)  # the fixture moves some, not all
    response = client_for(staff).get(reverse("casework:boundary-report"))
    page = response.content.decode()
    assert response.status_code == 200
    for person in people:
        if person.postcode in expected_moved:
            assert person.display_name in page and person.postcode in page
        else:
            assert f">{person.display_name}<" not in page
    assert page.count("Milton Keynes South") >= len(expected_moved)  # the constituency recorded before
    names = {r["PCON24CD"]: r["PCON24NM"] for r in fixture_rows(FIXTURES / PCON_2024_NAMES)}
    for code in set(expected_moved.values()):
        assert f"{names[code]} ({code})" in page
    if people[0].postcode in expected_moved:
        assert open_case.reference in page and closed_case.reference not in page

    # Recording the new release updates the records and their flags.
    client_for(staff).post(reverse("casework:boundary-record"))
    for person in people:
        person.refresh_from_db()
        assert person.constituency_code == new[person.postcode]
        assert person.outside_constituency == (person.postcode in expected_moved)


def test_caseworkers_may_not_read_the_boundary_report_or_record(db, office, caseworker, client_for):
    client = client_for(caseworker)
    assert client.get(reverse("casework:boundary-report")).status_code == 403
    assert client.post(reverse("casework:boundary-record")).status_code == 403
    assert not Constituent.objects.exists()
