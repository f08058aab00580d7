from __future__ import annotations

import csv
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MAY_2024 = FIXTURES / "ONSPD_MAY_2024_UK.csv"
AUG_2024 = FIXTURES / "ONSPD_AUG_2024_UK.csv"
NAMES = sorted(FIXTURES.glob("* names and codes UK as at *.csv"))


def fixture_rows(path: Path) -> list[dict[str, str]]:
    """The fixture read plainly with the csv module, for expected figures independent of the importer."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def spaced(value: str) -> str:
    compact = "".join(value.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}"


@pytest.fixture
def may_2024(db):
    from geography import services

    return services.release_import_path(
        path=MAY_2024, label="ONSPD May 2024", published_on=__import__("datetime").date(2024, 5, 22), names=NAMES
    )


@pytest.fixture
def aug_2024(db):
    from geography import services

    return services.release_import_path(
        path=AUG_2024, label="ONSPD August 2024", published_on=__import__("datetime").date(2024, 8, 20), names=NAMES
    )
