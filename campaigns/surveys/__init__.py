"""Surveys: importing responses from survey exports with a column plan, and computing results.

Import is two steps over the same parsed file (see ``campaigns.survey_exports`` for reading
Google Forms, Microsoft Forms and SurveyMonkey exports as downloaded):
``survey_import_check`` checks every row against the plan staff confirmed and lists every
problem by line, column, value and reason, writing nothing; ``survey_import_commit`` writes,
in one transaction, either every new row (when there is no problem that rules a row out) or,
when staff choose it, only the valid rows. Problems that do not rule a row out (a respondent
outside the constituency) are listed too, and the row is kept.

Each response carries the respondent's id from the file, or a fingerprint of the row when the
export has none, so importing the same file again adds nothing.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping as ReadMapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from campaigns.models import Answer, Campaign, Option, Question, Response, Survey, SurveyFinding
from campaigns.statistics import (
    Difference,
    Proportion,
    WeightedProportion,
    difference_sentence,
    finding_sentence,
    is_suppressed,
    post_stratification_weights,
    proportion,
    proportion_difference,
    weighted_proportion_from_groups,
)
from campaigns.survey_exports import (
    Layout,
    ParsedFile,
    SurveyFileError,
    guess_day_first,
    parse_timestamp,
    split_choices,
    survey_file_parse,
)
from casework.models import Constituent, PostcodeWard
from casework.postcodes import postcode_is_valid, postcode_normalise
from mpoffice.models import Membership, Ward

__all__ = ["ParsedFile", "SurveyFileError", "survey_file_parse"]


def surveys_for(*, membership: Membership) -> QuerySet[Survey]:
    return Survey.objects.for_office(membership.office)


BATCH = 2000
OTHER = "Other"
OUTSIDE = "Outside the constituency"
SCALES = [(1, 5), (0, 5), (1, 7), (1, 10), (0, 10)]


class ColumnRole:
    """What a column holds, chosen by staff in the mapping step."""

    IGNORE = "ignore"
    RESPONDENT_ID = "respondent_id"
    EMAIL = "email"
    POSTCODE = "postcode"
    WARD = "ward"
    SUBMITTED_AT = "submitted_at"
    SINGLE = Question.Kind.SINGLE.value
    MULTIPLE = Question.Kind.MULTIPLE.value
    RATING = Question.Kind.RATING.value
    FREE_TEXT = Question.Kind.FREE_TEXT.value

    CHOICES = [
        (IGNORE, "Ignore this column"),
        (RESPONDENT_ID, "Respondent id (optional; without one, each row's content identifies it)"),
        (EMAIL, "Respondent's e-mail (links to a constituent)"),
        (POSTCODE, "Respondent's postcode (gives the ward)"),
        (WARD, "Ward name"),
        (SUBMITTED_AT, "Date and time submitted"),
        (SINGLE, "Question: single choice"),
        (MULTIPLE, "Question: multiple choice (several options in one cell)"),
        (RATING, "Question: rating (a whole number on a scale)"),
        (FREE_TEXT, "Question: free text"),
    ]
    QUESTION_ROLES = {SINGLE, MULTIPLE, RATING, FREE_TEXT}
    CHOICE_ROLES = {SINGLE, MULTIPLE}
    ONE_ONLY = {RESPONDENT_ID, EMAIL, POSTCODE, WARD, SUBMITTED_AT}


@dataclass
class ColumnPlan:
    """What one column holds and, for a question, what counts as a valid answer."""

    role: str = ColumnRole.IGNORE
    options: list[str] = field(default_factory=list)  # the closed list, confirmed by staff
    other: bool = False  # answers outside the list go to "Other" with their text
    separator: str = ";"  # between the options ticked in one multiple-choice cell
    scale: tuple[int, int] = (1, 5)
    day_first: bool = True

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["scale"] = list(self.scale)
        return data

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ColumnPlan:
        return cls(
            role=value.get("role", ColumnRole.IGNORE),
            options=list(value.get("options", [])),
            other=bool(value.get("other", False)),
            separator=value.get("separator", ";") or ";",
            scale=tuple(value.get("scale", (1, 5))),  # type: ignore[arg-type]
            day_first=bool(value.get("day_first", True)),
        )


ColumnMapping = dict[str, Any]  # header -> ColumnPlan as JSON, or (from code) just the role


@dataclass(frozen=True)
class RowError:
    row: int  # the line of the file the row starts on (line 1 is the first header row)
    column: str
    message: str
    value: str = ""
    fatal: bool = True  # the row cannot be imported; otherwise it is kept and the problem noted

    @property
    def effect(self) -> str:
        return "Row not imported" if self.fatal else "Row imported"


@dataclass
class ImportCheck:
    rows: int = 0
    new_responses: int = 0  # new rows without a problem that rules them out
    already_imported: int = 0
    errors: list[RowError] = field(default_factory=list)  # every problem, fatal or not
    bad_lines: set[int] = field(default_factory=set)
    outside_lines: set[int] = field(default_factory=set)  # respondents outside the constituency
    imported: int = 0  # set by the commit

    @property
    def ok(self) -> bool:
        return not self.bad_lines

    @property
    def bad_rows(self) -> int:
        return len(self.bad_lines)

    @property
    def notes(self) -> int:
        return sum(1 for e in self.errors if not e.fatal)


# --- Guessing the plan -------------------------------------------------------------------------

_LAYOUT_NAMES: dict[str, dict[str, str]] = {
    Layout.GOOGLE_FORMS: {"timestamp": ColumnRole.SUBMITTED_AT, "email address": ColumnRole.EMAIL},
    Layout.MICROSOFT_FORMS: {
        "id": ColumnRole.RESPONDENT_ID,
        "completion time": ColumnRole.SUBMITTED_AT,
        "email": ColumnRole.EMAIL,
        "start time": ColumnRole.IGNORE,
        "name": ColumnRole.IGNORE,
        "last modified time": ColumnRole.IGNORE,
    },
    Layout.SURVEYMONKEY: {
        "respondent id": ColumnRole.RESPONDENT_ID,
        "end date": ColumnRole.SUBMITTED_AT,
        "email address": ColumnRole.EMAIL,
        "collector id": ColumnRole.IGNORE,
        "start date": ColumnRole.IGNORE,
        "ip address": ColumnRole.IGNORE,
        "first name": ColumnRole.IGNORE,
        "last name": ColumnRole.IGNORE,
        "custom data 1": ColumnRole.IGNORE,
    },
}
_NAME_WORDS = (
    (("respondent", "respondent id", "response id", "id"), ColumnRole.RESPONDENT_ID),
    (("email", "e-mail", "email address"), ColumnRole.EMAIL),
    (("postcode", "post code"), ColumnRole.POSTCODE),
    (("ward",), ColumnRole.WARD),
    (("date", "submitted", "timestamp"), ColumnRole.SUBMITTED_AT),
)


def _values(parsed: ParsedFile, header: str, limit: int = 5000) -> list[str]:
    return [row[header] for row in parsed.rows[:limit] if row[header]]


def _role_from_name(layout: str, header: str) -> str | None:
    name = header.casefold().strip()
    if name in _LAYOUT_NAMES.get(layout, {}):
        return _LAYOUT_NAMES[layout][name]
    for words, role in _NAME_WORDS:
        if any(name == w or name.startswith(w + " ") or name.endswith(" " + w) for w in words):
            return role
    if "postcode" in name or "post code" in name:
        return ColumnRole.POSTCODE
    return None


def _integer(value: str) -> int | None:
    return int(value) if re.fullmatch(r"-?\d+", value) else None


_SCALE_IN_TEXT = (
    re.compile(r"\b(\d{1,2})\s*=.*?\b(\d{1,2})\s*="),  # "(1 = very unsafe, 5 = very safe)"
    re.compile(r"\b(\d{1,2})\s*(?:-|–|to)\s*(\d{1,2})\b"),  # "on a scale of 1 to 5", "0–10"
)


def guess_scale(values: list[str], header: str = "") -> tuple[int, int]:
    """The scale of a rating question: as its wording states it ("1 = very unsafe, 5 = very
    safe"), else the usual scale that holds the answers but for a stray one, so a single 7 on
    a 1–5 scale is reported rather than stretching the scale."""
    for pattern in _SCALE_IN_TEXT:
        match = pattern.search(header)
        if match:
            low, high = sorted((int(match.group(1)), int(match.group(2))))
            if low in (0, 1) and high > low:
                return (low, high)
    numbers = [n for n in (_integer(v) for v in values) if n is not None]
    if not numbers:
        return (1, 5)
    allowed_outside = max(1, len(numbers) // 20)
    for low, high in SCALES:
        if sum(1 for n in numbers if not low <= n <= high) <= allowed_outside < len(numbers):
            return (low, high)
    return (min(min(numbers), 0), max(numbers))


def option_counts(values: list[str], role: str, separator: str, options: list[str] | None = None) -> Counter[str]:
    """How many respondents gave each answer (each ticked option, for multiple choice)."""
    counts: Counter[str] = Counter()
    for value in values:
        pieces = split_choices(value, separator, options) if role == ColumnRole.MULTIPLE else [value]
        counts.update(dict.fromkeys(pieces, 1))
    return counts


def discover_options(values: list[str], separator: str) -> list[str]:
    """The options of a multiple-choice column, for staff to confirm. Split at the separator,
    then, for a comma, pieces that only ever appear together, in the same order, are one option
    whose label holds the comma ("Leisure centres, pools and parks" in a Google Forms export)."""
    sequences = [split_choices(value, separator) for value in values]
    joiner = separator.strip() + " "
    while separator.strip() == ",":  # labels with a comma are common; with a semicolon, rare
        counts: Counter[str] = Counter(piece for sequence in sequences for piece in sequence)
        pairs: Counter[tuple[str, str]] = Counter(
            pair for sequence in sequences for pair in zip(sequence, sequence[1:], strict=False)
        )
        merge = next(
            (pair for pair, n in pairs.most_common() if n >= 2 and counts[pair[0]] == n == counts[pair[1]]),
            None,
        )
        if merge is None:
            break
        merged = joiner.join(merge)
        for index, sequence in enumerate(sequences):
            out, i = [], 0
            while i < len(sequence):
                if tuple(sequence[i : i + 2]) == merge:
                    out.append(merged)
                    i += 2
                else:
                    out.append(sequence[i])
                    i += 1
            sequences[index] = out
    return _recurring(Counter(piece for sequence in sequences for piece in dict.fromkeys(sequence)))


def _recurring(counts: Counter[str]) -> list[str]:
    """Answers given by at least two respondents: the options, in order of how often (free
    "Other" text is usually given once)."""
    return [label for label, n in counts.most_common() if n >= 2]


def _multiple_separator(values: list[str], layout: str) -> str | None:
    """The separator of a multiple-choice column: what it separates recurs across answers, and
    some answers hold several options once options whose label holds the separator are
    recognised (in a single-choice column, "Roads, potholes and parking" is always one)."""
    candidates = [Layout.SEPARATORS[layout]] if layout != Layout.GENERIC else [";", ","]
    for separator in candidates:
        with_separator = [v for v in values if separator in v]
        if len(with_separator) < max(2, len(values) // 20):
            continue
        options = discover_options(values, separator)
        if not options or len(options) > 40:
            continue
        counts = option_counts(values, ColumnRole.MULTIPLE, separator, options)
        total = sum(counts.values())
        recurring = sum(n for n in counts.values() if n >= 2)
        several = sum(1 for v in values if len(split_choices(v, separator, options)) >= 2)
        if total and recurring >= 0.8 * total and several >= max(2, len(values) // 20):
            return separator
    return None


def column_guess(
    parsed: ParsedFile,
    header: str,
    *,
    ward_names: set[str] | frozenset[str] = frozenset(),
    taken: set[str] | None = None,
    role: str | None = None,
    question: Question | None = None,
) -> ColumnPlan:
    """A first guess at a column's plan from its heading and values, for staff to confirm."""
    taken = set() if taken is None else taken
    values = _values(parsed, header)
    layout = parsed.layout
    plan = ColumnPlan(separator=Layout.SEPARATORS[layout])
    if role is None:
        role = _role_from_name(layout, header)
        if role in ColumnRole.ONE_ONLY and role in taken:
            role = None
        if role is None and values:
            share = len(values) * 0.8
            if sum(1 for v in values if postcode_is_valid(v)) >= share and ColumnRole.POSTCODE not in taken:
                role = ColumnRole.POSTCODE
            elif (
                ward_names
                and sum(1 for v in values if v.casefold() in ward_names) >= share
                and (ColumnRole.WARD not in taken)
            ):
                role = ColumnRole.WARD
            elif header in parsed.known_options:
                role = ColumnRole.MULTIPLE
            elif all(_integer(v) is not None for v in values) and all(0 <= int(v) <= 10 for v in values):
                role = ColumnRole.RATING
            elif sum(1 for v in values if _is_timestamp(v)) >= 0.9 * len(values):
                role = ColumnRole.SUBMITTED_AT if ColumnRole.SUBMITTED_AT not in taken else ColumnRole.IGNORE
            elif separator := _multiple_separator(values, layout):
                role = ColumnRole.MULTIPLE
                plan.separator = separator
            else:
                counts = option_counts(values, ColumnRole.SINGLE, plan.separator)
                recurring = _recurring(counts)
                if len(recurring) <= 40 and sum(counts[o] for o in recurring) >= 0.6 * len(values):
                    role = ColumnRole.SINGLE
                else:
                    role = ColumnRole.FREE_TEXT
        role = role or ColumnRole.FREE_TEXT
    plan.role = role
    if role in ColumnRole.ONE_ONLY:
        taken.add(role)
    if role == ColumnRole.SUBMITTED_AT:
        plan.day_first = guess_day_first(values, layout)
    if question is not None and question.kind in ColumnRole.CHOICE_ROLES:
        plan.options = [o.label for o in question.options.all() if o.label != OTHER]
        plan.other = question.options.filter(label=OTHER).exists()
    elif header in parsed.known_options:
        plan.options = list(parsed.known_options[header])
    elif role == ColumnRole.MULTIPLE:
        recurring = discover_options(values, plan.separator)
        plan.options = recurring if len(recurring) <= 60 else []
    elif role in (ColumnRole.SINGLE, ColumnRole.FREE_TEXT):  # free text: in case staff make it a choice
        recurring = _recurring(option_counts(values, ColumnRole.SINGLE, plan.separator))
        plan.options = recurring if len(recurring) <= 60 else []
    if question is not None and question.kind == Question.Kind.RATING:
        plan.scale = (question.rating_min, question.rating_max)
    elif role == ColumnRole.RATING:
        plan.scale = guess_scale(values, header)
    return plan


def _is_timestamp(value: str) -> bool:
    if not re.search(r"\d[/-]\d", value):
        return False
    try:
        parse_timestamp(value, day_first=True)
    except ValueError:
        try:
            parse_timestamp(value, day_first=False)
        except ValueError:
            return False
    return True


def _ward_names(survey_or_office: Any) -> set[str]:
    return {w.name.casefold() for w in Ward.objects.for_office(survey_or_office)}


def mapping_guess(parsed: ParsedFile, *, survey: Survey | None = None) -> dict[str, dict[str, Any]]:
    """The guessed plan of every column, as JSON for the upload to keep."""
    ward_names = _ward_names(survey.office) if survey else set()
    questions = {q.text: q for q in survey.questions.prefetch_related("options")} if survey else {}
    taken: set[str] = set()
    return {
        header: column_guess(
            parsed, header, ward_names=ward_names, taken=taken, question=questions.get(header)
        ).to_json()
        for header in parsed.headers
    }


def plans_from(mapping: ColumnMapping, parsed: ParsedFile) -> dict[str, ColumnPlan]:
    """The plan of each column. A bare role (from code, not from the mapping page) takes every
    answer in the file as an option: the caller has vouched for the file."""
    plans = {}
    for header in parsed.headers:
        value = mapping.get(header, ColumnRole.IGNORE)
        if isinstance(value, str):
            plan = column_guess(parsed, header, role=value)
            if value == ColumnRole.MULTIPLE and parsed.layout == Layout.GENERIC:
                plan.separator = ";"
            if value in ColumnRole.CHOICE_ROLES:
                plan.options = list(option_counts(_values(parsed, header, limit=10**9), value, plan.separator))
            if value == ColumnRole.RATING:
                numbers = [n for n in (_integer(v) for v in _values(parsed, header, 10**9)) if n is not None]
                plan.scale = (0 if min(numbers, default=1) == 0 else 1, 5 if max(numbers, default=10) <= 5 else 10)
            plans[header] = plan
        else:
            plans[header] = ColumnPlan.from_json(value)
    return plans


def mapping_validate(mapping: ColumnMapping, headers: list[str]) -> list[str]:
    """Problems with the staff's column plan, as sentences; empty when it is usable."""
    problems = []
    plans = {h: (ColumnPlan(role=v) if isinstance(v, str) else ColumnPlan.from_json(v)) for h, v in mapping.items()}
    roles = [plans[h].role if h in plans else ColumnRole.IGNORE for h in headers]
    for role in ColumnRole.ONE_ONLY:
        if roles.count(role) > 1:
            problems.append(f"Only one column can be the {dict(ColumnRole.CHOICES)[role].split(' (')[0].lower()}.")
    if not any(role in ColumnRole.QUESTION_ROLES for role in roles):
        problems.append("Choose at least one column as a question.")
    for header in headers:
        plan = plans.get(header)
        if plan and plan.role in ColumnRole.CHOICE_ROLES and not plan.options and not isinstance(mapping[header], str):
            problems.append(f"List the options of “{header}”, one a line.")
        if plan and plan.role == ColumnRole.RATING and plan.scale[0] >= plan.scale[1]:
            problems.append(f"The lowest rating of “{header}” must be below the highest.")
    return problems


def _column(plans: dict[str, ColumnPlan], role: str) -> str | None:
    return next((header for header, plan in plans.items() if plan.role == role), None)


def _parse_submitted(value: str, day_first: bool = True) -> datetime | None:
    if not value:
        return None
    parsed = parse_timestamp(value, day_first=day_first)
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _existing_options(survey: Survey) -> dict[str, dict[str, Option]]:
    options: dict[str, dict[str, Option]] = defaultdict(dict)
    for option in Option.objects.filter(question__survey=survey).select_related("question"):
        options[option.question.text][option.label.casefold()] = option
    return options


def _respondent_ids(parsed: ParsedFile, plans: dict[str, ColumnPlan]) -> list[str]:
    id_column = _column(plans, ColumnRole.RESPONDENT_ID)
    if id_column:
        return [row[id_column][:100] for row in parsed.rows]
    return parsed.fingerprints()


@dataclass
class _Area:
    wards: set[str]
    postcodes: set[str]  # the office's known postcodes; empty when it has no postcode list


def _area(survey: Survey, parsed: ParsedFile, plans: dict[str, ColumnPlan]) -> _Area:
    postcode_column = _column(plans, ColumnRole.POSTCODE)
    known: set[str] = set()
    if postcode_column and PostcodeWard.objects.for_office(survey.office).exists():
        wanted = {postcode_normalise(v) for v in _values(parsed, postcode_column, 10**9) if postcode_is_valid(v)}
        known = set(
            PostcodeWard.objects.for_office(survey.office)
            .filter(postcode__in=wanted)
            .values_list("postcode", flat=True)
        ) or {"-"}
    return _Area(wards=_ward_names(survey.office), postcodes=known)


def survey_import_check(*, survey: Survey, parsed: ParsedFile, mapping: ColumnMapping) -> ImportCheck:
    """Check every row against the plan without writing anything; list every problem."""
    plans = plans_from(mapping, parsed)
    check = ImportCheck(rows=len(parsed.rows))
    id_column = _column(plans, ColumnRole.RESPONDENT_ID)
    existing_ids = set(survey.responses.values_list("external_id", flat=True))
    area = _area(survey, parsed, plans)
    seen_ids: set[str] = set()
    has_ward_column = _column(plans, ColumnRole.WARD) is not None
    for line, row, respondent in zip(parsed.lines, parsed.rows, _respondent_ids(parsed, plans), strict=True):
        problems: list[RowError] = []
        if id_column and not respondent:
            problems.append(RowError(line, id_column, "The respondent id is empty."))
        elif respondent in seen_ids:
            problems.append(
                RowError(line, id_column or "(whole row)", "This respondent appears twice in the file.", respondent)
            )
        seen_ids.add(respondent)
        for header, plan in plans.items():
            value = row.get(header, "")
            if value:
                problems.extend(_cell_problems(line, header, plan, value, area, has_ward_column))
        check.errors.extend(problems)
        if any(p.message.startswith(OUTSIDE) for p in problems):
            check.outside_lines.add(line)
        if any(p.fatal for p in problems):
            check.bad_lines.add(line)
        elif respondent in existing_ids:
            check.already_imported += 1
        else:
            check.new_responses += 1
    return check


def _cell_problems(
    line: int, header: str, plan: ColumnPlan, value: str, area: _Area, has_ward_column: bool
) -> list[RowError]:
    role = plan.role
    if role == ColumnRole.POSTCODE:
        try:
            postcode = postcode_normalise(value)
        except ValidationError:
            return [
                RowError(line, header, "Not a UK postcode (for example MK9 3HQ); the ward is not known.", value, False)
            ]
        if area.postcodes and postcode not in area.postcodes and not has_ward_column:
            return [RowError(line, header, f"{OUTSIDE}: not among the office's postcodes.", value, False)]
    elif role == ColumnRole.WARD and value.casefold() not in area.wards:
        return [RowError(line, header, f"{OUTSIDE}: not one of this office's wards.", value, False)]
    elif role == ColumnRole.SUBMITTED_AT:
        try:
            parse_timestamp(value, day_first=plan.day_first)
        except ValueError:
            order = "day first, as 31/12/2026 20:47:39" if plan.day_first else "month first, as 12/31/2026 08:47:39 PM"
            return [RowError(line, header, f"Not a date and time ({order}, or 2026-12-31).", value)]
    elif role == ColumnRole.RATING:
        low, high = plan.scale
        number = _integer(value)
        if number is None or not low <= number <= high:
            return [RowError(line, header, f"Not a whole number from {low} to {high}.", value)]
    elif role in ColumnRole.CHOICE_ROLES:
        pieces = split_choices(value, plan.separator, plan.options) if role == ColumnRole.MULTIPLE else [value]
        known = {o.casefold() for o in plan.options}
        unknown = [p for p in pieces if p.casefold() not in known]
        if unknown and not plan.other:
            return [
                RowError(
                    line,
                    header,
                    "Not one of the question's options (add it to the list, or count such answers as “Other”).",
                    piece,
                )
                for piece in unknown
            ]
    return []


@transaction.atomic
def survey_import_commit(
    *, survey: Survey, parsed: ParsedFile, mapping: ColumnMapping, valid_only: bool = False
) -> ImportCheck:
    """Write the responses of a checked file. Every new row when no row has a problem that
    rules it out; otherwise nothing, unless ``valid_only``, when the rows without such a
    problem are written and the others left out (and listed in the check)."""
    check = survey_import_check(survey=survey, parsed=parsed, mapping=mapping)
    if not check.ok and not valid_only:
        return check
    plans = plans_from(mapping, parsed)
    office = survey.office
    existing_ids = set(survey.responses.values_list("external_id", flat=True))
    respondent_ids = _respondent_ids(parsed, plans)
    new = [
        (row, respondent, line in check.outside_lines)
        for line, row, respondent in zip(parsed.lines, parsed.rows, respondent_ids, strict=True)
        if line not in check.bad_lines and respondent not in existing_ids
    ]
    questions = _questions_for(survey, parsed.headers, plans)
    options = _existing_options(survey)
    constituents_by_email, ward_by_postcode, wards_by_name = _lookups(office, [r for r, _, _ in new], plans)
    email_column, postcode_column = _column(plans, ColumnRole.EMAIL), _column(plans, ColumnRole.POSTCODE)
    ward_column, submitted_column = _column(plans, ColumnRole.WARD), _column(plans, ColumnRole.SUBMITTED_AT)

    for start in range(0, len(new), BATCH):
        batch = new[start : start + BATCH]
        responses = []
        for row, respondent, outside in batch:
            postcode = (
                postcode_normalise(row[postcode_column])
                if postcode_column and postcode_is_valid(row[postcode_column])
                else ""
            )
            ward = wards_by_name.get(row[ward_column].casefold()) if ward_column and row[ward_column] else None
            email = row[email_column].lower() if email_column else ""
            responses.append(
                Response(
                    office=office,
                    survey=survey,
                    external_id=respondent,
                    constituent=constituents_by_email.get(email) if email else None,
                    ward=ward or ward_by_postcode.get(postcode),
                    outside_area=outside,
                    submitted_at=_parse_submitted(row[submitted_column], plans[submitted_column].day_first)
                    if submitted_column
                    else None,
                )
            )
        Response.objects.bulk_create(responses)
        answers = []
        for response, (row, _, _) in zip(responses, batch, strict=True):
            for header, question in questions.items():
                answers.extend(_answers(office, response, question, plans[header], row.get(header, ""), options))
        Answer.objects.bulk_create(answers, batch_size=BATCH)
    check.imported = len(new)
    return check


def _questions_for(survey: Survey, headers: list[str], plans: dict[str, ColumnPlan]) -> dict[str, Question]:
    existing = {q.text: q for q in survey.questions.all()}
    position = max((q.position for q in existing.values()), default=0)
    questions = {}
    for header in headers:
        plan = plans[header]
        if plan.role not in ColumnRole.QUESTION_ROLES:
            continue
        question = existing.get(header[:500])
        if question is None:
            position += 1
            question = Question(
                office=survey.office, survey=survey, position=position, text=header[:500], kind=plan.role
            )
            if plan.role == ColumnRole.RATING:
                question.rating_min, question.rating_max = plan.scale
            question.save()
        questions[header] = question
        if question.has_options:
            labels = list(plan.options) + ([OTHER] if plan.other else [])
            have = {o.label.casefold() for o in question.options.all()}
            top = max((o.position for o in question.options.all()), default=0)
            for label in labels:
                if label.casefold() not in have:
                    top += 1
                    Option.objects.create(office=survey.office, question=question, position=top, label=label[:300])
                    have.add(label.casefold())
    return questions


def _answers(office, response: Response, question: Question, plan: ColumnPlan, value: str, options) -> list[Answer]:
    if not value:
        return []
    if question.kind == Question.Kind.FREE_TEXT:
        return [Answer(office=office, response=response, question=question, text=value)]
    if question.kind == Question.Kind.RATING:
        return [Answer(office=office, response=response, question=question, rating=int(value))]
    labels = split_choices(value, plan.separator, plan.options) if question.kind == Question.Kind.MULTIPLE else [value]
    known = options[question.text]
    chosen: dict[int, Answer] = {}
    others = []
    for label in labels:
        option = known.get(label.casefold())
        if option is None:
            others.append(label)
            continue
        chosen.setdefault(option.pk, Answer(office=office, response=response, question=question, option=option))
    if others:  # checked: only when the question counts such answers as "Other"
        option = known[OTHER.casefold()]
        answer = chosen.setdefault(
            option.pk, Answer(office=office, response=response, question=question, option=option)
        )
        answer.text = "; ".join(others)
    return list(chosen.values())


def _lookups(office, rows, plans: dict[str, ColumnPlan]):
    email_column, postcode_column = _column(plans, ColumnRole.EMAIL), _column(plans, ColumnRole.POSTCODE)
    constituents_by_email = {}
    if email_column:
        emails = {row[email_column].lower() for row in rows if "@" in row[email_column]}
        matches = (
            Constituent.objects.for_office(office)
            .filter(merged_into=None)
            .annotate(email_key=Lower("email"))
            .filter(email_key__in=emails)
            .order_by("pk")
        )
        for constituent in matches:
            constituents_by_email.setdefault(constituent.email_key, constituent)
    ward_by_postcode = {}
    if postcode_column:
        postcodes = {
            postcode_normalise(row[postcode_column]) for row in rows if postcode_is_valid(row[postcode_column])
        }
        ward_by_postcode = {
            pw.postcode: pw.ward
            for pw in PostcodeWard.objects.for_office(office).filter(postcode__in=postcodes).select_related("ward")
        }
    wards_by_name = {w.name.casefold(): w for w in Ward.objects.for_office(office)}
    return constituents_by_email, ward_by_postcode, wards_by_name


# --- Results -------------------------------------------------------------------------------


@dataclass
class OptionResult:
    option: Option
    result: Proportion
    weighted: WeightedProportion | None = None
    earlier: Proportion | None = None  # the same option in the survey compared with
    change: Difference | None = None
    change_text: str = ""


@dataclass
class WardCell:
    suppressed: bool
    result: Proportion | None


@dataclass
class WardRow:
    ward: str
    respondents: int
    suppressed: bool
    cells: list[WardCell]


@dataclass
class QuestionResult:
    question: Question
    respondents: int
    options: list[OptionResult] = field(default_factory=list)
    wards: list[WardRow] = field(default_factory=list)
    rating_mean: float | None = None
    rating_counts: list[tuple[int, int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    texts_total: int = 0


def survey_results(
    *,
    survey: Survey,
    free_text_limit: int = 50,
    ward_shares: ReadMapping[str, float] | None = None,
    compare_with: Survey | None = None,
) -> list[QuestionResult]:
    """Results of every question in a fixed number of queries, whatever the number of responses.

    Percentages are of the respondents who answered the question; for multiple choice a
    respondent may count under several options, so they may add up to more than 100%.
    With ``ward_shares`` (each ward's share of the population) choice questions also get a
    weighted share, from the respondents whose ward is known, with its Kish effective n. With
    ``compare_with``, an option asked in the same words in the other survey gets the change
    since then with its 95% interval.
    """
    questions = list(survey.questions.prefetch_related("options"))
    answers = Answer.objects.filter(question__survey=survey)
    respondents = dict(
        answers.values("question").annotate(n=Count("response", distinct=True)).values_list("question", "n")
    )
    option_counts = {
        (row["question"], row["option"]): row["n"]
        for row in answers.filter(option__isnull=False)
        .values("question", "option")
        .annotate(n=Count("response", distinct=True))
    }
    ward_respondents: dict[int, dict[str | None, int]] = defaultdict(lambda: defaultdict(int))
    for row in answers.values("question", "response__ward__name", "response__outside_area").annotate(
        n=Count("response", distinct=True)
    ):
        ward_respondents[row["question"]][_area_name(row)] += row["n"]
    ward_option_counts: dict[tuple, int] = defaultdict(int)
    for row in (
        answers.filter(option__isnull=False)
        .values("question", "response__ward__name", "response__outside_area", "option")
        .annotate(n=Count("response", distinct=True))
    ):
        ward_option_counts[(row["question"], _area_name(row), row["option"])] += row["n"]
    rating_counts = defaultdict(list)
    for row in (
        answers.filter(rating__isnull=False).values("question", "rating").annotate(n=Count("id")).order_by("rating")
    ):
        rating_counts[row["question"]].append((row["rating"], row["n"]))
    text_questions = [q.pk for q in questions if q.kind == Question.Kind.FREE_TEXT]
    texts = defaultdict(list)
    for question_id, text in (
        answers.filter(question__in=text_questions)
        .exclude(text="")
        .values_list("question", "text")[: free_text_limit * max(1, len(text_questions))]
    ):
        if len(texts[question_id]) < free_text_limit:
            texts[question_id].append(text)

    results = []
    for question in questions:
        n = respondents.get(question.pk, 0)
        result = QuestionResult(question=question, respondents=n)
        if question.has_options and n:
            options = list(question.options.all())
            result.options = [
                OptionResult(option=o, result=proportion(option_counts.get((question.pk, o.pk), 0), n)) for o in options
            ]
            result.options.sort(key=lambda r: (-r.result.count, r.option.position))
            if ward_shares:
                weights = post_stratification_weights(
                    {name: n for name, n in ward_respondents[question.pk].items() if name and name != OUTSIDE},
                    ward_shares,
                )
                for option_row in result.options if weights else []:
                    option_row.weighted = weighted_proportion_from_groups(
                        [
                            (
                                ward_option_counts.get((question.pk, name, option_row.option.pk), 0),
                                ward_respondents[question.pk][name],
                                weight,
                            )
                            for name, weight in weights.items()
                        ]
                    )
            for ward_name, ward_n in sorted(
                ward_respondents[question.pk].items(), key=lambda kv: (kv[0] == OUTSIDE, kv[0] or "~")
            ):
                suppressed = is_suppressed(ward_n)
                cells = [
                    WardCell(
                        suppressed=suppressed,
                        result=None
                        if suppressed
                        else proportion(ward_option_counts.get((question.pk, ward_name, r.option.pk), 0), ward_n),
                    )
                    for r in result.options
                ]
                result.wards.append(
                    WardRow(ward=ward_name or "Ward not known", respondents=ward_n, suppressed=suppressed, cells=cells)
                )
        elif question.kind == Question.Kind.RATING:
            result.rating_counts = rating_counts[question.pk]
            total = sum(count for _, count in result.rating_counts)
            if total:
                result.rating_mean = sum(rating * count for rating, count in result.rating_counts) / total
        elif question.kind == Question.Kind.FREE_TEXT:
            result.texts = texts[question.pk]
            result.texts_total = n
        results.append(result)
    if compare_with is not None:
        _compare(results, compare_with)
    return results


def _area_name(row: dict[str, Any]) -> str | None:
    """The ward a result row counts under: its ward, "Outside the constituency", or None (not known)."""
    if row["response__ward__name"]:
        return row["response__ward__name"]
    return OUTSIDE if row["response__outside_area"] else None


def _compare(results: list[QuestionResult], other: Survey) -> None:
    earlier = {
        (item.question.text.casefold(), row.option.label.casefold()): row.result
        for item in survey_results(survey=other, free_text_limit=0)
        for row in item.options
    }
    for item in results:
        for row in item.options:
            before = earlier.get((item.question.text.casefold(), row.option.label.casefold()))
            if before is None:
                continue
            row.earlier = before
            row.change = proportion_difference(row.result.count, row.result.n, before.count, before.n)
            row.change_text = difference_sentence(row.change, earlier_percent=before.percent, earlier=other.title)


@transaction.atomic
def survey_finding_save(*, option: Option, campaign: Campaign, by) -> SurveyFinding:
    """Save one option's result to a campaign as a sentence that can be cited in a letter."""
    question = option.question
    survey = question.survey
    if campaign.office_id != survey.office_id:
        raise ValueError("The campaign must belong to the survey's office.")
    if not question.has_options:
        raise ValueError("Only choice questions give a percentage to cite.")
    answers = Answer.objects.filter(question=question)
    n = answers.values("response").distinct().count()
    if not n:
        raise ValueError("Nobody answered this question yet.")
    count = answers.filter(option=option).values("response").distinct().count()
    result = proportion(count, n)
    return SurveyFinding.objects.create(
        office=survey.office,
        campaign=campaign,
        survey=survey,
        question=question,
        option=option,
        count=count,
        respondents=n,
        percent=round(result.percent, 2),
        ci_low=round(result.ci_low, 2),
        ci_high=round(result.ci_high, 2),
        text=finding_sentence(result=result, option=option.label, question=question.text, survey=survey.title),
        saved_by=by,
    )
