from django.core.files.base import ContentFile

from campaigns.models import SurveyUpload
from campaigns.surveys import ParsedFile, survey_import_commit
from casework.services import case_open
from tests.campaigns.factories import STORY_MAPPING, CampaignFactory, SurveyFactory, story_rows, survey_csv
from tests.isolation import builder


@builder("campaigns:survey-detail", "campaigns:survey-upload", "campaigns:survey-results-csv")
def _survey(office):
    return {"pk": SurveyFactory(office=office).pk}


@builder("campaigns:survey-mapping", "campaigns:survey-problems")
def _survey_upload(office):
    survey = SurveyFactory(office=office)
    upload = SurveyUpload(office=office, survey=survey, original_name="responses.csv", headers=[])
    upload.file.save("responses.csv", ContentFile(survey_csv(story_rows(count=12))), save=False)
    upload.save()
    return {"pk": survey.pk, "upload_pk": upload.pk}


@builder("campaigns:survey-question-chart")
def _survey_question(office):
    survey = SurveyFactory(office=office)
    rows = story_rows(count=3, crime=1, ward="")
    survey_import_commit(
        survey=survey, parsed=ParsedFile(headers=list(rows[0]), rows=rows), mapping={**STORY_MAPPING, "Ward": "ignore"}
    )
    return {"pk": survey.pk, "question_pk": survey.questions.get(kind="single").pk}


@builder("campaigns:survey-finding")
def _survey_option(office):
    survey = SurveyFactory(office=office)
    rows = story_rows(count=3, crime=1, ward="")
    parsed = ParsedFile(headers=list(rows[0]), rows=rows)
    survey_import_commit(survey=survey, parsed=parsed, mapping={**STORY_MAPPING, "Ward": "ignore"})
    option = survey.questions.get(kind="single").options.first()
    return {"pk": survey.pk, "option_pk": option.pk}


@builder("campaigns:campaign-detail", "campaigns:campaign-edit", "campaigns:campaign-case-add")
def _campaign(office):
    return {"pk": CampaignFactory(office=office).pk}


@builder("campaigns:campaign-case-remove")
def _campaign_case(office):
    campaign = CampaignFactory(office=office)
    case = case_open(office=office, by=None, constituents=[], summary="Knife crime near the station")
    campaign.campaign_cases.create(office=office, case=case)
    return {"pk": campaign.pk, "case_pk": case.pk}


@builder("campaigns:campaign-fact-add", "campaigns:campaign-meeting-add")
def _campaign_for_forms(office):
    return {"pk": CampaignFactory(office=office).pk}


@builder("campaigns:meeting-action-add")
def _meeting(office):
    from campaigns.models import Meeting

    campaign = CampaignFactory(office=office)
    meeting = Meeting.objects.create(
        office=office, campaign=campaign, held_on="2021-06-10", place="Oldbrook", attendees="PCC"
    )
    return {"pk": campaign.pk, "meeting_pk": meeting.pk}


@builder("campaigns:meeting-action-done")
def _action(office):
    from campaigns.models import FollowUpAction, Meeting

    campaign = CampaignFactory(office=office)
    meeting = Meeting.objects.create(
        office=office, campaign=campaign, held_on="2021-06-10", place="Oldbrook", attendees="PCC"
    )
    action = FollowUpAction.objects.create(office=office, meeting=meeting, description="Call", due_on="2021-07-01")
    return {"pk": campaign.pk, "action_pk": action.pk}
