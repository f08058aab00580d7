"""Casework's use of the postcode directory (``geography``): where each constituent lives, the
"outside the constituency" flag, the office's ward table kept from the directory, and the
boundary-change report.

A constituent records the ward, local authority, constituency and police force area its postcode
had in the directory release named on the record; ``outside_constituency`` compares the recorded
constituency with the office's. A new release changes nothing on the records by itself: the
boundary report compares the records with it, and ``constituents_geography_refresh`` records it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from casework.models import Case, CaseConstituent, Constituent, PostcodeWard
from geography import selectors as geo
from geography.selectors import Place
from mpoffice.models import Membership, Office, Ward

PLACE_FIELDS = (
    "ward_code",
    "local_authority_code",
    "constituency_code",
    "police_force_area_code",
    "postcode_terminated",
    "geography_release",
    "outside_constituency",
)


def constituent_place_set(constituent: Constituent, place: Place | None, *, office_code: str) -> None:
    """Copy where the postcode lies onto the record (not saved); no place clears it."""
    constituent.ward_code = place.ward_code if place else ""
    constituent.local_authority_code = place.local_authority_code if place else ""
    constituent.constituency_code = place.constituency_code if place else ""
    constituent.police_force_area_code = place.police_force_area_code if place else ""
    constituent.postcode_terminated = bool(place and place.is_terminated)
    constituent.geography_release_id = place.release_id if place else None
    constituent.outside_constituency = bool(
        office_code and constituent.constituency_code and constituent.constituency_code != office_code
    )


def constituent_place_lookup(constituent: Constituent) -> None:
    place = geo.postcode_lookup(constituent.postcode) if constituent.postcode else None
    constituent_place_set(constituent, place, office_code=geo.office_constituency_code(constituent.office))


def constituent_areas(constituent: Constituent) -> dict[str, str] | None:
    """The recorded areas by name, for the constituent's page (None when none are recorded)."""
    if not constituent.geography_release_id:
        return None
    codes = [constituent.constituency_code, constituent.local_authority_code, constituent.police_force_area_code]
    names = geo.area_names(codes)
    release = constituent.geography_release
    return {
        "constituency": names.get(constituent.constituency_code, constituent.constituency_code or "no constituency"),
        "local_authority": names.get(constituent.local_authority_code, constituent.local_authority_code or "none"),
        "police_force_area": names.get(
            constituent.police_force_area_code, constituent.police_force_area_code or "none"
        ),
        "release": str(release) if release else "",
    }


def ward_from_directory(*, office: Office, postcode: str) -> Ward | None:
    """The office's ward (by name) that the directory puts the postcode in, if the office has it."""
    place = geo.postcode_lookup(postcode)
    if place is None or not place.ward_code:
        return None
    return Ward.objects.for_office(office).filter(name__iexact=geo.area_name(place.ward_code)).first()


@transaction.atomic
def office_geography_sync(office: Office) -> int:
    """The office's wards and postcode-to-ward table from the directory; the outside flags again.

    Adds a ward for each of the office's wards in the directory and a postcode row for each of its
    postcodes (terminated ones too); rows typed or uploaded for other postcodes stay."""
    wards = {}
    for area in geo.office_wards(office):
        wards[area.code], _ = Ward.objects.get_or_create(office=office, name=area.name)
    rows = {
        postcode: wards[ward_code]
        for postcode, ward_code in geo.office_postcodes(office).values_list("postcode", "ward_code")
        if ward_code in wards
    }
    existing = {link.postcode: link for link in PostcodeWard.objects.for_office(office).filter(postcode__in=rows)}
    new = [PostcodeWard(office=office, postcode=p, ward=w) for p, w in rows.items() if p not in existing]
    changed = [link for p, link in existing.items() if link.ward_id != rows[p].pk]
    for link in changed:
        link.ward = rows[link.postcode]
    PostcodeWard.objects.bulk_create(new, batch_size=1000)
    PostcodeWard.objects.bulk_update(changed, ["ward"], batch_size=1000)
    code = geo.office_constituency_code(office)
    people = Constituent.objects.for_office(office).exclude(constituency_code="")
    people.exclude(constituency_code=code).update(outside_constituency=bool(code))
    people.filter(constituency_code=code).update(outside_constituency=False)
    return len(new) + len(changed)


def directory_changed(office: Office | None) -> None:
    """Listener of ``geography.services``: an office's area, or the whole directory, changed."""
    offices = [office] if office is not None else Office.objects.filter(area__isnull=False)
    for each in offices:
        office_geography_sync(each)


def constituents_geography_refresh(*, office: Office) -> int:
    """Record the current release on every constituent of the office with a postcode."""
    code = geo.office_constituency_code(office)
    people = list(Constituent.objects.for_office(office).exclude(postcode=""))
    places = geo.postcodes_lookup(person.postcode for person in people)
    for person in people:
        constituent_place_set(person, places.get(person.postcode), office_code=code)
        person.ward = ward_from_directory(office=office, postcode=person.postcode) or person.ward
    Constituent.objects.bulk_update(people, [*PLACE_FIELDS, "ward"], batch_size=500)
    return len(people)


def cases_outside(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate ``outside_constituency``: a constituent of the case lives outside it."""
    return cases.annotate(
        outside_constituency=Exists(
            CaseConstituent.objects.filter(case=OuterRef("pk"), constituent__outside_constituency=True)
        )
    )


@dataclass(frozen=True)
class BoundaryRow:
    constituent: Constituent
    postcode: str
    recorded_code: str
    recorded_name: str
    now_code: str
    now_name: str
    open_cases: list[Case]


def boundary_report(
    *, membership: Membership, constituents: QuerySet[Constituent], cases: QuerySet[Case]
) -> list[BoundaryRow]:
    """The office's constituents (as the member may see them) whose postcode the current release
    puts in another constituency than the office's, with their open cases and the constituency."""
    office = membership.office
    code = geo.office_constituency_code(office)
    if not code:
        return []
    people = list(constituents.exclude(postcode="").order_by("last_name", "first_name", "pk"))
    places = geo.postcodes_lookup(person.postcode for person in people)
    moved = [
        (person, places[person.postcode])
        for person in people
        if person.postcode in places and places[person.postcode].constituency_code != code
    ]
    names = geo.area_names([p.constituency_code for _, p in moved] + [c.constituency_code for c, _ in moved])
    open_cases: dict[int, list[Case]] = {}
    for link in (
        CaseConstituent.objects.filter(
            case__in=cases.exclude(status=Case.Status.CLOSED), constituent__in=[c for c, _ in moved]
        )
        .select_related("case")
        .order_by("case__reference")
    ):
        open_cases.setdefault(link.constituent_id, []).append(link.case)
    return [
        BoundaryRow(
            constituent=person,
            postcode=person.postcode,
            recorded_code=person.constituency_code,
            recorded_name=names.get(person.constituency_code, person.constituency_code or "not recorded"),
            now_code=place.constituency_code,
            now_name=names.get(place.constituency_code, place.constituency_code or "none"),
            open_cases=open_cases.get(person.pk, []),
        )
        for person, place in moved
    ]
