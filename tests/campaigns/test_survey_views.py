import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from campaigns.models import Answer, Response, SurveyFinding, SurveyUpload
from campaigns.surveys import ParsedFile, survey_import_commit
from mpoffice.models import Ward
from tests.campaigns.factories import (
    CRIME,
    PRIORITY,
    SAFETY,
    STORY_MAPPING,
    CampaignFactory,
    SurveyFactory,
    story_rows,
    survey_csv,
)


@pytest.fixture
def survey(office):
    Ward.objects.create(office=office, name="Bletchley East")
    Ward.objects.create(office=office, name="Tattenhoe")
    return SurveyFactory(office=office, title="Build Back Better in Milton Keynes South")


def _upload(client, survey, data: bytes, name="responses.csv"):
    return client.post(
        reverse("campaigns:survey-upload", args=[survey.pk]), {"file": SimpleUploadedFile(name, data, "text/csv")}
    )


def _mapping_post(client, mapping_url, mapping, action):
    """The mapping form as shown (options, scales as guessed), with the roles of ``mapping``."""
    form = client.get(mapping_url).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else str(value)
    for i, header in enumerate(form.headers):
        data[f"column_{i}"] = mapping.get(header, "ignore")
    data[action] = "1"
    return data


def test_staff_imports_the_story_survey_and_sees_39_percent_with_its_interval(survey, staff, client_for):
    client = client_for(staff)
    rows = story_rows(count=1210, crime=472)
    response = _upload(client, survey, survey_csv(rows))
    assert response.status_code == 302
    upload = SurveyUpload.objects.get(survey=survey)
    # The guessed mapping is what staff would have chosen for this file.
    assert {header: plan["role"] for header, plan in upload.mapping.items()} == STORY_MAPPING

    mapping_url = response["Location"]
    checked = client.post(mapping_url, _mapping_post(client, mapping_url, STORY_MAPPING, "check"))
    assert checked.status_code == 200
    assert "<strong>1,210</strong> new responses to import" in checked.content.decode()
    assert Response.objects.count() == 0  # checking writes nothing

    imported = client.post(mapping_url, _mapping_post(client, mapping_url, STORY_MAPPING, "import"))
    assert imported.status_code == 302
    assert Response.objects.filter(survey=survey).count() == 1210

    page = client.get(survey.get_absolute_url()).content.decode()
    assert CRIME in page
    assert "39%" in page and "36–42%" in page


def test_a_file_with_bad_rows_lists_each_problem_and_imports_nothing(survey, staff, client_for):
    client = client_for(staff)
    rows = story_rows(count=12)
    rows[3]["Postcode"] = "NOT A POSTCODE"
    rows[5][SAFETY] = "eleven"
    rows[7]["Ward"] = "Atlantis"
    rows[9]["Respondent ID"] = rows[8]["Respondent ID"]
    mapping_url = _upload(client, survey, survey_csv(rows))["Location"]

    page = client.post(mapping_url, _mapping_post(client, mapping_url, STORY_MAPPING, "import")).content.decode()

    assert "4 problems in the file" in page
    flat = page.replace("\n", "")
    assert "<td>5</td><td>Postcode</td><td>NOT A POSTCODE</td><td>Not a UK postcode" in flat  # line 5 = 4th row
    assert "<td>7</td><td>" + escape(SAFETY) + "</td><td>eleven</td><td>Not a whole number from 1 to 5." in flat
    assert "<td>Atlantis</td><td>Outside the constituency: not one of this office&#x27;s wards.</td>" in flat
    assert "This respondent appears twice in the file." in flat
    # The postcode and the ward leave the row in; the rating and the repeated id do not.
    assert "<strong>2</strong> rows cannot be imported" in flat
    assert Response.objects.count() == 0 and Answer.objects.count() == 0


def test_importing_the_same_file_twice_adds_nothing(survey, staff, client_for):
    client = client_for(staff)
    rows = story_rows(count=30)
    for _ in range(2):
        mapping_url = _upload(client, survey, survey_csv(rows))["Location"]
        client.post(mapping_url, _mapping_post(client, mapping_url, STORY_MAPPING, "import"))
    assert Response.objects.filter(survey=survey).count() == 30
    assert SurveyUpload.objects.filter(survey=survey, imported_count=30).count() == 1
    assert SurveyUpload.objects.filter(survey=survey, imported_count=0).exclude(imported_at=None).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty"),
        (b"\n\n", "no header row"),
        (b"Respondent,Priority\n", "no responses"),
        (b"Respondent,Priority\r\n,\r\n", "no responses"),
    ],
)
def test_an_unreadable_file_is_refused_with_what_to_do(survey, staff, client_for, data, message):
    response = _upload(client_for(staff), survey, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SurveyUpload.objects.exists()


def test_without_a_respondent_id_each_row_is_known_by_its_content(survey, staff, client_for):
    client = client_for(staff)
    rows = [{k: v for k, v in row.items() if k != "Respondent ID"} for row in story_rows(count=40, crime=20)]
    mapping = {k: v for k, v in STORY_MAPPING.items() if k != "Respondent ID"}
    for expected in (40, 40):
        mapping_url = _upload(client, survey, survey_csv(rows))["Location"]
        page = client.post(mapping_url, _mapping_post(client, mapping_url, mapping, "check"))
        assert page.context["problems"] == []
        imported = client.post(mapping_url, _mapping_post(client, mapping_url, mapping, "import"))
        assert imported.status_code == 302, imported.context["check"].errors[:3]
        assert Response.objects.filter(survey=survey).count() == expected
    # A later export of the same survey with more responses adds only the new ones.
    more = rows + [{**rows[0], "Email": "late@example.org"}]
    mapping_url = _upload(client, survey, survey_csv(more))["Location"]
    client.post(mapping_url, _mapping_post(client, mapping_url, mapping, "import"))
    assert Response.objects.filter(survey=survey).count() == 41


def test_caseworker_may_read_results_but_not_import(survey, caseworker, client_for):
    client = client_for(caseworker)
    assert client.get(survey.get_absolute_url()).status_code == 200
    assert client.get(reverse("campaigns:survey-upload", args=[survey.pk])).status_code == 403
    assert client.get(reverse("campaigns:survey-create")).status_code == 403


def test_ward_breakdown_hides_groups_under_ten(survey, staff, client_for):
    rows = story_rows(count=25, ward="Bletchley East") + [
        {**row, "Respondent ID": f"T{i}", "Ward": "Tattenhoe"} for i, row in enumerate(story_rows(count=4))
    ]
    survey_import_commit(survey=survey, parsed=ParsedFile(headers=list(rows[0]), rows=rows), mapping=STORY_MAPPING)
    page = client_for(staff).get(survey.get_absolute_url()).content.decode()
    tattenhoe = page.split("Tattenhoe</th>")[1].split("</tr>")[0]
    bletchley = page.split("Bletchley East</th>")[1].split("</tr>")[0]
    assert "fewer than 10" in tattenhoe and "%" not in tattenhoe
    assert ">25<" in bletchley and "%" in bletchley


def test_results_page_runs_the_same_queries_for_20_or_400_responses(
    survey, staff, client_for, django_assert_max_num_queries
):
    client = client_for(staff)
    rows = story_rows(count=20)
    survey_import_commit(survey=survey, parsed=ParsedFile(headers=list(rows[0]), rows=rows), mapping=STORY_MAPPING)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(survey.get_absolute_url())
    more = [{**row, "Respondent ID": f"X{i}"} for i, row in enumerate(story_rows(count=400))]
    survey_import_commit(survey=survey, parsed=ParsedFile(headers=list(more[0]), rows=more), mapping=STORY_MAPPING)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(survey.get_absolute_url())


def test_staff_saves_a_result_to_a_campaign_as_a_citable_finding(survey, staff, client_for):
    campaign = CampaignFactory(office=survey.office, name="Knife crime in Milton Keynes")
    rows = story_rows(count=1210, crime=472)
    survey_import_commit(survey=survey, parsed=ParsedFile(headers=list(rows[0]), rows=rows), mapping=STORY_MAPPING)
    option = survey.questions.get(text=PRIORITY).options.get(label=CRIME)

    response = client_for(staff).post(
        reverse("campaigns:survey-finding", args=[survey.pk, option.pk]), {"campaign": campaign.pk}
    )

    assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()
    finding = SurveyFinding.objects.get(campaign=campaign)
    assert (finding.count, finding.respondents) == (472, 1210)
    assert finding.text.startswith("39% of 1,210 respondents (95% CI 36–42%)")
    assert escape(finding.text) in client_for(staff).get(campaign.get_absolute_url()).content.decode()


def test_a_finding_cannot_go_to_another_offices_campaign(survey, staff, client_for, other_office):
    foreign = CampaignFactory(office=other_office)
    rows = story_rows(count=5)
    survey_import_commit(survey=survey, parsed=ParsedFile(headers=list(rows[0]), rows=rows), mapping=STORY_MAPPING)
    option = survey.questions.get(text=PRIORITY).options.first()
    client_for(staff).post(reverse("campaigns:survey-finding", args=[survey.pk, option.pk]), {"campaign": foreign.pk})
    assert not SurveyFinding.objects.exists()


def test_multiple_choice_percentages_are_of_respondents(survey):
    rows = story_rows(count=30)  # every third respondent ticks two services
    survey_import_commit(survey=survey, parsed=ParsedFile(headers=list(rows[0]), rows=rows), mapping=STORY_MAPPING)
    from campaigns.surveys import survey_results

    services = next(r for r in survey_results(survey=survey) if r.question.kind == "multiple")
    by_label = {r.option.label: r.result for r in services.options}
    assert services.respondents == 30
    assert (by_label["Policing"].count, by_label["Schools"].count, by_label["Buses"].count) == (10, 10, 20)
    assert sum(r.percent for r in by_label.values()) == pytest.approx(40 / 30 * 100)


def test_an_upload_whose_file_was_deleted_after_the_keeping_period_says_so(survey, staff, client_for):
    """Uploaded files are deleted after UPLOAD_KEEP_DAYS; the column and problem pages then say
    what happened and what to do, instead of failing."""
    client = client_for(staff)
    mapping_url = _upload(client, survey, survey_csv(story_rows(count=12)))["Location"]
    upload = SurveyUpload.objects.get(survey=survey)
    upload.file.delete(save=False)
    problems_url = reverse("campaigns:survey-problems", args=[survey.pk, upload.pk])

    for url in (mapping_url, problems_url):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == survey.get_absolute_url()
        assert "is no longer kept" in response.content.decode()
    assert SurveyUpload.objects.filter(pk=upload.pk).exists()
