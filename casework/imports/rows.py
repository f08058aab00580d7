"""Reading and checking an import file's rows: per-row errors and the natural keys already held."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone

from casework.exports import FORMULA_TRIGGERS
from casework.imports.specs import ERRORS_KEPT, MAX_ROWS, ImportRefused, ImportSpec, _header_names
from casework.models import (
    Case,
    CaseConstituent,
    Constituent,
    ImportBatch,
    PostcodeWard,
    Topic,
)
from casework.phones import PHONE_ERROR, phone_normalise
from casework.postcodes import POSTCODE_ERROR, postcode_normalise
from mpoffice.models import Office

# --- Reading and checking rows -------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Outcome:
    total: int = 0
    new: int = 0
    existing: int = 0
    error_count: int = 0
    errors: list[list] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    fatal: str = ""

    def add_errors(self, errors: list[RowError]) -> None:
        self.error_count += len(errors)
        for error in errors:
            if len(self.errors) < ERRORS_KEPT:
                self.errors.append([error.row, error.column, error.message])


def _rows(batch: ImportBatch, spec: ImportSpec) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {column: stripped value}) for every data row, streamed."""
    with batch.file.open("rb") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        header = _header_names(next(reader))
        for row_number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if row_number - 1 > MAX_ROWS:
                raise ImportRefused(f"The file has more than {MAX_ROWS:,} rows; split it into smaller files.")
            yield row_number, {name: _cell(cells[i] if i < len(cells) else "") for i, name in enumerate(header)}


def _cell(value: str) -> str:
    """A cell's text, without the apostrophe Postbag's own exports put before "+44..." and the
    like (casework.exports.csv_safe), so that an export imports back as it was."""
    value = value.strip()
    if value.startswith("'") and value[1:2] in FORMULA_TRIGGERS:
        return value[1:]
    return value


class _Checker:
    """Checks rows of one kind; ``check(row)`` returns (key, instance fields) or errors."""

    def __init__(self, office: Office):
        self.office = office
        self.seen: dict[tuple | None, int] = {}

    def existing_keys(self) -> set[tuple]:
        raise NotImplementedError

    def check(self, number: int, row: dict[str, str]) -> tuple[tuple | None, dict, list[RowError]]:
        raise NotImplementedError


def _length(errors: list[RowError], number: int, row: dict, model, name: str) -> None:
    limit = model._meta.get_field(name).max_length
    if limit and len(row.get(name, "")) > limit:
        errors.append(RowError(number, name, f"Too long: at most {limit} characters."))


class _ConstituentChecker(_Checker):
    TEXT = ("title", "first_name", "last_name", "organisation_name", "address_line1", "address_line2", "town")

    def __init__(self, office: Office):
        super().__init__(office)
        self.wards = dict(PostcodeWard.objects.for_office(office).values_list("postcode", "ward_id"))

    @staticmethod
    def key(*, email: str, first_name: str, last_name: str, organisation_name: str, postcode: str) -> tuple:
        if email:
            return ("email", email.lower())
        return ("name", first_name.casefold(), last_name.casefold(), organisation_name.casefold(), postcode)

    def existing_keys(self) -> set[tuple]:
        rows = Constituent.objects.for_office(self.office).values_list(
            "email", "first_name", "last_name", "organisation_name", "postcode"
        )
        return {
            self.key(email=e, first_name=f, last_name=la, organisation_name=o, postcode=p) for e, f, la, o, p in rows
        }

    def check(self, number, row):
        errors: list[RowError] = []
        for name in self.TEXT:
            _length(errors, number, row, Constituent, name)
        if not (row.get("last_name") or row.get("organisation_name")):
            errors.append(RowError(number, "last_name", "Give a last name (or an organisation name)."))
        postcode = row.get("postcode", "")
        if postcode:
            try:
                postcode = postcode_normalise(postcode)
            except ValidationError:
                errors.append(RowError(number, "postcode", POSTCODE_ERROR))
        phone = row.get("phone", "")
        if phone:
            try:
                phone = phone_normalise(phone)
            except ValidationError:
                errors.append(RowError(number, "phone", PHONE_ERROR))
        email = row.get("email", "").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(RowError(number, "email", "Enter an e-mail address such as name@example.org."))
        if errors:
            return None, {}, errors
        fields = {name: row.get(name, "") for name in self.TEXT}
        fields.update(
            postcode=postcode,
            phone=phone,
            email=email,
            kind=Constituent.Kind.ORGANISATION
            if row.get("organisation_name") and not row.get("last_name")
            else Constituent.Kind.PERSON,
            ward_id=self.wards.get(postcode),
        )
        key = self.key(
            email=email,
            first_name=fields["first_name"],
            last_name=fields["last_name"],
            organisation_name=fields["organisation_name"],
            postcode=postcode,
        )
        return key, fields, []


def _parse_date(value: str) -> date:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


def _choice(choices: type[models.Choices], value: str) -> str | None:
    wanted = value.strip().casefold().replace(" ", "_")
    for choice_value, label in choices.choices:
        if wanted in (choice_value.casefold(), label.casefold().replace(" ", "_")):
            return choice_value
    return None


class _CaseChecker(_Checker):
    def __init__(self, office: Office):
        super().__init__(office)
        self.constituents = dict(
            Constituent.objects.for_office(office).filter(merged_into=None).exclude(email="").values_list("email", "pk")
        )
        self.topics: dict[str, int] = {}
        for topic in Topic.objects.for_office(office).select_related("parent"):
            self.topics[str(topic).casefold()] = topic.pk
            if topic.parent_id:
                self.topics[f"{topic.parent.name} > {topic.name}".casefold()] = topic.pk
        self.today = timezone.localdate()

    def existing_keys(self) -> set[tuple]:
        rows = CaseConstituent.objects.for_office(self.office).values_list(
            "constituent_id", "case__summary", "case__opened_at"
        )
        return {(c, s.casefold(), timezone.localtime(o).date()) for c, s, o in rows}

    def check(self, number, row):
        errors: list[RowError] = []
        constituent_id = None
        email = row.get("constituent_email", "").lower()
        if not email:
            errors.append(RowError(number, "constituent_email", "Give the constituent's e-mail address."))
        elif (constituent_id := self.constituents.get(email)) is None:
            errors.append(
                RowError(
                    number, "constituent_email", f"No constituent has the e-mail address {email}; import them first."
                )
            )
        summary = row.get("summary", "")
        if not summary:
            errors.append(RowError(number, "summary", "Give a short summary of the case."))
        _length(errors, number, row, Case, "summary")
        topic_id = None
        if topic := row.get("topic", ""):
            topic_id = self.topics.get(" ".join(topic.split()).casefold())
            if topic_id is None:
                errors.append(
                    RowError(number, "topic", f"This office has no topic “{topic}”; add it or correct the name.")
                )
        status = Case.Status.NEW
        if row.get("status"):
            status = _choice(Case.Status, row["status"])
            if status is None:
                errors.append(RowError(number, "status", f"Use one of: {', '.join(Case.Status.labels)}."))
        outcome = ""
        if row.get("outcome"):
            outcome = _choice(Case.Outcome, row["outcome"]) or ""
            if not outcome:
                errors.append(RowError(number, "outcome", f"Use one of: {', '.join(Case.Outcome.labels)}."))
        if status == Case.Status.CLOSED and not outcome and not row.get("outcome"):
            errors.append(RowError(number, "outcome", "A closed case needs an outcome."))
        priority = Case.Priority.NORMAL
        if row.get("priority"):
            priority = _choice(Case.Priority, row["priority"])
            if priority is None:
                errors.append(RowError(number, "priority", f"Use one of: {', '.join(Case.Priority.labels)}."))
        opened_on, review_by = self.today, None
        for name in ("opened_on", "review_by"):
            if row.get(name):
                try:
                    value = _parse_date(row[name])
                except ValueError:
                    errors.append(RowError(number, name, "Write the date as 31/01/2026 or 2026-01-31."))
                    continue
                if name == "opened_on":
                    if value > self.today:
                        errors.append(RowError(number, name, "A case cannot be opened in the future."))
                    opened_on = value
                else:
                    review_by = value
        if errors:
            return None, {}, errors
        fields = {
            "constituent_id": constituent_id,
            "summary": summary,
            "description": row.get("description", ""),
            "topic_id": topic_id,
            "status": status,
            "outcome": outcome if status == Case.Status.CLOSED else "",
            "priority": priority,
            "opened_on": opened_on.isoformat(),
            "review_by": review_by.isoformat() if review_by else None,
        }
        return (constituent_id, summary.casefold(), opened_on), fields, []


CHECKERS: dict[str, Callable[[Office], _Checker]] = {
    ImportBatch.Kind.CONSTITUENTS: _ConstituentChecker,
    ImportBatch.Kind.CASES: _CaseChecker,
}
