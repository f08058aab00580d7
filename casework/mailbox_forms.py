"""The form staff use to connect an office mailbox (IMAP). The password is write-only: the
field is always rendered empty, and left empty it keeps the stored one."""

from __future__ import annotations

from django import forms

from casework.forms import _helper
from casework.models import MailboxConnection


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
