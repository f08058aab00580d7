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
    topics = models.ManyToManyField(
        Topic,
        blank=True,
        related_name="campaigns",
        help_text="With a start date, every case under these topics (and their sub-topics) belongs to the campaign.",
    )
    rule_since = models.DateField(
        "cases opened since",
        null=True,
        blank=True,
        help_text="Leave empty to gather only the cases linked by hand.",
    )
    cases = models.ManyToManyField(Case, through="CampaignCase", related_name="campaigns")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="campaign_unique_name_per_office")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("campaigns:campaign-detail", kwargs={"pk": self.pk})


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


class KeyFact(OfficeScopedModel):
    """A fact the MP cites, with where it comes from: "knife crime up 90% in two years"."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="key_facts")
    statement = models.CharField(max_length=500)
    source = models.CharField(max_length=300, help_text="Who says so, e.g. Thames Valley Police figures.")
    source_url = models.URLField("source link", blank=True)
    stated_on = models.DateField("date of the source")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-stated_on", "pk"]

    def __str__(self) -> str:
        return self.statement


class Meeting(OfficeScopedModel):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField()
    place = models.CharField(max_length=200)
    attendees = models.TextField(help_text="One per line, with their role.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.place}, {self.held_on:%d/%m/%Y}"


class FollowUpAction(OfficeScopedModel):
    """Something agreed at a meeting, with who does it and by when; reminders chase it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["office", "done_at", "due_on"], name="action_office_open_due")]

    def __str__(self) -> str:
        return self.description

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
