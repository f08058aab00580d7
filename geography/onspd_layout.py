"""Writing rows in the published ONSPD CSV layout: the test fixtures, the demo extract and the
benchmark's generated directory are all made with it, so they are read exactly as a download is.

The header is the ONSPD's as published in 2024 (52 columns); strings are quoted and the
coordinates and deprivation rank are not, as in the ONS files. Columns we do not use carry
plausible values of the right shape.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

ONSPD_HEADER = [
    "pcd",
    "pcd2",
    "pcds",
    "dointr",
    "doterm",
    "oscty",
    "ced",
    "oslaua",
    "osward",
    "parish",
    "usertype",
    "oseast1m",
    "osnrth1m",
    "osgrdind",
    "oshlthau",
    "nhser",
    "ctry",
    "rgn",
    "streg",
    "pcon",
    "eer",
    "teclec",
    "ttwa",
    "pct",
    "itl",
    "statsward",
    "oa01",
    "casward",
    "npark",
    "lsoa01",
    "msoa01",
    "ur01ind",
    "oac01",
    "oa11",
    "lsoa11",
    "msoa11",
    "wz11",
    "sicbl",
    "bua24",
    "ru11ind",
    "oac11",
    "lat",
    "long",
    "lep1",
    "lep2",
    "pfa",
    "imd",
    "calncv",
    "icb",
    "oa21",
    "lsoa21",
    "msoa21",
]
UNQUOTED = {"lat", "long", "imd"}


@dataclass(frozen=True)
class DirectoryRow:
    pcds: str  # as it should appear in the pcds column (tests may give odd spacing or case)
    ward: str
    local_authority: str
    constituency: str
    police_force_area: str
    introduced: str = "198001"
    terminated: str = ""
    county: str = "E99999999"
    latitude: float = 52.04
    longitude: float = -0.76


def _pcd(pcds: str) -> tuple[str, str]:
    compact = "".join(pcds.split()).upper()
    outward, inward = compact[:-3], compact[-3:]
    return f"{outward:<4}{inward}", f"{outward:<5}{inward}"  # pcd: 7 characters, pcd2: 8


def write_onspd(handle: IO[str], rows: Iterable[DirectoryRow]) -> int:
    handle.write(",".join(f'"{name}"' for name in ONSPD_HEADER) + "\r\n")
    written = 0
    for n, row in enumerate(rows):
        pcd, pcd2 = _pcd(row.pcds)
        values = {
            "pcd": pcd,
            "pcd2": pcd2,
            "pcds": row.pcds,
            "dointr": row.introduced,
            "doterm": row.terminated,
            "oscty": row.county,
            "ced": "E99999999",
            "oslaua": row.local_authority,
            "osward": row.ward,
            "parish": "E43000" + f"{n % 1000:03d}",
            "usertype": "0",
            "oseast1m": f"{485000 + n % 9000}",
            "osnrth1m": f"{237000 + n % 9000:07d}",
            "osgrdind": "1",
            "oshlthau": "E18000012",
            "nhser": "E40000006",
            "ctry": "E92000001",
            "rgn": "E12000008",
            "streg": "0",
            "pcon": row.constituency,
            "eer": "E15000008",
            "teclec": "E24000040",
            "ttwa": "E30000243",
            "pct": "E16000133",
            "itl": "E06000042",
            "statsward": "99ZZ00",
            "oa01": "E00000001",
            "casward": "99ZZ00",
            "npark": "E65000001",
            "lsoa01": "E01016788",
            "msoa01": "E02003468",
            "ur01ind": "A",
            "oac01": "6B2",
            "oa11": "E00093876",
            "lsoa11": "E01016788",
            "msoa11": "E02003468",
            "wz11": "E33033019",
            "sicbl": "E38000229",
            "bua24": "E63011412",
            "ru11ind": "C1",
            "oac11": "6B2",
            "lat": f"{row.latitude:.6f}",
            "long": f"{row.longitude:.6f}",
            "lep1": "E37000059",
            "lep2": "",
            "pfa": row.police_force_area,
            "imd": f"{1 + n % 32844}",
            "calncv": "E56000020",
            "icb": "E54000024",
            "oa21": "E00093876",
            "lsoa21": "E01016788",
            "msoa21": "E02003468",
        }
        handle.write(
            ",".join(values[name] if name in UNQUOTED else f'"{values[name]}"' for name in ONSPD_HEADER) + "\r\n"
        )
        written += 1
    return written


def write_names(handle: IO[str], prefix: str, names: dict[str, str]) -> None:
    """A names-and-codes file as in the directory's Documents folder: e.g. PCON24CD,PCON24NM,PCON24NMW."""
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow([f"{prefix}CD", f"{prefix}NM", f"{prefix}NMW"])
    for code, name in sorted(names.items()):
        writer.writerow([code, name, ""])
