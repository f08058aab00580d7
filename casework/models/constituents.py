from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from mpoffice.models import OfficeScopedModel, Ward


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    POST = "post", "Post"
    PHONE = "phone", "Phone"


class Constituent(OfficeScopedModel):
    """A person or a group (a residents' association, a school) the office acts for."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERSON)
    title = models.CharField(max_length=30, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    organisation_name = models.CharField(max_length=200, blank=True)
    address_line1 = models.CharField("address line 1", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True, help_text="A UK postcode, e.g. MK9 3HQ.")
    ward = models.ForeignKey(Ward, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Where the postcode lay by the directory release named (geography.Release): set by the
    # constituent services whenever the postcode changes, refreshed after a boundary review.
    ward_code = models.CharField(max_length=9, blank=True)
    local_authority_code = models.CharField(max_length=9, blank=True)
    constituency_code = models.CharField(max_length=9, blank=True)
    police_force_area_code = models.CharField(max_length=9, blank=True)
    postcode_terminated = models.BooleanField(
        default=False, help_text="The directory lists the postcode as no longer used."
    )
    geography_release = models.ForeignKey(
        "geography.Release", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outside_constituency = models.BooleanField(
        "outside the constituency",
        default=False,
        help_text="The postcode lies in another constituency than the office's (by the directory).",
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="Stored in international form, e.g. +441908123456.")
    preferred_channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    consent_to_contact = models.BooleanField(
        default=True, help_text="The constituent agreed that the office may contact them about their casework."
    )
    contact_by_email = models.BooleanField(default=True)
    contact_by_post = models.BooleanField(default=True)
    contact_by_phone = models.BooleanField(default=True)
    is_vulnerable = models.BooleanField("vulnerable", default=False)
    has_special_category_data = models.BooleanField(
        "special-category data held",
        default=False,
        help_text="Health, ethnicity, religion, sexuality, union membership, biometric or criminal-offence data.",
    )
    notes = models.TextField(blank=True)
    # Set when this record was merged into another; it then only records the merge.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["last_name", "first_name", "organisation_name", "pk"]
        indexes = [
            models.Index(fields=["office", "last_name", "first_name"], name="constituent_office_name"),
            models.Index(fields=["office", "postcode"], name="constituent_office_postcode"),
            models.Index(fields=["office", "email"], name="constituent_office_email"),
            models.Index(fields=["office", "phone"], name="constituent_office_phone"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("casework:constituent-detail", kwargs={"pk": self.pk})

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.ORGANISATION:
            return self.organisation_name or "(unnamed organisation)"
        name = " ".join(part for part in (self.title, self.first_name, self.last_name) if part)
        return name or "(unnamed)"

    @property
    def salutation(self) -> str:
        if self.kind == self.Kind.ORGANISATION:
            return "Dear Sir or Madam"
        if self.title and self.last_name:
            return f"Dear {self.title} {self.last_name}"
        return f"Dear {self.first_name or self.last_name}".strip()

    @property
    def address_lines(self) -> list[str]:
        return [line for line in (self.address_line1, self.address_line2, self.town, self.postcode) if line]

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class ConstituentMerge(OfficeScopedModel):
    """Who merged which duplicate into which survivor, and what moved (kept for the audit)."""

    survivor = models.ForeignKey(Constituent, on_delete=models.PROTECT, related_name="merges_received")
    merged = models.ForeignKey(Constituent, on_delete=models.PROTECT, related_name="merges_given")
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    merged_at = models.DateTimeField(auto_now_add=True)
    moved = models.JSONField(default=dict, help_text="Rows moved to the survivor, by table.")

    class Meta:
        ordering = ["-merged_at"]


class PostcodeWard(OfficeScopedModel):
    """Postcode-to-ward lookup table, imported by staff from CSV."""

    postcode = models.CharField(max_length=8)
    ward = models.ForeignKey(Ward, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "postcode"], name="postcodeward_unique_per_office"),
        ]

    def __str__(self) -> str:
        return f"{self.postcode} → {self.ward}"
