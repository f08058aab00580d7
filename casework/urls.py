from django.urls import path

from casework.views import campaigns, cases, constituents, contacts, surveys, topics

app_name = "casework"

urlpatterns = [
    # Cases
    path("cases/", cases.case_list, name="case-list"),
    path("cases/new/", cases.case_create, name="case-create"),
    path("cases/<int:pk>/", cases.case_detail, name="case-detail"),
    path("cases/<int:pk>/edit/", cases.case_edit, name="case-edit"),
    path("cases/<int:pk>/status/", cases.case_status, name="case-status"),
    path("cases/<int:pk>/assign/", cases.case_assign, name="case-assign"),
    path("cases/<int:pk>/notes/", cases.note_create, name="note-create"),
    path("cases/<int:pk>/contacts/new/", contacts.contact_create_for_case, name="case-contact-create"),
    # Constituents
    path("constituents/", constituents.constituent_list, name="constituent-list"),
    path("constituents/new/", constituents.constituent_create, name="constituent-create"),
    path("constituents/search/", constituents.constituent_autocomplete, name="constituent-autocomplete"),
    path("constituents/duplicates/", constituents.constituent_duplicate_list, name="constituent-duplicates"),
    path("constituents/postcodes/", constituents.postcode_upload, name="postcode-upload"),
    path("constituents/<int:pk>/", constituents.constituent_detail, name="constituent-detail"),
    path("constituents/<int:pk>/edit/", constituents.constituent_edit, name="constituent-edit"),
    path("constituents/<int:pk>/merge/", constituents.constituent_merge, name="constituent-merge"),
    path(
        "constituents/<int:pk>/contacts/new/",
        contacts.contact_create_for_constituent,
        name="constituent-contact-create",
    ),
    # Contacts' attachments
    path("attachments/<int:pk>/", contacts.attachment_download, name="attachment-download"),
    # Topics (reference data)
    path("topics/", topics.topic_list, name="topic-list"),
    path("topics/new/", topics.topic_create, name="topic-create"),
    path("topics/<int:pk>/edit/", topics.topic_edit, name="topic-edit"),
    path("topics/<int:pk>/active/", topics.topic_set_active, name="topic-set-active"),
    # Surveys and campaigns
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
]
