"""manage.py import_postcode_directory ONSPD_FEB_2025.zip --published 2025-02-20

Imports the ONS Postcode Directory (or the NSPL) as downloaded: the zip, or the data CSV with
``--names`` files. Runs in this process; the staff page does the same through Celery.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geography import services
from geography.models import Release

MONTHS = {
    name: n
    for n, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}


def edition_from_name(name: str) -> tuple[str, date] | None:
    """ "ONSPD_FEB_2025_UK.zip" -> ("ONSPD February 2025", 1 February 2025)."""
    found = re.search(r"(ONSPD|NSPL)_([A-Z]{3})_(\d{4})", name.upper())
    if not found or found.group(2) not in MONTHS:
        return None
    when = date(int(found.group(3)), MONTHS[found.group(2)], 1)
    return f"{found.group(1)} {when:%B %Y}", when


class Command(BaseCommand):
    help = "Import the ONS Postcode Directory (zip or CSV) as a new release and make it current."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path, help="The zip as downloaded, or the data CSV.")
        parser.add_argument("--names", type=Path, nargs="*", default=[], help="Names-and-codes CSVs.")
        parser.add_argument("--label", help="The edition, e.g. 'ONSPD February 2025' (default: from the file name).")
        parser.add_argument("--published", type=date.fromisoformat, help="Publication date, YYYY-MM-DD.")

    def handle(self, *args, path: Path, names: list[Path], label: str | None, published: date | None, **options):
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        guessed = edition_from_name(path.name)
        label = label or (guessed[0] if guessed else path.stem)
        published = published or (guessed[1] if guessed else None)
        if published is None:
            raise CommandError("Give --published YYYY-MM-DD: the file name does not say which edition it is.")
        release = services.release_import_path(path=path, label=label, published_on=published, names=names)
        if release.status != Release.Status.DONE:
            raise CommandError(release.error)
        self.stdout.write(
            self.style.SUCCESS(
                f"{release.label}: {release.postcodes:,} postcodes ({release.terminated:,} terminated), "
                f"{release.areas:,} area names, {release.skipped:,} rows skipped."
            )
        )
        if release.error:
            self.stdout.write(release.error)
