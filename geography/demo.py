"""Demo data for geography: a postcode directory extract in the published ONSPD layout (the demo's
Milton Keynes postcodes with the 2010 constituencies of the reference story), loaded by the same
importer as a real download, and each demo office's constituency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from geography import selectors, services
from geography.models import Release
from mpoffice.models import Office

DEMO_DATA = Path(__file__).parent / "demo_data"
DEMO_DIRECTORY = DEMO_DATA / "ONSPD_DEMO_MK_UK.csv"
OFFICE_CONSTITUENCIES = {"MKN": "E14000822", "MKS": "E14000823"}  # Milton Keynes North and South (2010)


def load(*, log: Callable[[str], None]) -> None:
    if not Release.objects.filter(status=Release.Status.DONE).exists():
        release = services.release_import_path(
            path=DEMO_DIRECTORY,
            label="Demo extract (ONSPD layout)",
            published_on=date(2021, 8, 1),
            names=sorted(DEMO_DATA.glob("* names and codes UK as at *.csv")),
        )
        log(f"Postcode directory: {release.postcodes} demo postcodes")
    for office in Office.objects.filter(reference_prefix__in=OFFICE_CONSTITUENCIES):
        code = OFFICE_CONSTITUENCIES[office.reference_prefix]
        if selectors.office_constituency_code(office) != code:
            services.office_area_set(office=office, by=None, constituency_code=code)
            log(f"{office.reference_prefix}: constituency {selectors.area_name(code)}")
