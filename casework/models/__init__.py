from casework.models.campaigns import Campaign, CampaignCase, FollowUpAction, KeyFact, Meeting
from casework.models.cases import Case, CaseConstituent, CaseReferenceCounter, Tag
from casework.models.constituents import Constituent, ConstituentMerge, PostcodeWard
from casework.models.contacts import Attachment, Contact
from casework.models.dataprotection import RetentionReview, SharedTextReview, SubjectAccessExport
from casework.models.imports import ImportBatch
from casework.models.inbound import InboundMessage
from casework.models.mailbox import MailboxConnection, MaildirEntry
from casework.models.surveys import Answer, Option, Question, Response, Survey, SurveyFinding, SurveyUpload
from casework.models.timeline import TimelineEntry
from casework.models.topics import Topic

__all__ = [
    "Attachment",
    "Campaign",
    "CampaignCase",
    "Case",
    "CaseConstituent",
    "CaseReferenceCounter",
    "Constituent",
    "ConstituentMerge",
    "Contact",
    "ImportBatch",
    "InboundMessage",
    "MailboxConnection",
    "MaildirEntry",
    "PostcodeWard",
    "Tag",
    "TimelineEntry",
    "Topic",
    "KeyFact",
    "Meeting",
    "FollowUpAction",
    "Survey",
    "Question",
    "Option",
    "Response",
    "Answer",
    "SurveyFinding",
    "SurveyUpload",
    "RetentionReview",
    "SharedTextReview",
    "SubjectAccessExport",
]
