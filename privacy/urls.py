"""Data protection: audit trails, subject access, erasure, retention (paths unchanged from casework)."""

from django.urls import path

from privacy import views as dataprotection

app_name = "privacy"

urlpatterns = [
    path("audit/<str:kind>/<int:pk>/", dataprotection.audit_trail, name="audit-trail"),
    path("constituents/<int:pk>/subject-access/", dataprotection.subject_access, name="subject-access"),
    path("constituents/<int:pk>/erase/", dataprotection.constituent_erase, name="constituent-erase"),
    path("subject-access/<int:pk>/", dataprotection.subject_access_detail, name="subject-access-detail"),
    path("subject-access/<int:pk>/download/", dataprotection.subject_access_download, name="subject-access-download"),
    path("data-protection/", dataprotection.data_protection, name="data-protection"),
    path("data-protection/retention/", dataprotection.retention_decide, name="retention-decide"),
    path("data-protection/retention-period/", dataprotection.retention_period, name="retention-period"),
    path("data-protection/shared-text/<int:pk>/", dataprotection.shared_text_resolve, name="shared-text-redact"),
]
