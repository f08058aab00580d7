"""Import the ONS Postcode Directory (ONSPD) or the National Statistics Postcode Lookup (NSPL)
as the ONS publishes them.

Both come as a zip from the ONS Open Geography Portal (geoportal.statistics.gov.uk): the data in
``Data/ONSPD_<MON>_<YEAR>_UK.csv`` (or ``NSPL_..._UK.csv``, or split by postcode area under
``Data/multi_csv/``), the names of the codes in ``Documents/`` (``Ward names and codes UK as at
05_24.csv``, ``LA_UA names and codes UK as at 04_23.csv``, ``Westminster Parliamentary
Constituency names and codes UK as at 12_24.csv``, ``PFA names and codes UK as at 12_23.csv``...).
Either the zip, the data CSV alone, or the data CSV with names files may be given.

The columns are found by name, so every layout the ONS has used reads the same:

- postcode ``pcds`` (else ``pcd``, ``pcd7``, ``pcd8``: the spacing is normalised);
- ``dointr`` and ``doterm`` (YYYYMM; a terminated postcode still resolves, marked as such);
- ward ``osward`` (ONSPD), ``ward`` (NSPL) or ``wd25cd``-style; local authority ``oslaua``,
  ``laua`` or ``lad25cd``; county ``oscty``, ``cty`` or ``cty25cd``; constituency ``pcon`` or
  ``pcon24cd``; police force area ``pfa`` or ``pfa23cd``; ``lat`` and ``long``.

PostgreSQL: the rows are streamed with ``COPY`` into a staging table beside the live one, the
live table's indexes are built on it, and the two are swapped in one short transaction, so
lookups see the old release or the new one and never half of either. SQLite: the same rows are
inserted in batches inside one transaction (slower; fine for a demo or a test).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from geography.models import Area, AreaKind, Postcode, Release
from geography.postcodes import postcode_compact_is_valid

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 50_000
COPY_CHUNK = 5_000
SQLITE_BATCH = 2_000
STAGING_TABLE = "geography_postcode_next"
ADVISORY_LOCK = 4_715_015  # any constant: one directory import at a time per database

# Our field -> the column names the ONS has used for it (lower case; ``\d\d`` is the year).
COLUMNS: dict[str, tuple[str, ...]] = {
    "postcode": (r"pcds", r"pcd", r"pcd7", r"pcd8", r"pcd2"),
    "introduced_on": (r"dointr",),
    "terminated_on": (r"doterm",),
    "ward_code": (r"osward", r"ward", r"wd\d\dcd"),
    "local_authority_code": (r"oslaua", r"laua", r"lad\d\dcd"),
    "county_code": (r"oscty", r"cty", r"cty\d\dcd"),
    "constituency_code": (r"pcon", r"pcon\d\dcd"),
    "police_force_area_code": (r"pfa", r"pfa\d\dcd"),
    "latitude": (r"lat",),
    "longitude": (r"long",),
}
REQUIRED = ("postcode", "constituency_code")
FIELDS = tuple(COLUMNS)

# Names-and-codes files: WD24CD/WD24NM, LAD23CD/LAD23NM, LAUA..., PCON24CD/PCON24NM, PFA23CD/PFA23NM, CTY..
NAME_FILE_KINDS = (
    (re.compile(r"^wd\d\d"), AreaKind.WARD),
    (re.compile(r"^(lad|laua|lau)\d\d"), AreaKind.LOCAL_AUTHORITY),
    (re.compile(r"^cty\d\d"), AreaKind.COUNTY),
    (re.compile(r"^pcon\d\d"), AreaKind.CONSTITUENCY),
    (re.compile(r"^pfa\d\d"), AreaKind.POLICE_FORCE_AREA),
)
_CODE = re.compile(r"^[A-Z][0-9]{8}$")


class DirectoryRefused(Exception):
    """The file is not a postcode directory we can read; the message says why, for a person."""


@dataclass
class ImportCounts:
    rows_read: int = 0
    postcodes: int = 0
    terminated: int = 0
    skipped: int = 0
    areas: int = 0
    skipped_examples: list[str] = field(default_factory=list)


# --- Reading ------------------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it (for the progress bar)."""

    def __init__(self, raw: IO[bytes]):
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.count += size
        return size


def _code(value: str) -> str:
    """A GSS code, or blank for the directory's "none" pseudo-codes (E99999999) and blanks."""
    value = value.strip()
    if not _CODE.match(value) or value.endswith("99999999"):
        return ""
    return value


def _month(value: str) -> str | None:
    value = value.strip()
    if len(value) != 6 or not value.isdigit() or not 1 <= int(value[4:]) <= 12:
        return None
    return f"{value[:4]}-{value[4:]}-01"


def _coordinate(value: str, *, limit: float) -> str | None:
    try:
        number = float(value)
    except ValueError:
        return None
    # 99.999999 / 0.000000 is the directory's "no grid reference".
    if abs(number) > limit or number == 0.0 or abs(number - 99.999999) < 1e-9:
        return None
    return repr(number)


def header_columns(header: list[str]) -> dict[str, int]:
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    found: dict[str, int] = {}
    for our_field, patterns in COLUMNS.items():
        for pattern in patterns:
            matches = [i for i, name in enumerate(names) if re.fullmatch(pattern, name)]
            if matches:
                found[our_field] = matches[0]
                break
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        wanted = {"postcode": "pcds (or pcd)", "constituency_code": "pcon (or pcon24cd)"}
        raise DirectoryRefused(
            "This is not an ONS Postcode Directory or National Statistics Postcode Lookup file: "
            f"the first row has no {' or '.join(wanted[m] for m in missing)} column. "
            "Upload the zip as downloaded, or the CSV from its Data folder."
        )
    return found


def directory_rows(text: IO[str], counts: ImportCounts) -> Iterator[tuple[str | None, ...]]:
    """The rows of a directory CSV as tuples in ``FIELDS`` order, values ready for the database.

    The header is read and checked at once (a wrong file is refused before anything is written)."""
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise DirectoryRefused("The file is empty.") from None
    return _rows(reader, header_columns(header), counts)


def _rows(
    reader: Iterator[list[str]], columns: dict[str, int], counts: ImportCounts
) -> Iterator[tuple[str | None, ...]]:
    width = max(columns.values()) + 1
    # A column the layout lacks reads the empty cell appended to every row (index -1).
    at = {name: columns.get(name, -1) for name in FIELDS}
    postcode_at, introduced_at, terminated_at = at["postcode"], at["introduced_on"], at["terminated_on"]
    code_columns = [at[name] for name in FIELDS[3:8]]
    latitude_at, longitude_at = at["latitude"], at["longitude"]
    for row in reader:
        counts.rows_read += 1
        if len(row) < width:
            if not any(cell.strip() for cell in row):
                continue
            row = row + [""] * (width - len(row))
        row.append("")
        compact = "".join(row[postcode_at].split()).upper()
        if not postcode_compact_is_valid(compact):
            counts.skipped += 1
            if len(counts.skipped_examples) < 5:
                counts.skipped_examples.append(f"row {counts.rows_read + 1}: {row[postcode_at]!r}")
            continue
        terminated = _month(row[terminated_at])
        counts.postcodes += 1
        if terminated:
            counts.terminated += 1
        yield (
            f"{compact[:-3]} {compact[-3:]}",
            _month(row[introduced_at]),
            terminated,
            *(_code(row[index]) for index in code_columns),
            _coordinate(row[latitude_at], limit=90),
            _coordinate(row[longitude_at], limit=180),
        )


def _decode_small(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):  # older names files were saved from Excel
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def areas_import(*, data: bytes, source: str = "names file") -> int:
    """Add or rename the areas of one names-and-codes CSV (code column ..CD, name column ..NM)."""
    reader = csv.reader(io.StringIO(_decode_small(data)))
    try:
        header = [name.strip().lstrip("\ufeff").lower() for name in next(reader)]
    except StopIteration:
        raise DirectoryRefused(f"{source} is empty.") from None
    code_index = next((i for i, name in enumerate(header) if name.endswith("cd")), None)
    if code_index is None:
        raise DirectoryRefused(f"{source} has no code column (such as WD24CD or PCON24CD) in its first row.")
    prefix = header[code_index][:-2]
    name_index = next((i for i, name in enumerate(header) if name == f"{prefix}nm"), None)
    kind = next((kind for pattern, kind in NAME_FILE_KINDS if pattern.match(prefix)), None)
    if name_index is None or kind is None:
        raise DirectoryRefused(
            f"{source} is not a names-and-codes file for wards, local authorities, counties, constituencies "
            f"or police force areas (its first row names {', '.join(header[:3])})."
        )
    areas = {}
    for row in reader:
        if len(row) <= max(code_index, name_index):
            continue
        code = _code(row[code_index])
        if code:
            areas[code] = Area(code=code, kind=kind, name=row[name_index].strip()[:200])
    Area.objects.bulk_create(
        areas.values(), batch_size=2_000, update_conflicts=True, unique_fields=["code"], update_fields=["kind", "name"]
    )
    return len(areas)


@dataclass
class DirectorySource:
    """What an upload or a path holds: the data CSV and any names files, opened lazily."""

    data_name: str
    data_size: int
    open_data: Callable[[], IO[bytes]]
    names: list[tuple[str, Callable[[], bytes]]]


def _is_names_file(name: str) -> bool:
    lowered = Path(name).name.lower()
    return lowered.endswith(".csv") and "names and codes" in lowered


def source_open(path: Path, *, names: Iterable[Path] = ()) -> DirectorySource:
    """Read a zip as the ONS publishes it (the UK data CSV, or every CSV of Data/multi_csv, and
    the names files of Documents/), or a data CSV with names files beside it."""
    extra = [(p.name, p.read_bytes) for p in names]
    if zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        members = [info for info in archive.infolist() if not info.is_dir()]
        data = [m for m in members if m.filename.lower().endswith(".csv") and "/data/" in f"/{m.filename.lower()}"]
        whole = [m for m in data if m.filename.lower().endswith("_uk.csv") and "multi_csv" not in m.filename.lower()]
        if whole:
            data = whole[:1]
        if not data:
            raise DirectoryRefused("The zip has no CSV in a Data folder: is it the ONS Postcode Directory zip?")
        name_files = [(m.filename, _reader(archive, m.filename)) for m in members if _is_names_file(m.filename)]
        return DirectorySource(
            data_name=data[0].filename if len(data) == 1 else f"{len(data)} files in Data/multi_csv",
            data_size=sum(m.file_size for m in data),
            open_data=lambda: cast(IO[bytes], _Concatenated([archive.open(m) for m in data])),
            names=name_files + extra,
        )
    return DirectorySource(
        data_name=path.name, data_size=path.stat().st_size, open_data=lambda: path.open("rb"), names=extra
    )


def _reader(archive: zipfile.ZipFile, name: str) -> Callable[[], bytes]:
    return lambda: archive.read(name)


class _Concatenated(io.RawIOBase):
    """Several CSVs with the same header read as one stream (the header of all but the first dropped)."""

    def __init__(self, parts: list[IO[bytes]]):
        self._parts = iter(parts)
        self._current: IO[bytes] | None = next(self._parts, None)
        self._pending = b""
        self._last = b"\n"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while not self._pending:
            if self._current is None:
                return 0
            chunk = self._current.read(1 << 16)
            if chunk:
                self._pending = chunk if self._last == b"\n" else b"\n" + chunk
                self._last = chunk[-1:]
                break
            self._current.close()
            self._current = next(self._parts, None)
            if self._current is not None:
                self._current.readline()  # its header row
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


# --- Loading ------------------------------------------------------------------------------


def release_import(*, release: Release, source: DirectorySource) -> Release:
    """Import ``source`` as ``release`` and make it the current one; on a refusal the release is
    marked failed with the reason and the current directory is left as it was."""
    Release.objects.filter(pk=release.pk).update(
        status=Release.Status.RUNNING, started_at=timezone.now(), bytes_total=source.data_size, error=""
    )
    counts = ImportCounts()
    try:
        for name, read in source.names:
            counts.areas += areas_import(data=read(), source=Path(name).name)
        raw = source.open_data()
        counting = _CountingReader(raw)
        text = io.TextIOWrapper(
            io.BufferedReader(counting, buffer_size=1 << 20), encoding="utf-8-sig", errors="replace"
        )
        rows = directory_rows(text, counts)

        def progress() -> None:
            Release.objects.filter(pk=release.pk).update(bytes_read=counting.count, rows_read=counts.rows_read)

        if connection.vendor == "postgresql":
            _load_postgresql(release, rows, progress, counts)
        else:
            _load_batched(release, rows, progress, counts)
        raw.close()
    except DirectoryRefused as refusal:
        Release.objects.filter(pk=release.pk).update(
            status=Release.Status.FAILED, error=str(refusal), finished_at=timezone.now()
        )
        release.refresh_from_db()
        return release
    release.refresh_from_db()
    logger.info("Postcode directory %s imported: %s postcodes", release.pk, counts.postcodes)
    return release


def _finish_fields(counts: ImportCounts) -> dict:
    return {
        "status": Release.Status.DONE,
        "is_current": True,
        "rows_read": counts.rows_read,
        "postcodes": counts.postcodes,
        "terminated": counts.terminated,
        "skipped": counts.skipped,
        "areas": counts.areas,
        "finished_at": timezone.now(),
        "error": (
            f"{counts.skipped} rows without a valid postcode were left out, e.g. {'; '.join(counts.skipped_examples)}."
            if counts.skipped
            else ""
        ),
    }


def _make_current(release: Release, counts: ImportCounts) -> None:
    Release.objects.filter(is_current=True).exclude(pk=release.pk).update(is_current=False)
    Release.objects.filter(pk=release.pk).update(bytes_read=F("bytes_total"), **_finish_fields(counts))


def _require_rows(counts: ImportCounts) -> None:
    if not counts.postcodes:
        raise DirectoryRefused(
            "The file has the directory's columns but no valid postcode in any row; nothing was changed."
        )


def _columns() -> list[str]:
    """The live table's column names, in the order of ``FIELDS``."""
    return [Postcode._meta.get_field(name).column or name for name in FIELDS]


def _load_postgresql(
    release: Release, rows: Iterator[tuple], progress: Callable[[], None], counts: ImportCounts
) -> None:
    live = Postcode._meta.db_table
    columns = ", ".join(_columns())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK])
        if not cursor.fetchone()[0]:
            raise DirectoryRefused("Another postcode directory import is running; try again when it has finished.")
        try:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGING_TABLE}")
            cursor.execute(f"CREATE TABLE {STAGING_TABLE} (LIKE {live} INCLUDING DEFAULTS)")
            # One COPY per PROGRESS_EVERY rows: between them the same connection records progress
            # (a connection in the middle of a COPY can run no other statement).
            sql = f"COPY {STAGING_TABLE} ({columns}) FROM STDIN"
            exhausted = False
            while not exhausted:
                exhausted = True
                with cursor.cursor.copy(sql) as copy:
                    lines: list[str] = []
                    for number, row in enumerate(rows, start=1):
                        # Every value is a checked postcode, code, ISO date or float: no tab, newline or backslash.
                        lines.append("\t".join(r"\N" if value is None else value for value in row))
                        if len(lines) >= COPY_CHUNK:
                            copy.write("\n".join(lines) + "\n")
                            lines.clear()
                        if number >= PROGRESS_EVERY:
                            exhausted = False
                            break
                    if lines:
                        copy.write("\n".join(lines) + "\n")
                progress()
            progress()
            _require_rows(counts)
            indexes = _indexes_of(cursor, live)
            for number, (name, _primary, definition) in enumerate(indexes):
                try:
                    with transaction.atomic():  # a savepoint when called inside a transaction
                        cursor.execute(
                            _staging_index_sql(definition, name=name, temporary=f"geo_next_{number}", live=live)
                        )
                except IntegrityError:
                    duplicate = _first_duplicate(cursor)
                    raise DirectoryRefused(
                        f"The postcode {duplicate} appears more than once in the file; nothing was changed."
                    ) from None
            cursor.execute(f"ANALYZE {STAGING_TABLE}")
            with transaction.atomic():
                cursor.execute(f"LOCK TABLE {live} IN ACCESS EXCLUSIVE MODE")
                cursor.execute(f"DROP TABLE {live}")
                cursor.execute(f"ALTER TABLE {STAGING_TABLE} RENAME TO {live}")
                for number, (name, primary, _definition) in enumerate(indexes):
                    if primary:
                        cursor.execute(
                            f"ALTER TABLE {live} ADD CONSTRAINT {name} PRIMARY KEY USING INDEX geo_next_{number}"
                        )
                    else:
                        cursor.execute(f"ALTER INDEX geo_next_{number} RENAME TO {name}")
                _make_current(release, counts)
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGING_TABLE}")
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK])


def _indexes_of(cursor, table: str) -> list[tuple[str, bool, str]]:
    cursor.execute(
        "SELECT c.relname, i.indisprimary, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass ORDER BY c.relname",
        [table],
    )
    return [(name, primary, definition) for name, primary, definition in cursor.fetchall()]


def _staging_index_sql(definition: str, *, name: str, temporary: str, live: str) -> str:
    # "CREATE UNIQUE INDEX geography_postcode_pkey ON public.geography_postcode USING btree (postcode)"
    sql = definition.replace(f"INDEX {name} ON ", f"INDEX {temporary} ON ", 1)
    return re.sub(rf" ON (ONLY )?((\w+)\.)?{live} ", rf" ON \g<2>{STAGING_TABLE} ", sql, count=1)


def _first_duplicate(cursor) -> str:
    # Table names here and below are this module's constants and Django's, never input.
    cursor.execute(f"SELECT postcode FROM {STAGING_TABLE} GROUP BY postcode HAVING COUNT(*) > 1 LIMIT 1")  # noqa: S608
    found = cursor.fetchone()
    return found[0] if found else "(unknown)"


def _load_batched(release: Release, rows: Iterator[tuple], progress: Callable[[], None], counts: ImportCounts) -> None:
    table = Postcode._meta.db_table
    columns = _columns()
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        batch: list[tuple] = []
        try:
            for row in rows:
                batch.append(row)
                if len(batch) >= SQLITE_BATCH:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
        except IntegrityError:
            raise DirectoryRefused("A postcode appears more than once in the file; nothing was changed.") from None
        _require_rows(counts)
        _make_current(release, counts)
    progress()
