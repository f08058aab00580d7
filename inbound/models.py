from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from casework.models.cases import Case
from casework.models.constituents import Constituent
from casework.models.contacts import Contact
from mpoffice.models import OfficeScopedModel


def inbound_message_path(instance: InboundMessage, filename: str) -> str:
    # A random name: nothing the sender chose reaches the file system.
    return f"inbound/{instance.office_id}/{uuid.uuid4().hex}.eml"


class InboundMessage(OfficeScopedModel):
    """An e-mail that arrived (uploaded, pasted or taken from a Maildir), kept as received.

    A message whose subject carries one of the office's case references is attached to that
    case on arrival (when the person adding it may see the case), a reply to one of our letters
    is filed as the letter's reply; any other waits in the inbox until someone triages it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for triage"
        ATTACHED = "attached", "Attached to a case"
        DISMISSED = "dismissed", "Dismissed"

    class Source(models.TextChoices):
        UPLOAD = "upload", "Uploaded .eml file"
        PASTE = "paste", "Pasted message"
        MAILDIR = "maildir", "Mailbox (Maildir)"
        IMAP = "imap", "Office mailbox (IMAP)"
        GRAPH = "graph", "Office mailbox (Microsoft 365)"

    raw = models.FileField(upload_to=inbound_message_path, max_length=200)
    sha256 = models.CharField(max_length=64, help_text="Of the raw message as received.")
    fingerprint = models.CharField(
        max_length=64,
        help_text="Of its Message-ID and sender, or else of its decoded content: the same message is kept once.",
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    message_id = models.CharField(max_length=998, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    from_address = models.CharField(max_length=254, blank=True)
    to = models.TextField(blank=True)
    subject = models.CharField(max_length=998, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    body = models.TextField(blank=True)
    attachment_names = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    constituent = models.ForeignKey(
        Constituent, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages"
    )
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages")
    contact = models.OneToOneField(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_message"
    )
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    filed_as = models.CharField(
        max_length=300, blank=True, help_text="How another part of Postbag took it, e.g. as the reply to a letter."
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["office", "fingerprint"], name="inbound_message_once_per_office"),
        ]
        indexes = [models.Index(fields=["office", "status", "-received_at"], name="inbound_office_status")]

    def __str__(self) -> str:
        return self.subject or "(no subject)"

    def get_absolute_url(self) -> str:
        return reverse("inbound:inbound-detail", kwargs={"pk": self.pk})


# --- The office's mailbox: what Postbag has read of it, and how it connects to it ----------------
# Postbag never alters the office's mail: it records here what it has read (a Maildir file by its
# key, an IMAP message by its folder's UIDVALIDITY and UID, a Microsoft 365 mailbox by its delta
# link), so that reading the same mail again takes nothing twice and a refused file is reported once.


class MaildirEntry(OfficeScopedModel):
    """One file of a Maildir folder that Postbag has read (the file itself is left untouched)."""

    class Outcome(models.TextChoices):
        TAKEN = "taken", "Taken in"
        REFUSED = "refused", "Refused"

    folder = models.CharField(max_length=500, help_text="The Maildir folder's absolute path.")
    key = models.CharField(max_length=255, help_text="The file's Maildir key (its name before any ':2,' flags).")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=500, blank=True, help_text="Why a file was refused.")
    message = models.ForeignKey(InboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "folder", "key"], name="maildir_entry_once_per_folder"),
        ]

    def __str__(self) -> str:
        return f"{self.folder}/{self.key}"


class MailboxConnection(OfficeScopedModel):
    """A mailbox of the office that Postbag reads every minute: IMAP or Microsoft 365 (Graph).

    The secret (IMAP password or Graph client secret) is stored encrypted with the key from
    ``MAILBOX_SECRET_KEY`` (see ``inbound.mailbox_secrets``) and never shown back.
    """

    class Kind(models.TextChoices):
        IMAP = "imap", "IMAP"
        GRAPH = "graph", "Microsoft 365 (Graph)"

    class Security(models.TextChoices):
        TLS = "tls", "TLS (port 993)"
        STARTTLS = "starttls", "STARTTLS (port 143)"
        PLAIN = "plain", "None (only for a server on this machine)"

    class State(models.TextChoices):
        NEW = "new", "Not yet connected"
        OK = "ok", "Working"
        FAILING = "failing", "Failing"
        PAUSED = "paused", "Paused"

    name = models.CharField(max_length=100, help_text="For staff, e.g. “Office inbox”.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IMAP)
    is_active = models.BooleanField(default=True, help_text="Read this mailbox every minute.")
    # IMAP
    host = models.CharField(max_length=255, blank=True)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.TLS)
    username = models.CharField(max_length=254, blank=True)
    folder = models.CharField(max_length=200, default="INBOX")
    move_to = models.CharField(
        "Move processed mail to",
        max_length=200,
        blank=True,
        help_text="An IMAP folder; leave empty to leave mail where it is.",
    )
    # Microsoft 365
    tenant_id = models.CharField(max_length=100, blank=True)
    client_id = models.CharField(max_length=100, blank=True)
    mailbox_address = models.CharField(max_length=254, blank=True, help_text="The shared mailbox's address.")
    # The secret, encrypted (Fernet token); never rendered.
    secret_encrypted = models.TextField(blank=True)
    # Where reading has got to.
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uid_watermark = models.BigIntegerField(default=0, help_text="The highest UID taken in (IMAP).")
    delta_link = models.TextField(blank=True, help_text="Graph's @odata.deltaLink for the next read.")
    # Health, for System status.
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed attempts in a row (back-off).")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    polling_since = models.DateTimeField(null=True, blank=True, help_text="Claimed by a worker (one at a time).")
    taken_total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inbound:mailbox-edit", kwargs={"pk": self.pk})
