from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from mpoffice.models import OfficeScopedModel


class Topic(OfficeScopedModel):
    """A two-level category tree per office, e.g. Crime & policing > Knife crime."""

    name = models.CharField(max_length=120)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["parent__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["office", "parent", "name"], name="topic_unique_name_per_parent"),
            models.UniqueConstraint(
                fields=["office", "name"], condition=models.Q(parent=None), name="topic_unique_top_level_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    def clean(self) -> None:
        if self.parent_id:
            if self.parent.parent_id:
                raise ValidationError({"parent": "Topics have two levels: choose a top-level topic as the parent."})
            if self.parent.office_id != self.office_id:
                raise ValidationError({"parent": "Choose a topic of this office."})
            if self.pk and self.parent_id == self.pk:
                raise ValidationError({"parent": "A topic cannot be its own parent."})
