"""Surveys: the column plan. What each column of an export holds (``ColumnRole``), what
counts as a valid answer (``ColumnPlan``), the first guess at every column's plan for staff
to confirm, and the checks on the plan they confirm."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from campaigns.models import Question, Survey
from campaigns.survey_exports import (
    Layout,
    ParsedFile,
    guess_day_first,
    parse_timestamp,
    split_choices,
)
from casework.postcodes import postcode_is_valid
from mpoffice.models import Ward

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
