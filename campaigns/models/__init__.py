from campaigns.models.campaigns import Campaign, CampaignCase, FollowUpAction, KeyFact, Meeting
from campaigns.models.surveys import Answer, Option, Question, Response, Survey, SurveyFinding, SurveyUpload

__all__ = [
    "Answer",
    "Campaign",
    "CampaignCase",
    "FollowUpAction",
    "KeyFact",
    "Meeting",
    "Option",
    "Question",
    "Response",
    "Survey",
    "SurveyFinding",
    "SurveyUpload",
]
