"""Figures an MP can defend: weighting, comparison with an earlier survey, the results CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from campaigns.surveys import ParsedFile, survey_import_commit
from mpoffice.models import Ward
from tests.campaigns.factories import CRIME, PRIORITY, STORY_MAPPING, SurveyFactory, story_rows


@pytest.fixture
def wards(office):
    return [Ward.objects.create(office=office, name=name) for name in ("Bletchley East", "Tattenhoe")]


def _import(survey, rows):
    survey_import_commit(survey=survey, parsed=ParsedFile(headers=list(rows[0]), rows=rows), mapping=STORY_MAPPING)


def _rows(count: int, crime: int, ward: str, prefix: str) -> list[dict]:
    return [{**row, "Respondent ID": f"{prefix}{i}"} for i, row in enumerate(story_rows(count, crime, ward))]


def test_weighting_by_ward_shows_the_weighted_share_and_its_effective_n(office, wards, staff, client_for):
    survey = SurveyFactory(office=office)
    # Half the population lives in each ward, but three quarters of respondents are from Bletchley East.
    _import(survey, _rows(30, 15, "Bletchley East", "B") + _rows(10, 8, "Tattenhoe", "T"))
    east, tattenhoe = wards
    page = client_for(staff).get(survey.get_absolute_url(), {f"share_{east.pk}": "50", f"share_{tattenhoe.pk}": "50"})
    html = page.content.decode()
    crime_row = html.split(f">{CRIME}</th>")[1].split("</tr>")[0]
    # Unweighted 23 of 40 = 57.5%; weighted 0.5·15/30 + 0.5·8/10 = 65%, Kish n 30 (see test_statistics).
    assert "58%" in crime_row
    assert "65% (47–79%; n 30 of 40)" in crime_row
    assert "effective sample size (Kish)" in html
    assert "Respondents chose to take part" in html


def test_a_share_out_of_range_is_refused_and_the_figures_stay_unweighted(office, wards, staff, client_for):
    survey = SurveyFactory(office=office)
    _import(survey, _rows(12, 6, "Bletchley East", "B"))
    page = client_for(staff).get(survey.get_absolute_url(), {f"share_{wards[0].pk}": "150"})
    assert page.status_code == 200
    assert "less than or equal to 100" in page.content.decode()
    assert "Weighted (95% interval" not in page.content.decode()


def test_comparison_with_an_earlier_survey_states_the_change_and_its_interval(office, wards, staff, client_for):
    earlier = SurveyFactory(office=office, title="Milton Keynes South survey 2019")
    _import(earlier, _rows(400, 124, "Bletchley East", "E"))
    survey = SurveyFactory(office=office, title="Build Back Better 2021")
    _import(survey, _rows(1210, 472, "Bletchley East", "N"))
    html = client_for(staff).get(survey.get_absolute_url(), {"compare": earlier.pk}).content.decode()
    crime_row = html.split(f">{CRIME}</th>")[1].split("</tr>")[0]
    # 472/1210 = 39.0% against 124/400 = 31%: up 8 points (with 100 in 2019 it would be within the noise).
    assert "Up 8 points from 31% in Milton Keynes South survey 2019 (95% CI for the change:" in crime_row


def test_another_offices_survey_cannot_be_compared(office, other_office, wards, staff, client_for):
    foreign = SurveyFactory(office=other_office)
    survey = SurveyFactory(office=office)
    _import(survey, _rows(12, 6, "Bletchley East", "B"))
    html = client_for(staff).get(survey.get_absolute_url(), {"compare": foreign.pk}).content.decode()
    assert "Select a valid choice" in html and "Change since" not in html


def test_results_csv_has_the_figures_and_neutralises_formulas(office, wards, staff, client_for):
    survey = SurveyFactory(office=office)
    rows = _rows(20, 8, "Bletchley East", "B")
    rows[0][PRIORITY] = '=HYPERLINK("http://example.org")'
    _import(survey, rows)
    response = client_for(staff).get(reverse("campaigns:survey-results-csv", args=[survey.pk]))
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert table[0][:8] == [
        "Question",
        "Kind",
        "Answer",
        "Respondents who answered",
        "Respondents giving this answer",
        "Per cent",
        "95% CI low",
        "95% CI high",
    ]
    crime = next(row for row in table if row[2] == CRIME)
    # 8 of the 20 rows chose crime, one of them now a formula: 7 of 20 = 35.0%.
    expected = sum(1 for row in rows if row[PRIORITY] == CRIME)
    assert crime[3:6] == ["20", str(expected), f"{100 * expected / 20:.1f}"]
    assert any(row[2] == '\'=HYPERLINK("http://example.org")' for row in table)


def test_each_choice_question_has_a_chart_beside_its_table(office, wards, staff, client_for):
    survey = SurveyFactory(office=office)
    _import(survey, _rows(20, 8, "Bletchley East", "B"))
    question = survey.questions.get(text=PRIORITY)
    client = client_for(staff)
    url = reverse("campaigns:survey-question-chart", args=[survey.pk, question.pk])
    assert f'src="{url}"' in client.get(survey.get_absolute_url()).content.decode()
    chart = client.get(url)
    assert chart["Content-Type"].startswith("image/svg+xml")
    svg = chart.content.decode()
    assert "<script" not in svg and "40%" in svg  # 8 of 20 chose crime
