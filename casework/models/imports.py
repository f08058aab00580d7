from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from mpoffice.models import OfficeScopedModel


def import_file_path(instance: ImportBatch, filename: str) -> str:
    return f"imports/{instance.office_id}/{uuid.uuid4().hex}.csv"


class ImportBatch(OfficeScopedModel):
    """One CSV file on its way in: uploaded, checked row by row, then saved all at once.

    The file is checked by a Celery task (``validating``) and shown as a preview with every
    row's errors; only a file without errors can be committed, and the commit saves every row
    or none. ``sha256`` refuses the same file twice; natural keys skip rows already held.
    """

    class Kind(models.TextChoices):
        CONSTITUENTS = "constituents", "Constituents"
        CASES = "cases", "Cases"

    class Status(models.TextChoices):
        VALIDATING = "validating", "Checking rows"
        PREVIEW = "preview", "Ready to import"
        INVALID = "invalid", "Has errors"
        COMMITTING = "committing", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATUSES = (Status.VALIDATING, Status.PREVIEW, Status.COMMITTING)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to=import_file_path, max_length=200)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.VALIDATING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    new_rows = models.PositiveIntegerField(default=0, help_text="Rows that will be (or were) added.")
    existing_rows = models.PositiveIntegerField(default=0, help_text="Rows already held, skipped.")
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first errors: [row, column, message].")
    preview = models.JSONField(default=list, blank=True, help_text="The first rows as they will be saved.")
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    # The worker on it while checking or committing (mpoffice.outbox): an empty claim with a
    # time means "queued at"; the recovery sweep queues again a job whose time is stale.
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The same file is imported once: a second upload of it is refused.
            models.UniqueConstraint(
                fields=["office", "kind", "sha256"],
                condition=models.Q(status="done"),
                name="import_file_once_per_office",
            ),
        ]
        indexes = [models.Index(fields=["office", "-created_at"], name="import_office_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.original_name}"

    def get_absolute_url(self) -> str:
        return reverse("casework:import-detail", kwargs={"pk": self.pk})

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.COMMITTING)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.processed_rows / self.total_rows))
