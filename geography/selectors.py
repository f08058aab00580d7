"""Reading the postcode directory: lookups, the office's area, its postcodes and wards."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from geography.models import Area, AreaKind, OfficeArea, Postcode, Release
from geography.postcodes import postcode_normalise
from mpoffice.models import Office


@dataclass(frozen=True)
class Place:
    """Where a postcode lies, by the current release."""

    postcode: str
    terminated_on: date | None
    ward_code: str
    local_authority_code: str
    county_code: str
    constituency_code: str
    police_force_area_code: str
    release_id: int | None

    @property
    def is_terminated(self) -> bool:
        return self.terminated_on is not None


def current_release() -> Release | None:
    return Release.objects.filter(is_current=True).first()


def _place(row: Postcode, release_id: int | None) -> Place:
    return Place(
        postcode=row.postcode,
        terminated_on=row.terminated_on,
        ward_code=row.ward_code,
        local_authority_code=row.local_authority_code,
        county_code=row.county_code,
        constituency_code=row.constituency_code,
        police_force_area_code=row.police_force_area_code,
        release_id=release_id,
    )


def postcodes_lookup(postcodes: Iterable[str]) -> dict[str, Place]:
    """Normalised postcode -> its place, for those the directory holds (terminated ones too)."""
    wanted = set()
    for value in postcodes:
        with suppress(ValidationError):  # a malformed postcode simply has no place
            wanted.add(postcode_normalise(value))
    if not wanted:
        return {}
    release = Release.objects.filter(is_current=True).values_list("pk", flat=True).first()
    return {row.postcode: _place(row, release) for row in Postcode.objects.filter(postcode__in=wanted)}


def postcode_lookup(postcode: str) -> Place | None:
    return postcodes_lookup([postcode]).get(_normal(postcode))


def _normal(postcode: str) -> str:
    try:
        return postcode_normalise(postcode)
    except ValidationError:
        return ""


def area_names(codes: Iterable[str]) -> dict[str, str]:
    wanted = {code for code in codes if code}
    return dict(Area.objects.filter(code__in=wanted).values_list("code", "name")) if wanted else {}


def area_name(code: str) -> str:
    return area_names([code]).get(code, code)


def office_constituency_code(office: Office) -> str:
    """The office's constituency (GSS code), or "" while the office has not set it."""
    return OfficeArea.objects.filter(office=office).values_list("constituency_code", flat=True).first() or ""


def office_postcodes(office: Office, *, include_terminated: bool = True) -> QuerySet[Postcode]:
    """The postcodes the current release puts in the office's constituency."""
    code = office_constituency_code(office)
    if not code:
        return Postcode.objects.none()
    rows = Postcode.objects.filter(constituency_code=code)
    return rows if include_terminated else rows.filter(terminated_on=None)


def office_wards(office: Office) -> list[Area]:
    """The wards with at least one live postcode in the office's constituency, by name."""
    codes = set(office_postcodes(office, include_terminated=False).values_list("ward_code", flat=True).distinct())
    named = {area.code: area for area in Area.objects.filter(code__in=codes)}
    return sorted(
        (named.get(code) or Area(code=code, kind=AreaKind.WARD, name=code) for code in codes if code),
        key=lambda area: area.name,
    )


def constituencies() -> QuerySet[Area]:
    return Area.objects.filter(kind=AreaKind.CONSTITUENCY)
