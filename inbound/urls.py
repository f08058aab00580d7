"""The inbox: e-mails received by the office, read and triaged (paths unchanged from casework)."""

from django.urls import path

from inbound import views as inbound
from inbound.views import mailboxes

app_name = "inbound"

urlpatterns = [
    path("inbox/", inbound.inbound_list, name="inbound-list"),
    path("inbox/new/", inbound.inbound_upload, name="inbound-upload"),
    path("inbox/<int:pk>/", inbound.inbound_detail, name="inbound-detail"),
    path("inbox/<int:pk>/original/", inbound.inbound_original, name="inbound-original"),
    path("inbox/<int:pk>/attach/", inbound.inbound_attach, name="inbound-attach"),
    path("inbox/<int:pk>/open-case/", inbound.inbound_open_case, name="inbound-open-case"),
    path("inbox/<int:pk>/dismiss/", inbound.inbound_dismiss, name="inbound-dismiss"),
    # The office's mailboxes (staff)
    path("mailboxes/", mailboxes.mailbox_list, name="mailbox-list"),
    path("mailboxes/new/", mailboxes.mailbox_create, name="mailbox-create"),
    path("mailboxes/<int:pk>/", mailboxes.mailbox_edit, name="mailbox-edit"),
    path("mailboxes/<int:pk>/test/", mailboxes.mailbox_test, name="mailbox-test"),
]
