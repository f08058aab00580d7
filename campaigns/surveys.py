"""Surveys: importing responses from CSV with a column mapping, and computing results.

Import is two steps over the same parsed file: ``survey_import_check`` (every row checked,
errors listed by row and column, nothing written) and ``survey_import_commit`` (one
transaction: all rows or none). Responses carry the respondent's id from the file, so
importing the same file again adds nothing.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from campaigns.models import Answer, Campaign, Option, Question, Response, Survey, SurveyFinding
from campaigns.statistics import Proportion, finding_sentence, is_suppressed, proportion
from casework.models import Constituent, PostcodeWard
from casework.postcodes import postcode_normalise
from mpoffice.models import Membership, Ward


def surveys_for(*, membership: Membership) -> QuerySet[Survey]:
    return Survey.objects.for_office(membership.office)


MAX_IMPORT_BYTES = 20 * 1024 * 1024
MULTIPLE_SEPARATOR = ";"
BATCH = 2000
# The scale a new rating question accepts; the question then records the range its answers used.
RATING_MIN, RATING_MAX = 0, 10


class ColumnRole:
    """What a CSV column holds, chosen by staff in the mapping step."""

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
        (RESPONDENT_ID, "Respondent id (required, one column)"),
        (EMAIL, "Respondent's e-mail (links to a constituent)"),
        (POSTCODE, "Respondent's postcode (gives the ward)"),
        (WARD, "Ward name"),
        (SUBMITTED_AT, "Date submitted"),
        (SINGLE, "Question: single choice"),
        (MULTIPLE, f"Question: multiple choice (answers separated by '{MULTIPLE_SEPARATOR}')"),
        (RATING, "Question: rating (a whole number)"),
        (FREE_TEXT, "Question: free text"),
    ]
    QUESTION_ROLES = {SINGLE, MULTIPLE, RATING, FREE_TEXT}
    ONE_ONLY = {RESPONDENT_ID, EMAIL, POSTCODE, WARD, SUBMITTED_AT}


class SurveyFileError(ValueError):
    """The file as a whole cannot be read; the message says what to do."""


@dataclass
class ParsedFile:
    headers: list[str]
    rows: list[dict[str, str]]


@dataclass(frozen=True)
class RowError:
    row: int  # the line of the file, counting the header as line 1
    column: str
    message: str


@dataclass
class ImportCheck:
    rows: int = 0
    new_responses: int = 0
    already_imported: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def survey_file_parse(data: bytes) -> ParsedFile:
    if len(data) > MAX_IMPORT_BYTES:
        raise SurveyFileError(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it and import each part."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SurveyFileError(
            "The file is not UTF-8 text. Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' and try again."
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    if not headers or all(not h for h in headers):
        raise SurveyFileError("The file has no header row. The first line must name the columns.")
    if len(set(headers)) != len(headers):
        raise SurveyFileError("Two columns have the same name. Give every column a different heading.")
    reader.fieldnames = headers
    rows = []
    for row in reader:
        if None in row:
            raise SurveyFileError(f"Line {reader.line_num} has more cells than there are column headings.")
        rows.append({key: (value or "").strip() for key, value in row.items()})
    if not rows:
        raise SurveyFileError("The file has a header row but no responses.")
    return ParsedFile(headers=headers, rows=rows)


def mapping_validate(mapping: dict[str, str], headers: list[str]) -> list[str]:
    """Problems with the staff's column mapping, as sentences; empty when it is usable."""
    problems = []
    roles = [mapping.get(h, ColumnRole.IGNORE) for h in headers]
    if roles.count(ColumnRole.RESPONDENT_ID) != 1:
        problems.append(
            "Choose exactly one column as the respondent id, so that importing the file again adds nothing."
        )
    for role in ColumnRole.ONE_ONLY - {ColumnRole.RESPONDENT_ID}:
        if roles.count(role) > 1:
            problems.append(f"Only one column can be the {dict(ColumnRole.CHOICES)[role].lower()}.")
    if not any(role in ColumnRole.QUESTION_ROLES for role in roles):
        problems.append("Choose at least one column as a question.")
    return problems


def mapping_guess(parsed: ParsedFile) -> dict[str, str]:
    """A first guess at each column's role from its heading and values, for staff to correct."""
    guesses: dict[str, str] = {}
    taken: set[str] = set()
    for header in parsed.headers:
        name = header.casefold()
        values = [row[header] for row in parsed.rows[:200] if row[header]]
        role = None
        for words, candidate in (
            (("respondent", "response id", "id"), ColumnRole.RESPONDENT_ID),
            (("email", "e-mail"), ColumnRole.EMAIL),
            (("postcode", "post code"), ColumnRole.POSTCODE),
            (("ward",), ColumnRole.WARD),
            (("date", "submitted", "timestamp"), ColumnRole.SUBMITTED_AT),
        ):
            if candidate not in taken and any(
                name == w or name.startswith(w + " ") or name.endswith(" " + w) for w in words
            ):
                role = candidate
                break
        if role is None:
            if values and all(v.isdigit() and 0 <= int(v) <= 10 for v in values):
                role = ColumnRole.RATING
            elif any(MULTIPLE_SEPARATOR in v for v in values):
                role = ColumnRole.MULTIPLE
            elif values and len(set(values)) <= max(12, len(values) // 20):
                role = ColumnRole.SINGLE
            else:
                role = ColumnRole.FREE_TEXT
        if role in ColumnRole.ONE_ONLY:
            taken.add(role)
        guesses[header] = role
    return guesses


def _column(mapping: dict[str, str], role: str) -> str | None:
    return next((header for header, chosen in mapping.items() if chosen == role), None)


def _parse_submitted(value: str) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y"):
                try:
                    parsed = datetime.strptime(value, fmt)
                    break
                except ValueError:
                    continue
            else:
                raise ValueError
        else:
            parsed = datetime(day.year, day.month, day.day)
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _existing_options(survey: Survey) -> dict[str, dict[str, Option]]:
    options: dict[str, dict[str, Option]] = defaultdict(dict)
    for option in Option.objects.filter(question__survey=survey).select_related("question"):
        options[option.question.text][option.label.casefold()] = option
    return options


def survey_import_check(*, survey: Survey, parsed: ParsedFile, mapping: dict[str, str]) -> ImportCheck:
    """Check every row against the mapping without writing anything."""
    check = ImportCheck(rows=len(parsed.rows))
    id_column = _column(mapping, ColumnRole.RESPONDENT_ID)
    existing_ids = set(survey.responses.values_list("external_id", flat=True))
    wards = {w.name.casefold() for w in Ward.objects.for_office(survey.office)}
    questions = {q.text: q for q in survey.questions.all()}
    seen_ids: set[str] = set()
    for line, row in enumerate(parsed.rows, start=2):
        respondent = row.get(id_column, "")
        if not respondent:
            check.errors.append(RowError(line, id_column, "The respondent id is empty."))
        elif respondent in seen_ids:
            check.errors.append(RowError(line, id_column, f"Respondent id {respondent!r} appears twice in the file."))
        seen_ids.add(respondent)
        if respondent in existing_ids:
            check.already_imported += 1
        elif respondent:
            check.new_responses += 1
        for header, role in mapping.items():
            value = row.get(header, "")
            if not value:
                continue
            error = _cell_error(role, value, wards, questions.get(header))
            if error:
                check.errors.append(RowError(line, header, error))
    return check


def _cell_error(role: str, value: str, wards: set[str], question: Question | None) -> str | None:
    if role == ColumnRole.POSTCODE:
        try:
            postcode_normalise(value)
        except ValidationError:
            return f"{value!r} is not a UK postcode (for example MK9 3HQ)."
    elif role == ColumnRole.WARD and value.casefold() not in wards:
        return f"{value!r} is not one of this office's wards."
    elif role == ColumnRole.SUBMITTED_AT:
        try:
            _parse_submitted(value)
        except ValueError:
            return f"{value!r} is not a date; use 31/12/2026 or 2026-12-31."
    elif role == ColumnRole.RATING:
        low, high = (question.rating_min, question.rating_max) if question else (RATING_MIN, RATING_MAX)
        if not value.lstrip("-").isdigit() or not low <= int(value) <= high:
            return f"{value!r} is not a whole number from {low} to {high}."
    elif role == ColumnRole.SINGLE and MULTIPLE_SEPARATOR in value:
        return f"A single-choice answer cannot hold '{MULTIPLE_SEPARATOR}'; map the column as multiple choice."
    return None


@transaction.atomic
def survey_import_commit(*, survey: Survey, parsed: ParsedFile, mapping: dict[str, str]) -> ImportCheck:
    """Write the responses of a checked file: every new row, or (on any error) none."""
    check = survey_import_check(survey=survey, parsed=parsed, mapping=mapping)
    if not check.ok:
        return check
    office = survey.office
    questions = _questions_for(survey, parsed.headers, mapping, parsed.rows)
    options = _existing_options(survey)
    id_column = _column(mapping, ColumnRole.RESPONDENT_ID)
    existing_ids = set(survey.responses.values_list("external_id", flat=True))
    new_rows = [row for row in parsed.rows if row[id_column] not in existing_ids]

    constituents_by_email, ward_by_postcode, wards_by_name = _lookups(office, new_rows, mapping)
    email_column, postcode_column = _column(mapping, ColumnRole.EMAIL), _column(mapping, ColumnRole.POSTCODE)
    ward_column, submitted_column = _column(mapping, ColumnRole.WARD), _column(mapping, ColumnRole.SUBMITTED_AT)

    for start in range(0, len(new_rows), BATCH):
        batch = new_rows[start : start + BATCH]
        responses = []
        for row in batch:
            postcode = postcode_normalise(row[postcode_column]) if postcode_column and row[postcode_column] else ""
            ward = wards_by_name.get(row[ward_column].casefold()) if ward_column and row[ward_column] else None
            responses.append(
                Response(
                    office=office,
                    survey=survey,
                    external_id=row[id_column],
                    constituent=constituents_by_email.get(row[email_column].lower()) if email_column else None,
                    ward=ward or ward_by_postcode.get(postcode),
                    submitted_at=_parse_submitted(row[submitted_column]) if submitted_column else None,
                )
            )
        Response.objects.bulk_create(responses)
        answers = []
        for response, row in zip(responses, batch, strict=True):
            for header, question in questions.items():
                answers.extend(_answers(office, response, question, row.get(header, ""), options))
        Answer.objects.bulk_create(answers, batch_size=BATCH)
    return check


def _questions_for(
    survey: Survey, headers: list[str], mapping: dict[str, str], rows: list[dict]
) -> dict[str, Question]:
    existing = {q.text: q for q in survey.questions.all()}
    position = max((q.position for q in existing.values()), default=0)
    questions = {}
    for header in headers:
        role = mapping.get(header, ColumnRole.IGNORE)
        if role not in ColumnRole.QUESTION_ROLES:
            continue
        question = existing.get(header)
        if question is None:
            position += 1
            question = Question(office=survey.office, survey=survey, position=position, text=header[:500], kind=role)
            if role == ColumnRole.RATING:
                ratings = [int(row[header]) for row in rows if row.get(header)]
                # Infer the usual scales (1–5, 1–10, 0–10) rather than the range this file happens to use.
                question.rating_min = 0 if min(ratings, default=1) == 0 else 1
                question.rating_max = 5 if max(ratings, default=RATING_MAX) <= 5 else RATING_MAX
            question.save()
        questions[header] = question
    return questions


def _answers(office, response: Response, question: Question, value: str, options) -> list[Answer]:
    if not value:
        return []
    if question.kind == Question.Kind.FREE_TEXT:
        return [Answer(office=office, response=response, question=question, text=value)]
    if question.kind == Question.Kind.RATING:
        return [Answer(office=office, response=response, question=question, rating=int(value))]
    labels = [value] if question.kind == Question.Kind.SINGLE else [v.strip() for v in value.split(MULTIPLE_SEPARATOR)]
    answers = []
    for label in dict.fromkeys(label for label in labels if label):  # a label ticked twice counts once
        option = options[question.text].get(label.casefold())
        if option is None:
            option = Option.objects.create(
                office=office, question=question, position=len(options[question.text]) + 1, label=label[:300]
            )
            options[question.text][label.casefold()] = option
        answers.append(Answer(office=office, response=response, question=question, option=option))
    return answers


def _lookups(office, rows, mapping):
    email_column, postcode_column = _column(mapping, ColumnRole.EMAIL), _column(mapping, ColumnRole.POSTCODE)
    constituents_by_email = {}
    if email_column:
        emails = {row[email_column].lower() for row in rows if row[email_column]}
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
        postcodes = {postcode_normalise(row[postcode_column]) for row in rows if row[postcode_column]}
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


def survey_results(*, survey: Survey, free_text_limit: int = 50) -> list[QuestionResult]:
    """Results of every question in a fixed number of queries, whatever the number of responses.

    Percentages are of the respondents who answered the question; for multiple choice a
    respondent may count under several options, so they may add up to more than 100%.
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
    ward_respondents = defaultdict(dict)
    for row in answers.values("question", "response__ward__name").annotate(n=Count("response", distinct=True)):
        ward_respondents[row["question"]][row["response__ward__name"]] = row["n"]
    ward_option_counts = {
        (row["question"], row["response__ward__name"], row["option"]): row["n"]
        for row in answers.filter(option__isnull=False)
        .values("question", "response__ward__name", "option")
        .annotate(n=Count("response", distinct=True))
    }
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
            for ward_name, ward_n in sorted(ward_respondents[question.pk].items(), key=lambda kv: kv[0] or "~"):
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
    return results


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
