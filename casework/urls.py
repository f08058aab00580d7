from django.urls import path

from casework.views import campaigns, cases, constituents, contacts, dataprotection, inbound, search, surveys, topics
from casework.views import geography as geography_views
from casework.views import imports as import_views

app_name = "casework"

urlpatterns = [
    # Search and exports
    path("search/", search.text_search, name="search"),
    path("search/constituents/", search.constituent_search, name="constituent-search"),
    path("export/cases.csv", search.case_export, name="case-export"),
    path("export/constituents.csv", search.constituent_export, name="constituent-export"),
    # Inbound e-mail
    path("inbox/", inbound.inbound_list, name="inbound-list"),
    path("inbox/new/", inbound.inbound_upload, name="inbound-upload"),
    path("inbox/<int:pk>/", inbound.inbound_detail, name="inbound-detail"),
    path("inbox/<int:pk>/original/", inbound.inbound_original, name="inbound-original"),
    path("inbox/<int:pk>/attach/", inbound.inbound_attach, name="inbound-attach"),
    path("inbox/<int:pk>/open-case/", inbound.inbound_open_case, name="inbound-open-case"),
    path("inbox/<int:pk>/dismiss/", inbound.inbound_dismiss, name="inbound-dismiss"),
    # CSV imports
    path("imports/", import_views.import_list, name="import-list"),
    path("imports/template/", import_views.import_template, name="import-template"),
    path("imports/<int:pk>/", import_views.import_detail, name="import-detail"),
    path("imports/<int:pk>/progress/", import_views.import_progress, name="import-progress"),
    path("imports/<int:pk>/confirm/", import_views.import_confirm, name="import-confirm"),
    path("imports/<int:pk>/cancel/", import_views.import_cancel, name="import-cancel"),
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
    path("constituents/boundary-report/", geography_views.boundary_report, name="boundary-report"),
    path("constituents/boundary-report/record/", geography_views.boundary_record, name="boundary-record"),
    path("constituents/<int:pk>/", constituents.constituent_detail, name="constituent-detail"),
    path("constituents/<int:pk>/edit/", constituents.constituent_edit, name="constituent-edit"),
    path("constituents/<int:pk>/merge/", constituents.constituent_merge, name="constituent-merge"),
    path(
        "constituents/<int:pk>/contacts/new/",
        contacts.contact_create_for_constituent,
        name="constituent-contact-create",
    ),
    # Data protection: audit trails, subject access, erasure, retention
    path("audit/<str:kind>/<int:pk>/", dataprotection.audit_trail, name="audit-trail"),
    path("constituents/<int:pk>/subject-access/", dataprotection.subject_access, name="subject-access"),
    path("constituents/<int:pk>/erase/", dataprotection.constituent_erase, name="constituent-erase"),
    path("subject-access/<int:pk>/", dataprotection.subject_access_detail, name="subject-access-detail"),
    path("subject-access/<int:pk>/download/", dataprotection.subject_access_download, name="subject-access-download"),
    path("data-protection/", dataprotection.data_protection, name="data-protection"),
    path("data-protection/retention/", dataprotection.retention_decide, name="retention-decide"),
    path("data-protection/retention-period/", dataprotection.retention_period, name="retention-period"),
    path("data-protection/shared-text/<int:pk>/", dataprotection.shared_text_resolve, name="shared-text-redact"),
    # Contacts' attachments
    path("attachments/<int:pk>/", contacts.attachment_download, name="attachment-download"),
    path("contacts/<int:pk>/attach/", contacts.contact_attach, name="contact-attach"),
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
    path("campaigns/<int:pk>/facts/", campaigns.campaign_fact_add, name="campaign-fact-add"),
    path("campaigns/<int:pk>/meetings/", campaigns.campaign_meeting_add, name="campaign-meeting-add"),
    path(
        "campaigns/<int:pk>/meetings/<int:meeting_pk>/actions/", campaigns.meeting_action_add, name="meeting-action-add"
    ),
    path("campaigns/<int:pk>/actions/<int:action_pk>/done/", campaigns.meeting_action_done, name="meeting-action-done"),
]
