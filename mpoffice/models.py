"""Offices (the tenants), their wards, the people who work in them and their roles."""

from __future__ import annotations

import uuid
from typing import Self, TypeVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from mpoffice.formats import day


class Role(models.TextChoices):
    CASEWORKER = "caseworker", "Caseworker"
    STAFF = "staff", "Office staff"
    MP = "mp", "MP"


def office_logo_path(instance: Office, filename: str) -> str:
    # A random name: the uploaded file name is never used on disk.
    return f"logos/{uuid.uuid4().hex}"


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
    logo = models.ImageField(
        upload_to=office_logo_path,
        blank=True,
        help_text="PNG or JPEG, printed at the top of every letter. At most 1 MB.",
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    retention_years = models.PositiveSmallIntegerField(
        "retention period (years)",
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Closed cases older than this are listed for staff to anonymise or delete.",
    )
    # Changed through ``office_settings_update`` only, which records who changed it and when.
    staff_may_send_bulk = models.BooleanField(
        "staff may send bulk replies",
        default=False,
        help_text=(
            "When ticked, office staff start a bulk reply themselves. When not, each bulk reply waits for "
            "the MP to approve its template and number of letters first."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


_ScopedModel = TypeVar("_ScopedModel", bound=models.Model)


class OfficeQuerySet(models.QuerySet[_ScopedModel]):
    def for_office(self, office: Office | int) -> Self:
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


# --- notifications and reminders -------------------------------------------------------------


class Delivery(models.TextChoices):
    EMAIL = "email", "E-mail me each one as it happens"
    IN_APP = "in_app", "Show them in Postbag only"
    DIGEST = "digest", "One e-mail a day (at 07:00) listing them"


class NotificationPreference(models.Model):
    """How a person wants their notifications. No row means the default: e-mail each one."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_delivery_display()}"


class Reminder(OfficeScopedModel):
    """One reminder, raised once: the unique key (kind, source, due date) is a database
    constraint, so two sweeps, two beats or a re-delivered task can never raise it twice."""

    class Kind(models.TextChoices):
        REPLY_OVERDUE = "reply_overdue", "Reply overdue"
        CASE_REVIEW = "case_review", "Case review due"
        APPROVAL_WAITING = "approval_waiting", "Letter waiting for the MP"
        ACTION_OVERDUE = "action_overdue", "Follow-up action overdue"
        WEEKLY_SUMMARY = "weekly_summary", "Weekly summary"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    source_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE, related_name="+")
    source_id = models.PositiveBigIntegerField()
    due_on = models.DateField()
    title = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "source_type", "source_id", "due_on"], name="reminder_once")
        ]
        indexes = [models.Index(fields=["office", "-created_at"], name="reminder_office_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title} (due {day(self.due_on)})"


class Notification(OfficeScopedModel):
    """Something a person should know, shown in Postbag and, by their preference, e-mailed.

    The rows are the outbox: e-mail leaves from them, claimed by one worker at a time
    (pending -> claimed -> sent). A claim that a dead worker left behind is taken again after
    ``EMAIL_CLAIM_TIMEOUT_SECONDS``: delivery is at least once (see the README).
    """

    class EmailState(models.TextChoices):
        PENDING = "pending", "Waiting to be e-mailed"
        CLAIMED = "claimed", "Being e-mailed"
        SENT = "sent", "E-mailed"
        SKIPPED = "skipped", "Not e-mailed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    reminder = models.ForeignKey(
        Reminder, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # How it was to be delivered when it was created (the preference may change later).
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)
    email_state = models.CharField(max_length=10, choices=EmailState.choices, default=EmailState.PENDING)
    email_claim = models.CharField(max_length=32, blank=True, help_text="The claim of the worker sending it.")
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=300, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "user"],
                condition=models.Q(reminder__isnull=False),
                name="notification_once_per_reminder_user",
            )
        ]
        indexes = [
            models.Index(fields=["user", "office", "read_at"], name="notification_user_unread"),
            models.Index(fields=["email_state", "delivery", "created_at"], name="notification_outbox"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class SweepRun(models.Model):
    """The last run of each periodic sweep, for the System status panel (one row per sweep)."""

    name = models.CharField(max_length=60, unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    examined = models.PositiveIntegerField(default=0)
    raised = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SweepError(OfficeScopedModel):
    """A row a sweep could not handle: logged, shown on the System status panel, and skipped
    (the sweep goes on with the rest, and tries the row again on its next run)."""

    sweep = models.CharField(max_length=60)
    source = models.CharField(max_length=200, help_text="Which row, e.g. letter MKS-L-2026-0007.")
    error = models.TextField()
    occurred_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["office", "-occurred_at"], name="sweeperror_office_when")]

    def __str__(self) -> str:
        return f"{self.sweep}: {self.source}"
