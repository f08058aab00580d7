"""Surveys and campaigns (paths unchanged from casework)."""

from django.urls import path

from campaigns.views import campaigns, surveys

app_name = "campaigns"

urlpatterns = [
    path("surveys/", surveys.survey_list, name="survey-list"),
    path("surveys/new/", surveys.survey_create, name="survey-create"),
    path("surveys/<int:pk>/", surveys.survey_detail, name="survey-detail"),
    path("surveys/<int:pk>/import/", surveys.survey_upload, name="survey-upload"),
    path("surveys/<int:pk>/import/<int:upload_pk>/", surveys.survey_mapping, name="survey-mapping"),
    path("surveys/<int:pk>/options/<int:option_pk>/finding/", surveys.survey_finding_create, name="survey-finding"),
    path("campaigns/", campaigns.campaign_list, name="campaign-list"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign-create"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", campaigns.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/cases/", campaigns.campaign_case_add, name="campaign-case-add"),
    path("campaigns/<int:pk>/cases/<int:case_pk>/remove/", campaigns.campaign_case_remove, name="campaign-case-remove"),
    path("campaigns/<int:pk>/facts/", campaigns.campaign_fact_add, name="campaign-fact-add"),
    path("campaigns/<int:pk>/meetings/", campaigns.campaign_meeting_add, name="campaign-meeting-add"),
    path(
        "campaigns/<int:pk>/meetings/<int:meeting_pk>/actions/", campaigns.meeting_action_add, name="meeting-action-add"
    ),
    path("campaigns/<int:pk>/actions/<int:action_pk>/done/", campaigns.meeting_action_done, name="meeting-action-done"),
]
