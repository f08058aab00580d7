from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from campaigns.models.campaigns import Campaign
from casework.models.constituents import Constituent
from mpoffice.models import OfficeScopedModel, Ward


class Survey(OfficeScopedModel):
    """A consultation the office ran, e.g. "Build Back Better in Milton Keynes South"."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    opened_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["office", "title"], name="survey_unique_title_per_office")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("campaigns:survey-detail", kwargs={"pk": self.pk})


class Question(OfficeScopedModel):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        RATING = "rating", "Rating"
        FREE_TEXT = "free_text", "Free text"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField()
    text = models.CharField(max_length=500)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    rating_min = models.PositiveSmallIntegerField(default=1)
    rating_max = models.PositiveSmallIntegerField(default=5)

    class Meta:
        ordering = ["survey", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="question_unique_position"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def has_options(self) -> bool:
        return self.kind in (self.Kind.SINGLE, self.Kind.MULTIPLE)


class Option(OfficeScopedModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveIntegerField()
    label = models.CharField(max_length=300)

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "label"], name="option_unique_label"),
        ]

    def __str__(self) -> str:
        return self.label


class Response(OfficeScopedModel):
    """One respondent's answers, optionally tied to a constituent and a ward."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    # The respondent's id in the file it came from: re-importing the same file adds nothing.
    external_id = models.CharField(max_length=100)
    constituent = models.ForeignKey(
        Constituent, null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses"
    )
    ward = models.ForeignKey(Ward, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "external_id"], name="response_unique_external_id"),
        ]
        indexes = [models.Index(fields=["office", "survey"], name="response_office_survey")]


class Answer(OfficeScopedModel):
    """One answer to one question: a chosen option (one row per option ticked), a rating or text."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    option = models.ForeignKey(Option, null=True, blank=True, on_delete=models.CASCADE, related_name="answers")
    rating = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["question", "option"], name="answer_question_option")]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question", "option"],
                condition=models.Q(option__isnull=False),
                name="answer_unique_option_per_response",
            ),
        ]


class SurveyFinding(OfficeScopedModel):
    """A survey result saved to a campaign as a citable finding, with the numbers behind it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="survey_findings")
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="findings")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField()
    respondents = models.PositiveIntegerField()
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    ci_low = models.DecimalField(max_digits=5, decimal_places=2)
    ci_high = models.DecimalField(max_digits=5, decimal_places=2)
    text = models.TextField(help_text="The citable sentence, stating the figure, the question, n and the interval.")
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-saved_at"]

    def __str__(self) -> str:
        return self.text


def survey_upload_path(instance: SurveyUpload, filename: str) -> str:
    return f"survey-uploads/{instance.office_id}/{uuid.uuid4().hex}.csv"


class SurveyUpload(OfficeScopedModel):
    """A CSV file of responses between upload and import, with the column mapping chosen for it."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="uploads")
    file = models.FileField(upload_to=survey_upload_path)
    original_name = models.CharField(max_length=255)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    imported_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.original_name
