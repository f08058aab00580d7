from django.urls import path

from letters.views import bulk as bulk_views
from letters.views import directory as directory_views
from letters.views import inbox as inbox_views
from letters.views import letters as views

app_name = "letters"

urlpatterns = [
    path("", views.letter_list, name="list"),
    path("new/", views.letter_create, name="create"),
    path("<int:pk>/", views.letter_detail, name="detail"),
    path("<int:pk>/edit/", views.letter_edit, name="edit"),
    path("<int:pk>/submit/", views.letter_submit, name="submit"),
    path("<int:pk>/cosign/", views.letter_cosign, name="cosign"),
    path("<int:pk>/approve/", views.letter_approve, name="approve"),
    path("<int:pk>/return/", views.letter_return, name="return"),
    path("<int:pk>/send/", views.letter_send, name="send"),
    path("<int:pk>/close/", views.letter_close, name="close"),
    path("<int:pk>/publish/", views.letter_publish, name="publish"),
    path("<int:pk>/preview/", views.letter_preview, name="preview"),
    path("<int:pk>/letter.pdf", views.letter_pdf_view, name="pdf"),
    path("<int:pk>/replies/new/", views.reply_create, name="reply-create"),
    path("replies/", views.replies_report, name="replies"),
    path("inbox/<int:pk>/reply/", inbox_views.inbound_reply, name="inbound-reply"),
    path("replies/<int:pk>/document/", views.reply_document, name="reply-document"),
    path("replies/<int:pk>/forward/", views.reply_forward, name="reply-forward"),
    path("organisations/", directory_views.organisation_list, name="organisation-list"),
    path("organisations/new/", directory_views.organisation_create, name="organisation-create"),
    path("organisations/<int:pk>/", directory_views.organisation_detail, name="organisation-detail"),
    path("organisations/<int:pk>/edit/", directory_views.organisation_edit, name="organisation-edit"),
    path("organisations/<int:pk>/posts/new/", directory_views.post_create, name="post-create"),
    path("organisations/<int:pk>/holders/new/", directory_views.holder_create, name="holder-create"),
    path("templates/", directory_views.template_list, name="template-list"),
    path("templates/new/", directory_views.template_create, name="template-create"),
    path("templates/<int:pk>/", directory_views.template_edit, name="template-edit"),
    path("bulk/", bulk_views.bulk_list, name="bulk-list"),
    path("bulk/new/", bulk_views.bulk_new, name="bulk-new"),
    path("bulk/<int:pk>/", bulk_views.bulk_detail, name="bulk-detail"),
    path("bulk/<int:pk>/progress/", bulk_views.bulk_progress_view, name="bulk-progress"),
    path("bulk/<int:pk>/submit/", bulk_views.bulk_submit, name="bulk-submit"),
    path("bulk/<int:pk>/approve/", bulk_views.bulk_approve, name="bulk-approve"),
    path("bulk/<int:pk>/return/", bulk_views.bulk_return, name="bulk-return"),
    path("bulk/<int:pk>/start/", bulk_views.bulk_start, name="bulk-start"),
    path("bulk/<int:pk>/cancel/", bulk_views.bulk_cancel, name="bulk-cancel"),
    path("bulk/batches/<int:pk>/batch.pdf", bulk_views.bulk_batch_pdf, name="bulk-batch"),
]
