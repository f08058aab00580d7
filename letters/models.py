"""Letters: the office's address book (organisations, posts and who held them), templates,
letters with their signatories and workflow, and the replies they receive."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from casework.models import Case, Constituent
from letters import merge
from mpoffice.formats import day
from mpoffice.models import Office, OfficeScopedModel


class Organisation(OfficeScopedModel):
    """A body the office writes to. Each office keeps its own address book."""

    name = models.CharField(max_length=200)
    address = models.TextField("postal address", blank=True, help_text="One line per part of the address.")
    email = models.EmailField(blank=True)
    reply_target_working_days = models.PositiveSmallIntegerField(
        "reply target (working days)", default=20, help_text="How many UK working days it has to reply."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="organisation_unique_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("letters:organisation-detail", kwargs={"pk": self.pk})

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.address.splitlines() if line.strip()]


class Post(OfficeScopedModel):
    """A role in an organisation ("Home Secretary"); letters go to whoever holds it on the day."""

    class AreaRole(models.TextChoices):
        COUNCIL = "council", "The council for an area (local authority code)"
        POLICE = "police", "The police force for an area (police force area code)"
        PCC = "pcc", "The Police and Crime Commissioner for an area (police force area code)"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(max_length=200)
    salutation = models.CharField(max_length=200, blank=True, help_text="e.g. Dear Home Secretary")
    # Tying a post to an area lets a letter go to "the council for this constituent" or "the PCC
    # for this constituent's area" (the codes come from the postcode directory, on the constituent).
    area_role = models.CharField("responsible for an area as", max_length=10, choices=AreaRole.choices, blank=True)
    area_code = models.CharField(
        "area code",
        max_length=9,
        blank=True,
        validators=[RegexValidator(r"^[A-Z][0-9]{8}$", "Enter a GSS code such as E06000042 or E23000029.")],
        help_text="The local authority (e.g. E06000042, Milton Keynes) or police force area (e.g. E23000029).",
    )

    class Meta:
        ordering = ["organisation__name", "title"]
        constraints = [models.UniqueConstraint(fields=["office", "organisation", "title"], name="post_unique_title")]

    def __str__(self) -> str:
        return f"{self.title}, {self.organisation.name}"

    def clean(self) -> None:
        if bool(self.area_role) != bool(self.area_code):
            raise ValidationError({"area_code": "Give both the role and the area's code, or neither."})

    def get_absolute_url(self) -> str:
        return self.organisation.get_absolute_url()

    def holder_on(self, day: date) -> PostHolder | None:
        return (
            self.holders.filter(started_on__lte=day)
            .filter(Q(ended_on=None) | Q(ended_on__gte=day))
            .order_by("-started_on")
            .first()
        )


class PostHolder(OfficeScopedModel):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="holders")
    name = models.CharField(max_length=200)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True, help_text="Leave empty while they hold the post.")

    class Meta:
        ordering = ["-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on=None) | Q(ended_on__gte=models.F("started_on")), name="postholder_dates_in_order"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": "The end date must be on or after the start date."})


class LetterTemplate(OfficeScopedModel):
    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Plain text. Merge fields are written {{ field_name }}.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="lettertemplate_unique_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("letters:template-edit", kwargs={"pk": self.pk})

    @property
    def fingerprint(self) -> str:
        """Changes whenever the text a letter is made from changes (not with a rename)."""
        return hashlib.sha256(f"{self.subject}\0{self.body}".encode()).hexdigest()

    def clean(self) -> None:
        errors = {}
        for field in ("subject", "body"):
            problems = merge.template_problems(getattr(self, field))
            if problems:
                errors[field] = problems
        if errors:
            raise ValidationError(errors)


class LetterReferenceCounter(OfficeScopedModel):
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "year"], name="letter_counter_unique_year")]


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting MP approval"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned with comments"
    SENT = "sent", "Sent"
    REPLY_RECEIVED = "reply_received", "Reply received"
    CLOSED = "closed", "Closed"


# Which status may follow which. Everything else is refused with a message.
TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.AWAITING_APPROVAL},
    Status.AWAITING_APPROVAL: {Status.APPROVED, Status.RETURNED, Status.DRAFT},
    Status.RETURNED: {Status.DRAFT, Status.AWAITING_APPROVAL},
    Status.APPROVED: {Status.SENT, Status.DRAFT},
    Status.SENT: {Status.REPLY_RECEIVED, Status.CLOSED},
    Status.REPLY_RECEIVED: {Status.CLOSED},
    Status.CLOSED: set(),
}
EDITABLE = {Status.DRAFT, Status.RETURNED, Status.AWAITING_APPROVAL, Status.APPROVED}


class EmailState(models.TextChoices):
    """Where a letter's e-mail is in the outbox (``letters.emails``)."""

    NONE = "", "Not by e-mail"
    PENDING = "pending", "Waiting to be e-mailed"
    CLAIMED = "claimed", "Being e-mailed"
    SENT = "sent", "E-mailed"


def letter_pdf_path(instance: Letter, filename: str) -> str:
    return f"letters/{instance.office_id}/{instance.reference}-{uuid.uuid4().hex[:12]}.pdf"


class Letter(OfficeScopedModel):
    """A letter drafted in ``office``. A joint letter has signatories from other offices too."""

    Status = Status

    class RecipientKind(models.TextChoices):
        POST = "post", "A post-holder (minister, PCC, chief constable, ...)"
        CONSTITUENT = "constituent", "The constituent of the linked case"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        POST = "post", "Post"

    EmailState = EmailState

    reference = models.CharField(max_length=24, editable=False)
    year = models.PositiveIntegerField(editable=False)
    number = models.PositiveIntegerField(editable=False)
    subject = models.CharField(max_length=300)
    body = models.TextField(help_text="Plain text; a blank line starts a new paragraph. Merge fields allowed.")
    template = models.ForeignKey(LetterTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="letters")
    cases = models.ManyToManyField(Case, through="LetterCase", related_name="letters")
    recipient_kind = models.CharField(max_length=20, choices=RecipientKind.choices, default=RecipientKind.POST)
    recipient_post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.PROTECT, related_name="letters")
    recipient_constituent = models.ForeignKey(
        Constituent, null=True, blank=True, on_delete=models.PROTECT, related_name="letters"
    )
    # A covering letter forwards a reply: the reply's document goes with it.
    encloses_reply = models.ForeignKey(
        "Reply", null=True, blank=True, on_delete=models.SET_NULL, related_name="covering_letters"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1, help_text="Raised on every change; guards against lost edits.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    # Frozen when the letter is sent.
    sent_on = models.DateField(null=True, blank=True)
    sent_channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_to = models.TextField(blank=True, help_text="The address it went to, as it was on the day.")
    recipient_snapshot = models.JSONField(default=dict, blank=True)
    reply_due_on = models.DateField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True, help_text="When the mail server accepted the e-mail.")
    # A letter sent by e-mail waits in the outbox until the mail server accepts it (mpoffice.outbox).
    email_state = models.CharField(max_length=10, choices=EmailState.choices, blank=True, default="")
    email_claim = models.CharField(max_length=32, blank=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    pdf = models.FileField(upload_to=letter_pdf_path, blank=True, max_length=200)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    published_on = models.DateField(null=True, blank=True, help_text="When it was made public as an open letter.")

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["office", "reference"], name="letter_unique_reference"),
            models.UniqueConstraint(fields=["office", "year", "number"], name="letter_unique_number"),
        ]
        indexes = [
            models.Index(fields=["office", "status", "-updated_at"], name="letter_office_status"),
            models.Index(fields=["office", "status", "reply_due_on"], name="letter_office_due"),
            # The outbox sweep reads the few letters whose e-mail is waiting, every minute.
            models.Index(
                fields=["email_state"],
                condition=models.Q(email_state__in=["pending", "claimed"]),
                name="letter_email_outbox",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("letters:detail", kwargs={"pk": self.pk})

    def can_transition(self, to: str) -> bool:
        return to in TRANSITIONS[self.status]

    def transition_refusal(self, to: str) -> str:
        allowed = ", ".join(Status(s).label.lower() for s in sorted(TRANSITIONS[self.status])) or "nothing"
        return (
            f"A letter that is {self.get_status_display().lower()} cannot become {Status(to).label.lower()}; "
            f"from here it can become: {allowed}."
        )

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def is_joint(self) -> bool:
        return len(self.signatories.all()) > 1

    @property
    def letter_date(self) -> date:
        return self.sent_on or timezone.localdate()

    def is_reply_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status == Status.SENT and self.reply_due_on is not None and self.reply_due_on < today

    @property
    def organisation(self) -> Organisation | None:
        return self.recipient_post.organisation if self.recipient_post_id else None


class LetterCase(OfficeScopedModel):
    """A case a letter is about; always a case of the drafting office."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="letter_cases")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="letter_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["letter", "case"], name="lettercase_unique")]
        indexes = [models.Index(fields=["office", "case"], name="lettercase_office_case")]


class LetterSignatory(OfficeScopedModel):
    """One MP signing a letter. ``office`` is the signing MP's office (not always the drafter)."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        RETURNED = "returned", "Returned with comments"

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="signatories")
    signer_name = models.CharField(max_length=200)
    constituency = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(default=timezone.now)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["letter", "office"], name="signatory_one_per_office")]
        indexes = [models.Index(fields=["office", "letter"], name="signatory_office_letter")]

    def __str__(self) -> str:
        return f"{self.signer_name} MP ({self.constituency})"


class LetterTransition(OfficeScopedModel):
    """Who moved a letter from one status to another, when, and why. ``office`` = the actor's."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


def reply_document_path(instance: Reply, filename: str) -> str:
    return f"replies/{instance.office_id}/{uuid.uuid4().hex}"


class Reply(OfficeScopedModel):
    class Outcome(models.TextChoices):
        ANSWERED = "answered", "Answered our points"
        HOLDING = "holding", "Holding reply (a full answer will follow)"
        ACTION = "action", "Agreed to act"
        DECLINED = "declined", "Declined"
        REFERRED = "referred", "Referred to another body"
        OTHER = "other", "Other"

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="replies")
    received_on = models.DateField()
    from_name = models.CharField("from", max_length=200)
    summary = models.TextField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    document = models.FileField(upload_to=reply_document_path, blank=True, max_length=200)
    document_name = models.CharField(max_length=255, blank=True)
    document_type = models.CharField(max_length=100, blank=True)
    document_size = models.PositiveBigIntegerField(null=True, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    days_to_reply = models.PositiveIntegerField(help_text="Calendar days from sending to the reply.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["office", "-received_on"], name="reply_office_received")]

    def __str__(self) -> str:
        return f"Reply from {self.from_name} ({day(self.received_on)})"

    def get_absolute_url(self) -> str:
        return self.letter.get_absolute_url()


# --- bulk replies (mail merge) -----------------------------------------------------------------


class BulkRun(OfficeScopedModel):
    """One mail merge: a template sent to every constituent of a campaign or a filtered case list."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Previewed, not started"
        AWAITING_APPROVAL = "awaiting", "Waiting for the MP's approval"
        APPROVED = "approved", "Approved by the MP, not started"
        RETURNED = "returned", "Returned by the MP"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    NOT_STARTED = (Status.DRAFT, Status.AWAITING_APPROVAL, Status.APPROVED, Status.RETURNED)

    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The case-list filters chosen, when the run is not a campaign's: with the campaign, what
    # the recipients are counted again from before an approved run starts.
    case_filter = models.JSONField(null=True, blank=True)
    description = models.CharField(max_length=300, help_text="Who the letters go to, as chosen.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    total = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # What the MP approved: this many letters from this text (``LetterTemplate.fingerprint``).
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_total = models.PositiveIntegerField(null=True, blank=True)
    approved_template_fingerprint = models.CharField(max_length=64, blank=True)
    # The MP's last return, kept after the run is sent back so that the MP sees what was asked.
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    return_comment = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Moved on by every chunk: a running run that stops moving has lost its worker (resume sweep).
    last_progress_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["office", "-created_at"], name="bulkrun_office_created"),
            models.Index(fields=["status", "last_progress_at"], name="bulkrun_status_progress"),
            models.Index(fields=["office", "status"], name="bulkrun_office_status"),
        ]

    def __str__(self) -> str:
        return f"Bulk reply #{self.pk}: {self.description}"

    def get_absolute_url(self) -> str:
        return reverse("letters:bulk-detail", kwargs={"pk": self.pk})

    @property
    def is_started(self) -> bool:
        return self.status not in self.NOT_STARTED


def bulk_batch_path(instance: BulkBatch, filename: str) -> str:
    return f"bulk/{instance.office_id}/run-{instance.run_id}-batch-{instance.number:04d}-{uuid.uuid4().hex[:8]}.pdf"


class BulkBatch(OfficeScopedModel):
    """A print-ready PDF of the run's postal letters (one chunk's worth), each letter on new pages."""

    run = models.ForeignKey(BulkRun, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    pdf = models.FileField(upload_to=bulk_batch_path, max_length=200)
    letters = models.PositiveIntegerField()
    pages = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="bulkbatch_unique_number")]


class BulkItem(OfficeScopedModel):
    """One constituent of a run. Unique per run and constituent, and its letter is created in
    the same transaction that marks it done: nobody gets two letters from one run."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(BulkRun, on_delete=models.CASCADE, related_name="items")
    # Erasing a constituent (data protection) removes them from runs too.
    constituent = models.ForeignKey(Constituent, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True, help_text="Why it failed, and what to do.")
    letter = models.OneToOneField(Letter, null=True, blank=True, on_delete=models.SET_NULL, related_name="bulk_item")
    channel = models.CharField(max_length=10, choices=Letter.Channel.choices, blank=True)
    batch = models.ForeignKey(BulkBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["run", "constituent"], name="bulkitem_once_per_constituent")]
        indexes = [models.Index(fields=["run", "status"], name="bulkitem_run_status")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.constituent_id}: {self.status}"


__all__ = [
    "Letter",
    "LetterCase",
    "LetterReferenceCounter",
    "LetterSignatory",
    "LetterTemplate",
    "LetterTransition",
    "Office",
    "Organisation",
    "Post",
    "PostHolder",
    "Reply",
    "Status",
]
