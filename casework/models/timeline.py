from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from casework.models.cases import Case
from mpoffice.models import OfficeScopedModel


class TimelineEntry(OfficeScopedModel):
    """One line of a case's timeline: a contact, a note, a status change, a letter, a reply...

    A shared event table, so that apps above casework (letters) add entries through
    ``casework.services.timeline_record`` without casework importing them. ``kind`` picks
    the template ``casework/timeline/<kind>.html`` (see ``casework.timeline``).
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=40)
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["case", "-occurred_at"], name="timeline_case_when"),
            models.Index(fields=["office", "kind", "-occurred_at"], name="timeline_office_kind"),
            models.Index(fields=["source_type", "source_id"], name="timeline_source"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"
