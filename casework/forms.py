"""Forms of casework: they validate input and carry their crispy layout; saving is done by
the services (casework.services), which the views call with ``cleaned_data``."""

from __future__ import annotations

import csv
import io

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.forms.utils import flatatt
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.safestring import SafeString

from casework.models import Case, Constituent, Contact, Topic
from casework.phones import phone_display, phone_normalise
from casework.postcodes import postcode_normalise
from casework.services import CASE_EDIT_FIELDS, CONSTITUENT_FIELDS, POSTCODE_CSV_COLUMNS, tag_names_parse
from casework.uploads import ALLOWED_DESCRIPTION

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _helper(submit_label: str, *layout, action: str = "") -> FormHelper:
    """``action``: the URL the form posts to, for a form drawn on another view's page (the
    case page's forms); left empty, the browser posts the form to the page it is on."""
    helper = FormHelper()
    helper.layout = Layout(*layout, Submit("submit", submit_label))
    if action:
        helper.form_action = action
    return helper


class ConstituentPicker(forms.Widget):
    """One constituent, chosen by searching (htmx radio buttons), not by an internal number.
    The choice is a radio group that always holds a "nobody" option, so clearing it is sent."""

    template_name = "casework/widgets/constituent_picker.html"

    def __init__(self, *, queryset, none_label: str, attrs: dict | None = None) -> None:
        super().__init__(attrs)
        self.queryset = queryset
        self.none_label = none_label

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = None
        if value not in (None, "") and str(value).isdigit():
            chosen = self.queryset.filter(pk=value).first()
        context["widget"].update(
            chosen=chosen,
            none_label=self.none_label,
            search_url=reverse("casework:constituent-autocomplete"),
            attrs_html=flatatt(context["widget"]["attrs"]),
        )
        return context

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        # A project template (the form renderer only looks in Django's own widget folders).
        return self._render(self.template_name, self.get_context(name, value, attrs), TemplatesSetting())


CHOSEN_BY_THE_PERSON = ("consent_to_contact", "contact_by_email", "contact_by_post", "contact_by_phone")


class ConstituentForm(forms.ModelForm):
    # Wider than the column: people type "mk9  3hq " and the cleaned value is at most 8.
    postcode = forms.CharField(max_length=20, required=False, help_text="A UK postcode, e.g. MK9 3HQ.")
    save_anyway = forms.BooleanField(
        required=False,
        label="These are different people: save anyway",
        help_text="Tick only if none of the records listed above is this constituent.",
    )

    class Meta:
        model = Constituent
        fields = list(CONSTITUENT_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"email": "E-mail", "contact_by_email": "Contact by e-mail"}
        help_texts = {"phone": "A UK number, e.g. 01908 555125 or 07700 900123.", "email": "e.g. name@example.org"}

    def __init__(self, *args, duplicates_possible: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].error_messages["invalid"] = "Enter an e-mail address such as name@example.org."
        if self.instance._state.adding:
            # Consent and channels are the person's choice: a new record starts with none ticked.
            for name in CHOSEN_BY_THE_PERSON:
                if name not in (kwargs.get("initial") or {}):
                    self.initial[name] = False
        if self.initial.get("phone"):
            self.initial["phone"] = phone_display(self.initial["phone"])
        if not duplicates_possible:
            del self.fields["save_anyway"]
        self.helper = _helper(
            "Save constituent",
            *(["save_anyway"] if duplicates_possible else []),
            Fieldset(
                "Who",
                "kind",
                Row(Column("title", css_class="col-md-2"), Column("first_name"), Column("last_name")),
                "organisation_name",
            ),
            Fieldset(
                "Address",
                "address_line1",
                "address_line2",
                Row(Column("town"), Column("postcode")),
            ),
            Fieldset("Contact details", Row(Column("email"), Column("phone")), "preferred_channel"),
            Fieldset(
                "Consent and flags",
                "consent_to_contact",
                Row(Column("contact_by_email"), Column("contact_by_post"), Column("contact_by_phone")),
                "is_vulnerable",
                "has_special_category_data",
            ),
            "notes",
        )

    def clean_postcode(self) -> str:
        value = self.cleaned_data["postcode"].strip()
        return postcode_normalise(value) if value else ""

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        return phone_normalise(value) if value else ""

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        data = super().clean()
        if data.get("kind") == Constituent.Kind.ORGANISATION:
            if not data.get("organisation_name"):
                self.add_error(
                    "organisation_name", "Enter the organisation's name, e.g. Fishermead Residents' Association."
                )
        elif not (data.get("first_name") or data.get("last_name")):
            self.add_error("last_name", "Enter the person's first name or last name.")
        return data

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}

    def _post_clean(self):
        # The ward and the merged flag are set by the service; skip the model's own validation of
        # fields it does not see here.
        pass


class ConstituentSearchForm(forms.Form):
    q = forms.CharField(
        label="Name, postcode, e-mail or phone", required=False, widget=forms.TextInput(attrs={"type": "search"})
    )


class PostcodeUploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="Columns: postcode,ward. One row per postcode, UTF-8.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Check and import", "file")
        self.helper.attrs = {"enctype": "multipart/form-data"}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        expected = ",".join(POSTCODE_CSV_COLUMNS)
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                f"The file is not UTF-8 text. Save it as CSV (UTF-8) with the columns {expected}."
            ) from None
        reader = csv.DictReader(io.StringIO(text))
        columns = [name.strip().lower() for name in (reader.fieldnames or [])]
        if sorted(columns) != sorted(POSTCODE_CSV_COLUMNS):
            raise ValidationError(f"The columns must be exactly {expected} (found: {', '.join(columns) or 'none'}).")
        reader.fieldnames = columns
        return list(reader)


class TopicForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["name", "parent"]
        help_texts = {"parent": "Leave empty for a top-level topic, e.g. Housing; pick one for e.g. Housing › Repairs."}

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.office = office
        parents = Topic.objects.for_office(office).filter(parent=None, is_active=True)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].label = "Parent topic"
        self.helper = _helper("Save topic", "name", "parent")

    def clean(self):
        data = super().clean()
        name = data.get("name")
        if name:
            same = Topic.objects.for_office(self.instance.office).filter(name__iexact=name, parent=data.get("parent"))
            if self.instance.pk:
                same = same.exclude(pk=self.instance.pk)
            if same.exists():
                self.add_error("name", "This office already has a topic with that name here; choose another name.")
        return data


class ConstituentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name} ({obj.postcode})" if obj.postcode else obj.display_name


class CaseForm(forms.ModelForm):
    """Create or edit a case. Constituents are picked with the autocomplete (checkboxes the
    template draws); the field's queryset is the office's, so another office's id is invalid."""

    constituents = ConstituentChoiceField(queryset=Constituent.objects.none(), widget=forms.MultipleHiddenInput)
    tags_text = forms.CharField(
        label="Tags",
        required=False,
        help_text="Separate tags with commas, e.g. knife crime, Fishermead. New tags are created.",
    )

    class Meta:
        model = Case
        fields = list(CASE_EDIT_FIELDS)
        widgets = {"review_by": DATE_INPUT, "description": forms.Textarea(attrs={"rows": 4})}
        labels = {"review_by": "Review by"}

    def __init__(self, *args, constituents, topics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["constituents"].queryset = constituents
        self.fields["constituents"].error_messages["required"] = (
            "Choose at least one constituent: search by name or postcode."
        )
        self.fields["topic"].queryset = topics
        self.fields["correspondent"].queryset = constituents
        self.fields["correspondent"].widget = ConstituentPicker(
            queryset=constituents, none_label="Nobody else: the constituent writes for themself"
        )
        self.fields["correspondent"].label = "Correspondent"
        self.fields[
            "correspondent"
        ].help_text = "Only when someone else writes on the constituent's behalf: search for them by name or postcode."
        if self.instance.pk and not self.is_bound:
            self.initial["tags_text"] = ", ".join(tag.name for tag in self.instance.tags.all())
        self.helper = _helper(
            "Save case",
            "summary",
            "description",
            Row(Column("topic"), Column("priority"), Column("review_by")),
            "is_sensitive",
            "tags_text",
            Fieldset(
                "Written on someone's behalf?",
                Row(Column("correspondent"), Column("correspondent_relationship")),
                "correspondent_consent",
            ),
        )
        self.helper.form_tag = False

    def clean_tags_text(self) -> list[str]:
        return tag_names_parse(self.cleaned_data["tags_text"])

    def clean(self):
        data = super().clean()
        correspondent = data.get("correspondent")
        relationship = data.get("correspondent_relationship")
        if correspondent and relationship == Case.Relationship.SELF:
            self.add_error("correspondent_relationship", "Say how the correspondent is related to the constituent.")
        if correspondent and not data.get("correspondent_consent", "").strip():
            self.add_error(
                "correspondent_consent", "Record how the constituent agreed that we may deal with the correspondent."
            )
        return data

    def _post_clean(self):
        pass  # reference, office and constituents are set by case_open / case_update

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class CaseStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Case.Status.choices)
    outcome = forms.ChoiceField(
        choices=[("", "—")] + list(Case.Outcome.choices), required=False, help_text="Needed when closing."
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, case: Case, **kwargs):
        kwargs.setdefault("initial", {"status": case.status, "outcome": case.outcome})
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            "Change status",
            Row(Column("status"), Column("outcome")),
            "comment",
            action=reverse("casework:case-status", args=[case.pk]),
        )

    def clean(self):
        data = super().clean()
        if data.get("status") == Case.Status.CLOSED and not data.get("outcome"):
            self.add_error("outcome", "Choose the outcome to close the case, e.g. Resolved.")
        return data


class CaseAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="Nobody")

    def __init__(self, *args, case: Case, members, **kwargs):
        kwargs.setdefault("initial", {"assignee": case.assignee_id})
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = members
        self.fields["assignee"].label_from_instance = lambda user: user.get_full_name() or user.get_username()
        self.helper = _helper("Assign", "assignee", action=reverse("casework:case-assign", args=[case.pk]))


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Add note", "text", action=reverse("casework:note-create", args=[case.pk]))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ContactForm(forms.ModelForm):
    attachments = MultipleFileField(required=False, help_text=f"Up to 10 MB each: {ALLOWED_DESCRIPTION}.")

    class Meta:
        model = Contact
        fields = ["channel", "direction", "occurred_at", "staff", "summary", "body"]
        widgets = {"occurred_at": DATETIME_INPUT, "body": forms.Textarea(attrs={"rows": 6})}
        labels = {"staff": "Staff member"}

    def __init__(self, *args, members, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = members
        self.fields["staff"].label_from_instance = lambda user: user.get_full_name() or user.get_username()
        self.fields["occurred_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        self.fields["attachments"].help_text = f"Up to {filesizeformat(max_bytes)} each: {ALLOWED_DESCRIPTION}."
        self.helper = _helper(
            "Log contact",
            Row(Column("channel"), Column("direction"), Column("occurred_at"), Column("staff")),
            "summary",
            "body",
            "attachments",
        )
        self.helper.attrs = {"enctype": "multipart/form-data"}

    def _post_clean(self):
        pass  # office, constituent and case are set by contact_log


class MergeForm(forms.Form):
    survivor = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)

    def __init__(self, *args, constituents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].queryset = constituents
        self.fields["survivor"].error_messages["invalid_choice"] = "Choose a constituent of this office to keep."
