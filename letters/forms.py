"""Forms of the letters app: they validate input; the services do the saving."""

from __future__ import annotations

import re

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services import campaigns_for
from casework.selectors import cases_for
from inbound.models import InboundMessage
from letters import merge
from letters.models import Letter, LetterTemplate, Organisation, Post, PostHolder, Reply
from letters.selectors import post_for_area, posts_for, templates_for
from letters.services import reply_document_check
from mpoffice.formats import day
from mpoffice.forms import OfficeScopedModelForm
from mpoffice.models import Membership, Office

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _merge_clean(value: str) -> str:
    problems = merge.template_problems(value)
    if problems:
        raise forms.ValidationError(problems)
    return value


SIGN_OFF_HELP = (
    "The letterhead adds the greeting (Dear …), “Yours sincerely” and each MP's signature: "
    "end with your last paragraph."
)
_SIGN_OFF = re.compile(r"^\s*(yours\s+(sincerely|faithfully|truly)|kind\s+regards|best\s+wishes)\b", re.IGNORECASE)


def _sign_off_clean(body: str) -> str:
    """A sign-off typed at the end of a body would print twice, above the letterhead's own."""
    closing = [line for line in body.splitlines() if line.strip()][-3:]
    if any(_SIGN_OFF.match(line) for line in closing):
        raise forms.ValidationError(
            "Remove the sign-off at the end: the letterhead already adds “Yours sincerely” and the "
            "signature, so the letter would have two."
        )
    return body


class LetterForm(forms.Form):
    subject = forms.CharField(max_length=300)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=(
            f"Plain text; a blank line starts a new paragraph. {SIGN_OFF_HELP} "
            f"Merge fields: {merge.allowed_fields_text()}."
        ),
    )
    recipient_kind = forms.ChoiceField(
        label="To", choices=Letter.RecipientKind.choices, widget=forms.RadioSelect, initial=Letter.RecipientKind.POST
    )
    recipient_post = forms.ModelChoiceField(label="Post", queryset=Post.objects.none(), required=False)
    recipient_route = forms.ChoiceField(
        label="Or the post responsible for the constituent's area",
        choices=[("", "No: the post chosen above"), *Post.AreaRole.choices],
        required=False,
        help_text="Found from the postcode of the first case's constituent, e.g. the PCC for their area.",
    )
    case_references = forms.CharField(
        label="About cases",
        required=False,
        help_text="Case references separated by commas or spaces, e.g. MKS-2026-00123.",
    )
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, membership: Membership, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.fields["recipient_post"].queryset = posts_for(membership=membership)
        self.fields["campaign"].queryset = Campaign.objects.for_office(membership.office)

    def clean_subject(self) -> str:
        return _merge_clean(self.cleaned_data["subject"])

    def clean_body(self) -> str:
        return _sign_off_clean(_merge_clean(self.cleaned_data["body"]))

    def clean_case_references(self):
        raw = self.cleaned_data["case_references"]
        references = [ref.upper() for ref in re.split(r"[\s,;]+", raw) if ref]
        if not references:
            return []
        found = {
            case.reference: case for case in cases_for(membership=self.membership).filter(reference__in=references)
        }
        missing = [ref for ref in references if ref not in found]
        if missing:
            raise forms.ValidationError(
                f"No case of this office has the reference {', '.join(missing)}. Check the reference on the case page."
            )
        return [found[ref] for ref in dict.fromkeys(references)]

    def clean(self):
        data = super().clean()
        kind = data.get("recipient_kind")
        if kind == Letter.RecipientKind.POST and data.get("recipient_route"):
            self._route(data)
        if kind == Letter.RecipientKind.POST and not data.get("recipient_post"):
            self.add_error("recipient_post", "Choose the post the letter is to.")
        if kind == Letter.RecipientKind.CONSTITUENT:
            cases = data.get("case_references") or []
            person = None
            if cases:
                case = cases[0]
                person = case.correspondent or case.constituents.first()
            if person is None:
                self.add_error(
                    "case_references", "A letter to a constituent needs a case: give the reference of their case."
                )
            data["recipient_constituent"] = person
        else:
            data["recipient_constituent"] = None
        return data

    def _route(self, data: dict) -> None:
        """Set the post from the area of the first case's constituent ("the council for this constituent")."""
        cases = data.get("case_references") or []
        person = (cases[0].correspondent or cases[0].constituents.first()) if cases else None
        if person is None:
            self.add_error("case_references", "Give the case, so that Postbag knows whose area the letter is about.")
            return
        post, problem = post_for_area(membership=self.membership, role=data["recipient_route"], constituent=person)
        if post is None:
            self.add_error("recipient_route", problem)
        else:
            data["recipient_post"] = post


class NewLetterForm(LetterForm):
    template = forms.ModelChoiceField(
        queryset=LetterTemplate.objects.none(),
        required=False,
        help_text="Start from a template (its subject and text replace the subject and body below), "
        "or leave empty to write from scratch.",
    )
    field_order = ["template", "subject", "body"]

    def __init__(self, *args, membership: Membership, **kwargs) -> None:
        super().__init__(*args, membership=membership, **kwargs)
        self.fields["template"].queryset = templates_for(membership=membership)
        self.fields["subject"].required = False
        self.fields["body"].required = False

    def clean(self):
        data = super().clean()
        if not data.get("template"):
            for name in ("subject", "body"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, f"Write the {name}, or choose a template.")
        return data


class CosignForm(forms.Form):
    office = forms.ModelChoiceField(label="Invite another MP to co-sign", queryset=Office.objects.none())

    def __init__(self, *args, office: Office, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = Office.objects.exclude(pk=office.pk).order_by("name")
        # Drawn inside the letter page's own <form> (crispy gives the select its form-select).
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="What should change", widget=forms.Textarea(attrs={"rows": 4}), help_text="The drafter sees this."
    )


class SendForm(forms.Form):
    channel = forms.ChoiceField(label="Send by", choices=Letter.Channel.choices, widget=forms.RadioSelect)
    sent_on = forms.DateField(label="Date sent", widget=DATE_INPUT, initial=timezone.localdate)

    def clean_sent_on(self):
        sent_on = self.cleaned_data["sent_on"]
        if sent_on > timezone.localdate():
            raise forms.ValidationError("A letter cannot be sent in the future: use today's date or earlier.")
        return sent_on


class CloseForm(forms.Form):
    comment = forms.CharField(label="Why close it", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReplyForm(forms.ModelForm):
    document = forms.FileField(
        required=False, help_text="The reply itself: PDF, Word, an image of a scanned letter, or an e-mail (.eml)."
    )

    class Meta:
        model = Reply
        fields = ["received_on", "from_name", "summary", "outcome"]
        widgets = {"received_on": DATE_INPUT, "summary": forms.Textarea(attrs={"rows": 5})}

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError("A reply cannot be received in the future.")
        return received_on

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document:
            reply_document_check(document)
        return document


class ForwardForm(forms.Form):
    template = forms.ModelChoiceField(
        label="Covering letter template",
        queryset=LetterTemplate.objects.none(),
        help_text="Each constituent gets their own covering letter from this template.",
    )

    def __init__(self, *args, membership: Membership, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates_for(membership=membership)


class TemplateForm(OfficeScopedModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["name", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16})}
        help_texts = {
            "body": f"Plain text; a blank line starts a new paragraph. {SIGN_OFF_HELP} "
            f"Merge fields: {merge.allowed_fields_text()}."
        }

    def clean_subject(self):
        return _merge_clean(self.cleaned_data["subject"])

    def clean_body(self):
        return _sign_off_clean(_merge_clean(self.cleaned_data["body"]))


class OrganisationForm(OfficeScopedModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "address", "email", "reply_target_working_days", "notes"]
        widgets = {"address": forms.Textarea(attrs={"rows": 4}), "notes": forms.Textarea(attrs={"rows": 3})}


class PostForm(OfficeScopedModelForm):
    scope_fields = ("office", "organisation")

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, office=organisation.office, **kwargs)
        self.instance.organisation = organisation

    class Meta:
        model = Post
        fields = ["title", "salutation", "area_role", "area_code"]


class PostHolderForm(forms.ModelForm):
    post = forms.ModelChoiceField(queryset=Post.objects.none())

    class Meta:
        model = PostHolder
        fields = ["post", "name", "started_on", "ended_on"]
        widgets = {"started_on": DATE_INPUT, "ended_on": DATE_INPUT}

    def __init__(self, *args, organisation: Organisation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = organisation.posts.all()

    def clean(self):
        data = super().clean()
        started, ended = data.get("started_on"), data.get("ended_on")
        if started and ended and ended < started:
            self.add_error("ended_on", "The end date must be on or after the start date.")
        return data


class BulkNewForm(forms.Form):
    template = forms.ModelChoiceField(queryset=None, label="Letter template", empty_label="Choose a template")
    source = forms.ChoiceField(
        label="Who gets the letter",
        choices=[
            ("campaign", "Every constituent on a campaign's cases"),
            ("cases", "Every constituent on the cases matching the filters below"),
        ],
        widget=forms.RadioSelect,
        initial="campaign",
    )
    campaign = forms.ModelChoiceField(queryset=None, required=False, empty_label="Choose a campaign")

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates_for(membership=membership)
        self.fields["campaign"].queryset = campaigns_for(membership=membership)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") == "campaign" and not cleaned.get("campaign"):
            self.add_error("campaign", "Choose the campaign whose constituents should get the letter.")
        return cleaned


class BulkReturnForm(forms.Form):
    comment = forms.CharField(
        label="What should change?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The staff member who prepared it is told, with your comment.",
    )


class LetterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, letter: Letter) -> str:
        to_whom = letter.recipient_post.organisation.name if letter.recipient_post_id else "a constituent"
        sent = f", sent {day(letter.sent_on)}" if letter.sent_on else ""
        return f"{letter.reference} – {letter.subject} (to {to_whom}{sent})"


class InboundReplyForm(forms.Form):
    letter = LetterChoiceField(
        queryset=Letter.objects.none(),
        label="The letter it answers",
        empty_label="(choose a letter)",
        help_text="Sent letters still waiting for a reply, soonest due first.",
        error_messages={
            "required": "Choose the letter this e-mail answers.",
            "invalid_choice": "That letter is not waiting for a reply any more, or is not one you may see. "
            "Choose one from the list.",
        },
    )
    outcome = forms.ChoiceField(choices=Reply.Outcome.choices, initial=Reply.Outcome.OTHER)

    def __init__(self, *args, letters, message: InboundMessage, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["letter"].queryset = letters
        self.message = message

    def clean_letter(self) -> Letter:
        letter = self.cleaned_data["letter"]
        sent_at = self.message.sent_at
        if sent_at is not None and timezone.localdate(sent_at) < letter.sent_on:
            raise forms.ValidationError(
                f"This e-mail was written on {day(timezone.localdate(sent_at))}, before letter "
                f"{letter.reference} was sent ({day(letter.sent_on)}), so it cannot be its reply. "
                "Choose another letter, or attach the e-mail to a case."
            )
        return letter
