"""Benchmark of the postcode directory import and lookup. Run by hand, not in CI:

    createdb -h 127.0.0.1 -U postgres postbag_bench_geo
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/postbag_bench_geo
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/geography.py --rows 2700000      # the full directory's size

    DATABASE_URL= .venv/bin/python bench/geography.py --rows 500000   # SQLite (var/ database)

It writes a directory of ``--rows`` rows in the published ONSPD layout (52 columns, quoted as the
ONS quotes them, 4% terminated, postcodes spread over 120 areas) to a temporary file, imports it
twice through the same code as ``manage.py import_postcode_directory`` (the second import swaps a
full table for another), and prints rows per second, the peak memory of the process and the time
of a lookup (p50 and p95 of 2,000). The bar (issue 15): 2.7 million rows in under 5 minutes on 2
cores with PostgreSQL, peak memory under 500 MB, a lookup under 1 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mpoffice.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from geography import selectors, services  # noqa: E402
from geography.models import Release  # noqa: E402
from geography.onspd_layout import DirectoryRow, write_onspd  # noqa: E402

AREAS = ["AB", "B", "BA", "CB", "DE", "E", "EX", "G", "HP", "L", "LU", "M", "MK", "N", "NN", "OX", "S", "SW"]
UNITS = "ABDEFGHJLNPQRSTUWXYZ"


def postcodes(count: int):
    made = 0
    for area in AREAS * 20:
        for district in range(1, 100):
            for sector in range(10):
                for first in UNITS:
                    for second in UNITS:
                        yield f"{area}{district} {sector}{first}{second}"
                        made += 1
                        if made >= count:
                            return


def rows(count: int):
    rng = random.Random(15)
    for n, postcode in enumerate(postcodes(count)):
        yield DirectoryRow(
            pcds=postcode,
            ward=f"E05{n // 400:06d}",
            local_authority=f"E06{n // 8000 % 1000:06d}",
            constituency=f"E14{1000 + n // 4200 % 650:06d}",
            police_force_area=f"E23{n // 60000 % 43:06d}",
            terminated="201906" if rng.random() < 0.04 else "",
            latitude=50 + rng.random() * 8,
            longitude=-5 + rng.random() * 6,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=500_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ONSPD_BENCH_UK.csv"
        started = time.perf_counter()
        with path.open("w", newline="", encoding="utf-8") as handle:
            written = write_onspd(handle, rows(args.rows))
        print(f"wrote {written:,} rows, {path.stat().st_size / 1e6:.0f} MB, in {time.perf_counter() - started:.0f} s")
        for run in (1, 2):
            started = time.perf_counter()
            release = services.release_import_path(path=path, label=f"bench {run}", published_on=date.today(), names=[])
            seconds = time.perf_counter() - started
            assert release.status == Release.Status.DONE, release.error
            print(
                f"{connection.vendor} import {run}: {release.postcodes:,} postcodes in {seconds:.1f} s = "
                f"{release.postcodes / seconds:,.0f} rows/s"
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sample = random.Random(1).sample(list(postcodes(min(args.rows, 200_000))), 2000)
    timings = []
    for postcode in sample:
        started = time.perf_counter()
        assert selectors.postcode_lookup(postcode) is not None
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(f"peak memory {peak_mb:.0f} MB; lookup p50 {statistics.median(timings):.2f} ms, p95 {timings[1900]:.2f} ms")
    print(f"on {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
