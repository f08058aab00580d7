"""The UK postcode directory (ONS Postcode Directory / National Statistics Postcode Lookup),
the names of the areas it codes, its releases, and each office's area.

The directory is shared by every office on a deployment: it is public data (Open Government
Licence) and holds no one's personal data. ``Postcode`` holds the current release only; an
import loads the next release beside it and swaps it in, in one transaction
(``geography.directory``). What a constituent's postcode resolved to is copied onto the
constituent with the release used, so a later release (a boundary review) can be compared.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

from mpoffice.models import Office

# A GSS code: a letter for the country (E, W, S, N; L and M for the Channel Islands and the
# Isle of Man) and eight digits. E14001376 is a 2024 Westminster constituency, E05 a ward.
GSS_CODE = RegexValidator(r"^[A-Z][0-9]{8}$", "Enter a GSS code such as E14001376 (a letter and eight digits).")


class AreaKind(models.TextChoices):
    WARD = "ward", "Ward"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    COUNTY = "county", "County"
    CONSTITUENCY = "constituency", "Constituency"
    POLICE_FORCE_AREA = "police_force_area", "Police force area"


class Area(models.Model):
    """A code from the ONS names-and-codes lookups (Documents/ in the directory's zip)."""

    code = models.CharField(max_length=9, primary_key=True)
    kind = models.CharField(max_length=20, choices=AreaKind.choices)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["kind", "name"]
        indexes = [models.Index(fields=["kind", "name"], name="geo_area_kind_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Release(models.Model):
    """One import of the directory: which edition, when, from which file, and how it went."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    label = models.CharField(max_length=120, help_text="The edition, e.g. ONSPD February 2025.")
    published_on = models.DateField(help_text="The date the ONS published this edition.")
    source_name = models.CharField(max_length=255, help_text="The file name as uploaded or given.")
    upload = models.FileField(upload_to="geography/", blank=True)  # removed once imported
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    bytes_total = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    postcodes = models.PositiveIntegerField(default=0)
    terminated = models.PositiveIntegerField(default=0, help_text="Postcodes no longer in use (doterm set).")
    skipped = models.PositiveIntegerField(default=0, help_text="Rows without a valid postcode.")
    areas = models.PositiveIntegerField(default=0, help_text="Area names read from the names-and-codes files.")
    error = models.TextField(blank=True)
    is_current = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=models.Q(is_current=True), name="geo_one_current")
        ]

    def __str__(self) -> str:
        return f"{self.label} (published {self.published_on:%d/%m/%Y})"

    def get_absolute_url(self) -> str:
        return reverse("geography:directory")

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.bytes_total:
            return 0
        return min(99, int(100 * self.bytes_read / self.bytes_total))


class Postcode(models.Model):
    """One postcode of the current release. Codes are blank where the directory has none
    (its pseudo-codes such as E99999999 are stored blank)."""

    postcode = models.CharField(max_length=8, primary_key=True)  # the pcds form: "MK9 3HQ"
    introduced_on = models.DateField(null=True, blank=True)
    terminated_on = models.DateField(null=True, blank=True)
    ward_code = models.CharField(max_length=9, blank=True)
    local_authority_code = models.CharField(max_length=9, blank=True)
    county_code = models.CharField(max_length=9, blank=True)
    constituency_code = models.CharField(max_length=9, blank=True)
    police_force_area_code = models.CharField(max_length=9, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["postcode"]
        indexes = [models.Index(fields=["constituency_code", "postcode"], name="geo_postcode_pcon")]

    def __str__(self) -> str:
        return self.postcode

    @property
    def is_terminated(self) -> bool:
        return self.terminated_on is not None


class OfficeArea(models.Model):
    """The office's area: its Westminster constituency, by GSS code. "Our postcodes" and
    "our wards" are what the current release puts in it."""

    office = models.OneToOneField(Office, on_delete=models.CASCADE, primary_key=True, related_name="area")
    constituency_code = models.CharField(
        "constituency code",
        max_length=9,
        validators=[GSS_CODE],
        help_text="The GSS code of the constituency, e.g. E14001376 (in the directory's pcon or pcon24cd column).",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.office}: {self.constituency_code}"
