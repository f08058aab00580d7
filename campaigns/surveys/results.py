"""Surveys: the results. Each question's shares with their intervals, by ward (small wards
suppressed), weighted to the wards' populations and compared with an earlier survey on request;
and a result saved to a campaign as a sentence to cite."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping as ReadMapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet

from campaigns.models import Answer, Campaign, Option, Question, Survey, SurveyFinding
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
from campaigns.surveys.mapping import OUTSIDE
from mpoffice.models import Membership


def surveys_for(*, membership: Membership) -> QuerySet[Survey]:
    return Survey.objects.for_office(membership.office)


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
    ward_option_counts: dict[tuple[int, str | None, int], int] = defaultdict(int)
    for row in (
        answers.filter(option__isnull=False)
        .values("question", "response__ward__name", "response__outside_area", "option")
        .annotate(n=Count("response", distinct=True))
    ):
        ward_option_counts[(row["question"], _area_name(row), row["option"])] += row["n"]
    rating_counts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for rating_row in (
        answers.filter(rating__isnull=False).values("question", "rating").annotate(n=Count("id")).order_by("rating")
    ):
        if rating_row["rating"] is not None:  # always, by the filter; the check tells the type checker
            rating_counts[rating_row["question"]].append((rating_row["rating"], rating_row["n"]))
    text_questions = [q.pk for q in questions if q.kind == Question.Kind.FREE_TEXT]
    texts: dict[int, list[str]] = defaultdict(list)
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


def _area_name(row: ReadMapping[str, Any]) -> str | None:
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
