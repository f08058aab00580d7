"""The form staff use to connect an office mailbox (IMAP). The password is write-only: the
field is always rendered empty, and left empty it keeps the stored one."""

from __future__ import annotations

from django import forms

from casework.forms import _helper
from inbound.models import MailboxConnection


class MailboxConnectionForm(forms.ModelForm):
    secret = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted and never shown again. Leave empty to keep the stored password.",
    )

    class Meta:
        model = MailboxConnection
        fields = ["name", "host", "port", "security", "username", "folder", "move_to", "is_active"]
        labels = {"username": "User name", "host": "Server (IMAP)"}

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.office = office
        self.instance.kind = MailboxConnection.Kind.IMAP
        self.fields["host"].required = True
        self.fields["username"].required = True
        self.helper = _helper(
            "Save mailbox", "name", "host", "port", "security", "username", "secret", "folder", "move_to", "is_active"
        )

    def clean(self):
        data = super().clean()
        if not self.instance.secret_encrypted and not data.get("secret"):
            self.add_error("secret", "Enter the mailbox's password.")
        if data.get("move_to") and data.get("move_to") == data.get("folder"):
            self.add_error("move_to", "Choose another folder than the one Postbag reads, or leave this empty.")
        return data


class GraphConnectionForm(forms.ModelForm):
    """A Microsoft 365 shared mailbox, read through Graph by an app registered in the office's
    tenant with the application permission Mail.Read (client credentials)."""

    secret = forms.CharField(
        label="Client secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="The app registration's client secret value. Stored encrypted and never shown again; "
        "leave empty to keep the stored one.",
    )

    class Meta:
        model = MailboxConnection
        fields = ["name", "tenant_id", "client_id", "mailbox_address", "is_active"]
        labels = {"tenant_id": "Directory (tenant) ID", "client_id": "Application (client) ID"}

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.office = office
        self.instance.kind = MailboxConnection.Kind.GRAPH
        for name in ("tenant_id", "client_id", "mailbox_address"):
            self.fields[name].required = True
        self.helper = _helper(
            "Save mailbox", "name", "tenant_id", "client_id", "secret", "mailbox_address", "is_active"
        )

    def clean(self):
        data = super().clean()
        if not self.instance.secret_encrypted and not data.get("secret"):
            self.add_error("secret", "Enter the application's client secret.")
        return data


def connection_form(connection: MailboxConnection | None, kind: str):
    if (connection.kind if connection else kind) == MailboxConnection.Kind.GRAPH:
        return GraphConnectionForm
    return MailboxConnectionForm
