from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone

from casework.models.cases import Case
from casework.models.constituents import Constituent
from mpoffice.models import OfficeScopedModel


class Contact(OfficeScopedModel):
    """One interaction with a constituent: the log every caseworker keeps."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Phone"
        LETTER = "letter", "Letter"
        SURGERY = "surgery", "Surgery"
        IN_PERSON = "in_person", "In person"
        WEB_FORM = "web_form", "Web form"
        SOCIAL_MEDIA = "social_media", "Social media"

    class Direction(models.TextChoices):
        INBOUND = "in", "From the constituent"
        OUTBOUND = "out", "To the constituent"

    constituent = models.ForeignKey(
        Constituent, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.INBOUND)
    occurred_at = models.DateTimeField("when", default=timezone.now)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=300)
    body = models.TextField("full text", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Full-text search (casework.search): kept current by a PostgreSQL trigger on summary and
    # body, so bulk loads and every writer fill it; always empty on SQLite.
    search = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["office", "-occurred_at"], name="contact_office_when"),
            models.Index(fields=["case", "-occurred_at"], name="contact_case_when"),
            models.Index(fields=["constituent", "-occurred_at"], name="contact_constituent_when"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_direction_display().lower()}: {self.summary}"

    def get_absolute_url(self) -> str:
        if self.case_id:
            return self.case.get_absolute_url()
        return self.constituent.get_absolute_url() if self.constituent_id else reverse("home")


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random name: the original is kept in the row, never used on disk.
    return f"attachments/{instance.office_id}/{uuid.uuid4().hex}"


class Attachment(OfficeScopedModel):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, help_text="Detected from the content, not the file name.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("casework:attachment-download", kwargs={"pk": self.pk})
