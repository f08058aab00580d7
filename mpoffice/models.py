"""Offices (the tenants), their wards, the people who work in them and their roles."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models


class Role(models.TextChoices):
    CASEWORKER = "caseworker", "Caseworker"
    STAFF = "staff", "Office staff"
    MP = "mp", "MP"


class Office(models.Model):
    """One MP's office. Every casework and letters record belongs to exactly one."""

    name = models.CharField(max_length=200, unique=True)
    constituency = models.CharField(max_length=200)
    mp_name = models.CharField("MP's name", max_length=200)
    reference_prefix = models.CharField(
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,6}$", "Use two to six capital letters, e.g. MKS.")],
        help_text="Starts every case reference, e.g. MKS-2026-00123.",
    )
    letterhead_address = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OfficeQuerySet(models.QuerySet):
    def for_office(self, office: Office) -> OfficeQuerySet:
        return self.filter(office=office)


class OfficeScopedModel(models.Model):
    """Base for every tenant table: the office is a column, so every query can lead with it.

    Fetch through ``Model.objects.for_office(request.office)`` (or a selector built on it);
    never by primary key alone.
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")

    objects = OfficeQuerySet.as_manager()

    class Meta:
        abstract = True


class Ward(OfficeScopedModel):
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="ward_unique_name_per_office")]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    def for_user(self, user) -> MembershipQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user, is_active=True).select_related("office")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["office__name"]
        constraints = [models.UniqueConstraint(fields=["user", "office"], name="membership_one_per_user_office")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}, {self.office}"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def is_mp(self) -> bool:
        return self.role == Role.MP

    @property
    def is_staff_role(self) -> bool:
        return self.role == Role.STAFF


class Heartbeat(models.Model):
    """When each background component last proved it was alive (one row per component)."""

    class Component(models.TextChoices):
        WORKER = "worker", "Celery worker"
        BEAT = "beat", "Celery beat"

    component = models.CharField(max_length=20, choices=Component.choices, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.component} at {self.last_seen:%Y-%m-%d %H:%M:%S}"
