from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone

from casework.models.constituents import Constituent
from casework.models.topics import Topic
from mpoffice.models import OfficeScopedModel


class Tag(OfficeScopedModel):
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="tag_unique_name_per_office")]

    def __str__(self) -> str:
        return self.name


class CaseReferenceCounter(OfficeScopedModel):
    """The last case number issued per office per year; incremented under a row lock."""

    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "year"], name="case_counter_unique_year")]


class Case(OfficeScopedModel):
    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        AWAITING_ORGANISATION = "awaiting_organisation", "Awaiting organisation"
        AWAITING_CONSTITUENT = "awaiting_constituent", "Awaiting constituent"
        CLOSED = "closed", "Closed"

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", "Resolved"
        PARTLY_RESOLVED = "partly_resolved", "Partly resolved"
        NOT_RESOLVED = "not_resolved", "Not resolved"
        NO_ACTION_POSSIBLE = "no_action_possible", "No action possible"
        WITHDRAWN = "withdrawn", "Withdrawn by constituent"
        REFERRED = "referred", "Referred elsewhere"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    class Relationship(models.TextChoices):
        SELF = "self", "The constituent themselves"
        RELATIVE = "relative", "A relative"
        ADVOCATE = "advocate", "An advocate or representative"
        COUNCILLOR = "councillor", "A councillor"
        CHARITY = "charity", "A charity or support organisation"
        OTHER = "other", "Someone else"

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.AWAITING_ORGANISATION, Status.AWAITING_CONSTITUENT)

    reference = models.CharField(max_length=24, editable=False)
    year = models.PositiveIntegerField(editable=False)
    number = models.PositiveIntegerField(editable=False)
    constituents = models.ManyToManyField(Constituent, through="CaseConstituent", related_name="cases")
    # Who we reply to, when not the constituent: a relative, an advocate, a councillor, a charity.
    correspondent = models.ForeignKey(
        Constituent, null=True, blank=True, on_delete=models.PROTECT, related_name="cases_as_correspondent"
    )
    correspondent_relationship = models.CharField(
        max_length=20, choices=Relationship.choices, default=Relationship.SELF
    )
    correspondent_consent = models.TextField(
        blank=True, help_text="How the constituent agreed that we may deal with the correspondent, and when."
    )
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    summary = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.NEW)
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_cases"
    )
    review_by = models.DateField(null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="cases")
    is_sensitive = models.BooleanField(
        "sensitive", default=False, help_text="Visible only to the assignee, office staff and the MP."
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Full-text search (casework.search): kept current by a PostgreSQL trigger on summary and
    # description, so bulk loads and every writer fill it; always empty on SQLite.
    search = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["office", "year", "number"], name="case_unique_number_per_year"),
            models.UniqueConstraint(fields=["office", "reference"], name="case_unique_reference"),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(outcome=""), name="case_closed_has_outcome"
            ),
        ]
        indexes = [
            models.Index(fields=["office", "-opened_at"], name="case_office_opened"),
            models.Index(fields=["office", "status", "-opened_at"], name="case_office_status"),
            models.Index(fields=["office", "topic", "-opened_at"], name="case_office_topic"),
            models.Index(fields=["office", "assignee", "status"], name="case_office_assignee"),
            models.Index(fields=["office", "review_by"], name="case_office_review"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.summary}"

    def get_absolute_url(self) -> str:
        return reverse("casework:case-detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED

    def is_review_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.review_by is not None and self.review_by < today


class CaseConstituent(OfficeScopedModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_constituents")
    constituent = models.ForeignKey(Constituent, on_delete=models.PROTECT, related_name="case_links")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "constituent"], name="case_constituent_unique"),
        ]
        indexes = [models.Index(fields=["office", "constituent"], name="caseconstituent_office_const")]
