from django.urls import path

from casework.views import cases, constituents, contacts, search, topics
from casework.views import geography as geography_views
from casework.views import imports as import_views

app_name = "casework"

urlpatterns = [
    # Search and exports
    path("search/", search.text_search, name="search"),
    path("search/constituents/", search.constituent_search, name="constituent-search"),
    path("export/cases.csv", search.case_export, name="case-export"),
    path("export/constituents.csv", search.constituent_export, name="constituent-export"),
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
    # Contacts' attachments
    path("attachments/<int:pk>/", contacts.attachment_download, name="attachment-download"),
    path("contacts/<int:pk>/attach/", contacts.contact_attach, name="contact-attach"),
    # Topics (reference data)
    path("topics/", topics.topic_list, name="topic-list"),
    path("topics/new/", topics.topic_create, name="topic-create"),
    path("topics/<int:pk>/edit/", topics.topic_edit, name="topic-edit"),
    path("topics/<int:pk>/active/", topics.topic_set_active, name="topic-set-active"),
]
