"""Data protection records: subject access exports and retention reviews."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from casework.models.cases import Case
from casework.models.constituents import Constituent
from mpoffice.models import OfficeScopedModel


def subject_access_path(instance: SubjectAccessExport, filename: str) -> str:
    return f"subject-access/{instance.office_id}/{uuid.uuid4().hex}.zip"


class SubjectAccessExport(OfficeScopedModel):
    """A ZIP of everything held on one constituent, built by a Celery task.

    Deleted with the constituent (an erasure removes the exports too); its file is deleted 30
    days after it was built (the row stays, marked expired, as a record that it was made).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Being prepared"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Deleted after 30 days"

    constituent = models.ForeignKey(Constituent, on_delete=models.CASCADE, related_name="subject_access_exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    stage = models.CharField(max_length=100, blank=True)
    file = models.FileField(upload_to=subject_access_path, blank=True, max_length=200)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    # The worker building it (mpoffice.outbox): an empty claim with a time means "queued at";
    # the recovery sweep queues again an export whose time is stale.
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, default=timezone.now)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["office", "constituent"], name="sar_office_constituent")]

    def __str__(self) -> str:
        return f"Subject access export #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("privacy:subject-access-detail", kwargs={"pk": self.pk})

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED, self.Status.EXPIRED)


class RetentionReview(OfficeScopedModel):
    """A closed case past the office's retention period, waiting for (or given) a decision.

    The periodic sweep only creates these; nothing is removed until staff decide.
    """

    class Decision(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        ANONYMISED = "anonymised", "Anonymised"
        DELETED = "deleted", "Deleted"
        KEPT = "kept", "Kept for now"

    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="retention_reviews")
    case_reference = models.CharField(max_length=24, help_text="Kept when the case itself is deleted.")
    flagged_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=12, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    keep_until = models.DateField(null=True, blank=True, help_text="A kept case is listed again after this date.")

    class Meta:
        ordering = ["flagged_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(decision="pending"), name="retention_one_pending_per_case"
            )
        ]
        indexes = [models.Index(fields=["office", "decision"], name="retention_office_decision")]

    def __str__(self) -> str:
        return f"Retention review of {self.case_reference}"


class SharedTextReview(OfficeScopedModel):
    """A place in free text that another person's case owns (a note, a description, a letter
    on a shared case) that mentioned a person who was then erased.

    Erasure cannot safely rewrite words that belong to someone else's casework, so it lists
    them here for staff. The row names the place and the character spans to remove, and a
    checksum of the text as it was found; it keeps none of the erased person's data.
    """

    class Resolution(models.TextChoices):
        REDACTED = "redacted", "Redacted"
        KEPT = "kept", "Kept as written"

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    field_name = models.CharField(max_length=100)
    spans = models.JSONField(default=list, help_text="[start, end] character offsets to remove.")
    text_sha256 = models.CharField(
        max_length=64, help_text="The text when it was listed: redaction needs it unchanged."
    )
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    case_reference = models.CharField(max_length=24, blank=True)
    found_at = models.DateTimeField(default=timezone.now)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["found_at", "pk"]
        indexes = [models.Index(fields=["office", "resolved_at"], name="sharedtext_office_resolved")]

    def __str__(self) -> str:
        return f"Review of {self.content_type.model} #{self.object_id} ({self.field_name})"
