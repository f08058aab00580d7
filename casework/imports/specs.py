"""What an import file must look like: the kinds of file, their columns, and the limits."""

from __future__ import annotations

from dataclasses import dataclass

from casework.models import (
    ImportBatch,
)

MAX_ROWS = 200_000
ERRORS_KEPT = 1_000
PREVIEW_ROWS = 20
PROGRESS_EVERY = 2_000
CHUNK = 2_000


@dataclass(frozen=True)
class ImportSpec:
    kind: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    notes: str

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    def describe(self) -> str:
        optional = f"; optional: {', '.join(self.optional)}" if self.optional else ""
        return f"Required columns: {', '.join(self.required)}{optional}."


SPECS: dict[str, ImportSpec] = {
    ImportBatch.Kind.CONSTITUENTS: ImportSpec(
        kind=ImportBatch.Kind.CONSTITUENTS,
        required=("first_name", "last_name", "postcode", "email", "phone"),
        optional=("title", "organisation_name", "address_line1", "address_line2", "town", "ward"),
        notes="Each row needs a last name or an organisation name. The ward is found from the postcode; "
        "a ward column (as in Postbag's own export) is ignored.",
    ),
    ImportBatch.Kind.CASES: ImportSpec(
        kind=ImportBatch.Kind.CASES,
        required=("constituent_email", "summary"),
        optional=("topic", "status", "outcome", "priority", "opened_on", "review_by", "description"),
        notes="The constituent must already be held, with that e-mail address. Topics are written as in "
        'Postbag ("Housing › Repairs" or "Housing > Repairs"); dates as 31/01/2026 or 2026-01-31.',
    ),
}


class ImportRefused(ValueError):
    """The file cannot be imported at all (columns, encoding, already imported): say what to do."""


def _header_names(row: list[str]) -> list[str]:
    return [cell.strip().lower().replace(" ", "_") for cell in row]


def _check_header(spec: ImportSpec, header: list[str]) -> None:
    names = _header_names(header)
    missing = [name for name in spec.required if name not in names]
    unknown = [name for name in names if name not in spec.columns]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if missing or unknown or duplicated:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"not recognised: {', '.join(n or '(blank)' for n in unknown)}")
        if duplicated:
            problems.append(f"given twice: {', '.join(duplicated)}")
        raise ImportRefused(
            f"The file's columns are not the expected ones ({'; '.join(problems)}). {spec.describe()} "
            "The first row of the file must name the columns."
        )


def _encoding_refusal(spec: ImportSpec) -> ImportRefused:
    return ImportRefused(
        "The file is not UTF-8 text. In Excel, save it with “Save as type: CSV UTF-8 (Comma delimited)”, "
        f"then upload it again. {spec.describe()}"
    )
