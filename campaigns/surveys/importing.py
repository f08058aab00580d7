"""Surveys: importing responses from a parsed export with a column plan.

``survey_import_check`` checks every row against the plan staff confirmed and lists every
problem by line, column, value and reason, writing nothing; ``survey_import_commit`` writes,
in one transaction, either every new row (when there is no problem that rules a row out) or,
when staff choose it, only the valid rows. Problems that do not rule a row out (a respondent
outside the constituency) are listed too, and the row is kept.

Each response carries the respondent's id from the file, or a fingerprint of the row when the
export has none, so importing the same file again adds nothing.

The writes around an import live here too: a new survey, the uploaded file kept with its first
column plan, the plan staff confirm, and the upload marked imported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from campaigns.models import Answer, Option, Question, Response, Survey, SurveyUpload
from campaigns.survey_exports import ParsedFile, parse_timestamp, split_choices
from campaigns.surveys.mapping import (
    OTHER,
    OUTSIDE,
    ColumnMapping,
    ColumnPlan,
    ColumnRole,
    _integer,
    _values,
    _ward_names,
    mapping_guess,
    plans_from,
)
from casework.models import Constituent, PostcodeWard
from casework.postcodes import postcode_is_valid, postcode_normalise
from mpoffice.models import Office, Ward

BATCH = 2000


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


def survey_save(*, survey: Survey, office: Office) -> Survey:
    """Add a survey to the office, or save changes to one of its own."""
    if survey.pk is None:
        survey.office = office
    elif survey.office_id != office.pk:
        raise ValueError("A survey is saved only in its own office.")
    survey.save()
    return survey


def survey_upload_add(*, survey: Survey, parsed: ParsedFile, data: bytes, name: str, by: User) -> SurveyUpload:
    """Keep an uploaded export (``data``, already parsed) with a first guess at its column plan."""
    upload = SurveyUpload(
        office_id=survey.office_id,
        survey=survey,
        original_name=name[:255],
        headers=parsed.headers,
        mapping=mapping_guess(parsed, survey=survey),
        uploaded_by=by,
    )
    upload.file.save("responses.csv", ContentFile(data), save=False)
    upload.save()
    return upload


def survey_upload_mapping_save(*, upload: SurveyUpload, mapping: ColumnMapping) -> None:
    """Keep the column plan staff chose (already validated against the file's headers)."""
    upload.mapping = mapping
    upload.save(update_fields=["mapping"])


@transaction.atomic
def survey_upload_import(
    *, upload: SurveyUpload, parsed: ParsedFile, mapping: ColumnMapping, valid_only: bool = False
) -> ImportCheck:
    """Import the upload's responses (see ``survey_import_commit``) and, when anything was written
    as asked, mark the upload imported with its count; the two happen together or not at all."""
    check = survey_import_commit(survey=upload.survey, parsed=parsed, mapping=mapping, valid_only=valid_only)
    if check.ok or valid_only:
        upload.imported_at = timezone.now()
        upload.imported_count = check.imported
        upload.save(update_fields=["imported_at", "imported_count"])
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


def _answers(
    office: Office,
    response: Response,
    question: Question,
    plan: ColumnPlan,
    value: str,
    options: dict[str, dict[str, Option]],
) -> list[Answer]:
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


def _lookups(
    office: Office, rows: list[dict[str, str]], plans: dict[str, ColumnPlan]
) -> tuple[dict[str, Constituent], dict[str, Ward], dict[str, Ward]]:
    """The office's constituents by lower-cased e-mail, wards by postcode, and wards by folded name."""
    email_column, postcode_column = _column(plans, ColumnRole.EMAIL), _column(plans, ColumnRole.POSTCODE)
    constituents_by_email: dict[str, Constituent] = {}
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
    ward_by_postcode: dict[str, Ward] = {}
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
