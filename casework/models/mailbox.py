"""The office's mailbox: what Postbag has read of it, and how it connects to it.

Postbag never alters the office's mail: it records here what it has read (a Maildir file by
its key, an IMAP message by its folder's UIDVALIDITY and UID, a Microsoft 365 mailbox by its
delta link), so that reading the same mail again takes nothing twice and a refused file is
reported once.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from casework.models.inbound import InboundMessage
from mpoffice.models import OfficeScopedModel


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
    ``MAILBOX_SECRET_KEY`` (see ``casework.mailbox_secrets``) and never shown back.
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
        return reverse("casework:mailbox-edit", kwargs={"pk": self.pk})
