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
