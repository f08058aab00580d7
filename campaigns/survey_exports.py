"""Survey exports as offices download them: reading the file and recognising who wrote it.

Offices run their surveys in Google Forms, Microsoft Forms or SurveyMonkey and upload the
export untouched. This module turns such a file into one table of text cells:

- CSV in UTF-8 (with or without a byte-order mark), UTF-16 (what Excel writes as "Unicode
  text", tab-delimited) or Windows-1252; CRLF or LF; comma, semicolon or tab delimited;
- ``.xlsx`` workbooks (the first sheet), read with openpyxl;
- the layouts of the three exporters, recognised from their fixed columns. SurveyMonkey
  writes two header rows (the question, then the option or "Response") and one column per
  option of a multiple-choice question; such a question becomes one column whose ticked
  options are joined with "; ", with the options known from the file itself.

Rows whose cells are all empty (an empty last line) are skipped; every row keeps the line of
the file it came from, so problems can be reported by line.

Kept free of the database: everything here can be tested on bytes alone.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class Layout:
    GOOGLE_FORMS = "google_forms"
    MICROSOFT_FORMS = "microsoft_forms"
    SURVEYMONKEY = "surveymonkey"
    GENERIC = "generic"

    NAMES = {
        GOOGLE_FORMS: "a Google Forms export",
        MICROSOFT_FORMS: "a Microsoft Forms export",
        SURVEYMONKEY: "a SurveyMonkey export",
        GENERIC: "a table of responses (no known survey tool's layout)",
    }
    # How each tool joins the options of a multiple-choice answer in one cell.
    SEPARATORS = {GOOGLE_FORMS: ",", MICROSOFT_FORMS: ";", SURVEYMONKEY: ";", GENERIC: ";"}


class SurveyFileError(ValueError):
    """The file as a whole cannot be read; the message says what to do."""


@dataclass
class ParsedFile:
    headers: list[str]
    rows: list[dict[str, str]]
    # The line of the file each row starts on (the first header row is line 1).
    lines: list[int] = field(default_factory=list)
    layout: str = Layout.GENERIC
    file_kind: str = "CSV"  # e.g. "CSV, UTF-16, tab-delimited" or "Excel workbook"
    # Options known from the file itself (SurveyMonkey's one column per option), by column.
    known_options: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.lines:
            self.lines = list(range(2, len(self.rows) + 2))

    @property
    def description(self) -> str:
        return (
            f"Recognised {Layout.NAMES[self.layout]} ({self.file_kind}): "
            f"{len(self.rows):,} response{'s' if len(self.rows) != 1 else ''}, {len(self.headers)} columns."
        )

    def fingerprints(self) -> list[str]:
        """A stable id per row for files without a respondent id: a hash of the row's cells,
        with the count of identical rows before it, so that importing the same file (or a later
        export with more responses) again gives the same ids and adds only what is new."""
        seen: dict[str, int] = {}
        result = []
        for row in self.rows:
            digest = hashlib.sha256("\x1f".join(row[h] for h in self.headers).encode()).hexdigest()[:40]
            seen[digest] = seen.get(digest, 0) + 1
            result.append(f"row-{digest}-{seen[digest]}")
        return result


# --- Reading bytes ---------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "UTF-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    head = data[:400]
    if len(head) >= 4:
        odd, even = head[1::2], head[0::2]
        if odd.count(0) > len(odd) * 0.3:
            return data.decode("utf-16-le"), "UTF-16"
        if even.count(0) > len(even) * 0.3:
            return data.decode("utf-16-be"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise SurveyFileError(
            "The file's text encoding is not one we know. Save it from your spreadsheet as "
            "'CSV UTF-8 (comma delimited)' and try again."
        ) from None


DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _delimiter(text: str) -> str:
    """The delimiter under which the first lines have the most columns, consistently."""
    sample = text[:20000]
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))[:20]
        rows = [r for r in rows if any(c.strip() for c in r)]
        if not rows:
            continue
        width = len(rows[0])
        consistent = sum(1 for r in rows[1:-1] if len(r) == width)  # the last may be cut off
        score = (consistent if width > 1 else -1, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_table(data: bytes) -> tuple[list[tuple[int, list[str]]], str]:
    text, encoding = _decode(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = []
    line = 1
    try:
        for record in reader:
            table.append((line, record))
            line = reader.line_num + 1
    except csv.Error as error:
        raise SurveyFileError(f"Line {line} cannot be read as CSV ({error}).") from None
    return table, f"CSV, {encoding}, {DELIMITERS[delimiter]}-delimited"


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_table(data: bytes) -> tuple[list[tuple[int, list[str]]], str]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise SurveyFileError("The Excel file cannot be opened. Open it in Excel and save it again as .xlsx.") from None
    try:
        sheet = workbook.worksheets[0]
        table = [
            (number, [_cell_text(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()
    return table, "Excel workbook"


# --- Layouts ---------------------------------------------------------------------------------

MICROSOFT_COLUMNS = ["ID", "Start time", "Completion time", "Email", "Name"]
SURVEYMONKEY_COLUMNS = ["Respondent ID", "Collector ID", "Start Date", "End Date"]
SURVEYMONKEY_SINGLE = {"", "response", "open-ended response"}
SURVEYMONKEY_OTHER = re.compile(r"^other \(please specify\)$", re.IGNORECASE)


def _recognise(headers: list[str]) -> str:
    if headers[:1] == ["Timestamp"]:
        return Layout.GOOGLE_FORMS
    if headers[: len(MICROSOFT_COLUMNS)] == MICROSOFT_COLUMNS:
        return Layout.MICROSOFT_FORMS
    if headers[: len(SURVEYMONKEY_COLUMNS)] == SURVEYMONKEY_COLUMNS:
        return Layout.SURVEYMONKEY
    return Layout.GENERIC


def _unique(headers: list[str]) -> list[str]:
    """Google Forms allows two questions with the same title: number the later ones."""
    seen: dict[str, int] = {}
    result = []
    for header in headers:
        name = header or "Column"
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return result


def _surveymonkey(
    first: list[str], second: list[str], body: list[tuple[int, list[str]]]
) -> tuple[list[str], list[tuple[int, list[str]]], dict[str, list[str]]]:
    """Fold SurveyMonkey's two header rows into one; one column per multiple-choice question."""
    width = max(len(first), len(second))
    first, second = first + [""] * (width - len(first)), second + [""] * (width - len(second))
    groups: list[tuple[str, list[int]]] = []
    for index in range(width):
        if first[index].strip() or not groups:
            groups.append((first[index].strip(), [index]))
        else:
            groups[-1][1].append(index)

    def cell(values: list[str], index: int) -> str:
        return values[index].strip() if index < len(values) else ""

    headers: list[str] = []
    builders: list = []
    known: dict[str, list[str]] = {}
    for question, indexes in groups:
        subs = [second[i].strip() for i in indexes]
        plain = [i for i, s in zip(indexes, subs, strict=True) if s.casefold() in SURVEYMONKEY_SINGLE]
        others = [i for i, s in zip(indexes, subs, strict=True) if SURVEYMONKEY_OTHER.match(s)]
        choices = [i for i in indexes if i not in plain and i not in others]
        ticks = [(cell(values, i), second[i].strip()) for _, values in body for i in choices if cell(values, i)]
        is_checkbox = bool(choices) and all(value == label for value, label in ticks)
        for i in plain:
            headers.append(question)
            builders.append(lambda values, i=i: cell(values, i))
        if is_checkbox:
            headers.append(question)
            labels = [second[i].strip() for i in choices]
            known[question] = labels
            builders.append(lambda values, choices=choices: "; ".join(v for i in choices if (v := cell(values, i))))
        else:
            for i in choices:  # a grid: one column per row of the grid
                headers.append(f"{question} — {second[i].strip()}")
                builders.append(lambda values, i=i: cell(values, i))
        for i in others:
            headers.append(f"{question} — {second[i].strip()}")
            builders.append(lambda values, i=i: cell(values, i))
    unique = _unique(headers)
    known = {unique[headers.index(q)]: labels for q, labels in known.items()}
    rows = [(line, [build(values) for build in builders]) for line, values in body]
    return unique, rows, known


def survey_file_parse(data: bytes) -> ParsedFile:
    """Read an export as downloaded; raise SurveyFileError saying what to do when it cannot be read."""
    if len(data) > MAX_IMPORT_BYTES:
        raise SurveyFileError(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it and import each part."
        )
    if data.startswith(b"PK\x03\x04"):
        table, kind = _xlsx_table(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SurveyFileError("This is an old Excel (.xls) file. Save it as .xlsx or CSV and upload it again.")
    else:
        table, kind = _csv_table(data)
    table = [(line, [c.strip().replace("\r\n", "\n") for c in cells]) for line, cells in table]
    while table and not any(table[0][1]):
        table.pop(0)
    if not table:
        raise SurveyFileError("The file has no header row. The first line must name the columns.")
    headers = table[0][1]
    while headers and not headers[-1]:
        headers = headers[:-1]
    if not headers:
        raise SurveyFileError("The file has no header row. The first line must name the columns.")
    layout = _recognise(headers)
    body = [(line, cells) for line, cells in table[1:]]
    known: dict[str, list[str]] = {}
    if layout == Layout.SURVEYMONKEY:
        second = body[0][1] if body else []
        headers, body, known = _surveymonkey(table[0][1], second, body[1:])
    else:
        headers = _unique(headers)
    rows, lines = [], []
    for line, cells in body:
        if not any(cells):
            continue  # an empty line (often the last) is no response
        if len(cells) > len(headers) and any(cells[len(headers) :]):
            raise SurveyFileError(f"Line {line} has more cells than there are column headings.")
        rows.append({h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers)})
        lines.append(line)
    if not rows:
        raise SurveyFileError("The file has a header row but no responses.")
    return ParsedFile(headers=headers, rows=rows, lines=lines, layout=layout, file_kind=kind, known_options=known)


# --- Cells -----------------------------------------------------------------------------------


def split_choices(value: str, separator: str, options: list[str] | None = None) -> list[str]:
    """The options ticked in one multiple-choice cell.

    Without a known option list the cell is split at the separator. With one, the longest
    option that starts at each point is taken, so an option whose label holds the separator
    ("Crime, drugs and anti-social behaviour") stays whole; text that matches no option (the
    "Other" box) is returned as one piece, up to the next option.
    """
    separator = separator.strip() or ";"
    if not options:
        return [piece.strip() for piece in value.split(separator) if piece.strip()]
    labels = sorted({o.strip().casefold() for o in options if o.strip()}, key=len, reverse=True)
    folded = value.casefold()

    def option_at(position: int) -> int:
        for label in labels:
            if folded.startswith(label, position):
                end = position + len(label)
                rest = folded[end:].lstrip()
                if not rest or rest.startswith(separator):
                    return end
        return -1

    pieces, position, unknown_start = [], 0, None
    while position < len(value):
        while position < len(value) and value[position] in " \t":
            position += 1
        end = option_at(position) if position < len(value) else -1
        if end >= 0:
            if unknown_start is not None:
                pieces.append(value[unknown_start:position].strip().rstrip(separator).strip())
                unknown_start = None
            pieces.append(value[position:end].strip())
            position = end
            rest = value[position:]
            position += len(rest) - len(rest.lstrip())
            if value[position : position + 1] == separator:
                position += 1
            continue
        if unknown_start is None:
            unknown_start = position
        next_separator = value.find(separator, position)
        position = len(value) if next_separator < 0 else next_separator + 1
    if unknown_start is not None:
        pieces.append(value[unknown_start:].strip().rstrip(separator).strip())
    return [p for p in pieces if p]


# "06/06/2021 20:47:39", "6/6/21 8:47 PM", "06/06/2021": a date with slashes, an optional time.
_SLASHED = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AP]M))?)?$", re.IGNORECASE
)
# Google Forms' own download: "2021/06/06 8:47:39 PM GMT+1".
_GOOGLE = re.compile(
    r"^(\d{4})/(\d{1,2})/(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) ([AP]M)(?: GMT([+-]\d{1,2})(?::?(\d{2}))?)?$",
    re.IGNORECASE,
)


def _hour(hour: int, meridiem: str | None) -> int:
    if not meridiem:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError("hour")
    return hour % 12 + (12 if meridiem.upper() == "PM" else 0)


def parse_timestamp(value: str, *, day_first: bool = True) -> datetime:
    """A submission time in the formats the exporters and spreadsheets write; ValueError if none.

    Day-first (UK) unless ``day_first`` is False (SurveyMonkey's US-style dates); ISO 8601
    always. The result is naive unless the text names its offset. Parsed with regular
    expressions: strptime dominated the check of a large export.
    """
    from datetime import timedelta, timezone

    text = " ".join(value.split())
    match = _SLASHED.match(text)
    if match:
        first, second, year, hour, minute, second_of_minute, meridiem = match.groups()
        day, month = (int(first), int(second)) if day_first else (int(second), int(first))
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        return datetime(
            full_year, month, day, _hour(int(hour or 0), meridiem), int(minute or 0), int(second_of_minute or 0)
        )
    match = _GOOGLE.match(text)
    if match:
        g_year, g_month, g_day, hour, minute, second_of_minute, meridiem, offset_hours, offset_minutes = match.groups()
        hours = int(offset_hours or 0)
        minutes = int(offset_minutes or 0) * (-1 if hours < 0 else 1)
        return datetime(
            int(g_year),
            int(g_month),
            int(g_day),
            _hour(int(hour), meridiem),
            int(minute),
            int(second_of_minute),
            tzinfo=timezone(timedelta(hours=hours, minutes=minutes)),
        )
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return datetime.fromisoformat(text)
    raise ValueError(value)


def guess_day_first(values: list[str], layout: str) -> bool:
    """Whether a date column is day-first: from a value that can only be read one way, else the layout."""
    for value in values:
        match = re.match(r"^(\d{1,2})/(\d{1,2})/\d{2,4}", value.strip())
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            if first > 12:
                return True
            if second > 12:
                return False
    return layout != Layout.SURVEYMONKEY
