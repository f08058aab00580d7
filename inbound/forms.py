"""Forms of the inbox: a message pasted or uploaded, attaching it to a case, opening a case from it,
and the form staff use to connect an office mailbox (IMAP; the password is write-only: the field is
always rendered empty, and left empty it keeps the stored one)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from casework.forms import _helper
from casework.models import Case, Topic
from inbound import services as inbound
from inbound.models import InboundMessage, MailboxConnection


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


class MessageForm(forms.Form):
    file = forms.FileField(label="E-mail file (.eml)", required=False)
    text = forms.CharField(
        label="…or paste the whole message, with its headers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text="In most mail programs: “View source” or “Show original”, then copy everything.",
    )

    def clean(self):
        data = super().clean()
        upload, text = data.get("file"), (data.get("text") or "").strip()
        if bool(upload) == bool(text):
            raise ValidationError("Upload one .eml file or paste one message (not both).")
        if upload is not None and upload.size > inbound.MESSAGE_MAX_BYTES:
            self.add_error("file", "The message is too large (more than 25 MB).")
        return data

    def raw(self) -> tuple[bytes, str]:
        if self.cleaned_data.get("file"):
            return self.cleaned_data["file"].read(), InboundMessage.Source.UPLOAD
        text = self.cleaned_data["text"].strip().replace("\r\n", "\n")
        return text.encode("utf-8"), InboundMessage.Source.PASTE


class AttachForm(forms.Form):
    case = forms.CharField(label="Case reference", max_length=30, help_text="For example MKS-2026-00123.")

    def __init__(self, *args, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = cases

    def clean_case(self) -> Case:
        text = self.cleaned_data["case"].strip().upper().strip("[]")
        prefix, _, rest = text.partition("-")
        year, _, number = rest.partition("-")
        if number.isdigit():
            text = f"{prefix}-{year}-{int(number):05d}"
        case = self.cases.filter(reference=text).first()
        if case is None:
            raise ValidationError("No case of this office has that reference. Check it, e.g. MKS-2026-00123.")
        return case


class OpenCaseForm(forms.Form):
    summary = forms.CharField(max_length=200, help_text="What the case is about, in a line.")
    topic: forms.ModelChoiceField[Topic] = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="(choose later)"
    )

    def __init__(self, *args, topics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics
