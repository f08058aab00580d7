from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from casework.models.cases import Case
from casework.models.topics import Topic
from mpoffice.models import OfficeScopedModel


class Campaign(OfficeScopedModel):
    """A subject the MP works on across many cases, e.g. "Knife crime in Milton Keynes"."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    topics = models.ManyToManyField(Topic, blank=True, related_name="campaigns")
    cases = models.ManyToManyField(Case, through="CampaignCase", related_name="campaigns")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="campaign_unique_name_per_office")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("casework:campaign-detail", kwargs={"pk": self.pk})


class CampaignCase(OfficeScopedModel):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="campaign_cases")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="campaign_links")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    by_rule = models.BooleanField(default=False, help_text="Linked by the campaign's rule rather than by hand.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "case"], name="campaign_case_unique")]
