"""Forms for surveys and campaigns (kept apart from the casework forms module while both grow)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from campaigns.models import Campaign, FollowUpAction, KeyFact, Meeting, Survey
from campaigns.surveys import ColumnRole
from casework.models import Topic


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["title", "description", "opened_on", "closed_on"]
        widgets = {
            "opened_on": forms.DateInput(attrs={"type": "date"}),
            "closed_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.office = office
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save survey"))

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if Survey.objects.for_office(self.office).filter(title__iexact=title).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("This office already has a survey with that title.")
        return title

    def clean(self):
        cleaned = super().clean()
        opened, closed = cleaned.get("opened_on"), cleaned.get("closed_on")
        if opened and closed and closed < opened:
            self.add_error("closed_on", "The survey cannot close before it opened.")
        return cleaned


class SurveyUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file of responses", help_text="One row per respondent, first row the column names."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("upload", "Upload and choose columns"))


class ColumnMappingForm(forms.Form):
    """One select per CSV column: what the column holds."""

    def __init__(self, *args, headers: list[str], initial_mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header, choices=ColumnRole.CHOICES, initial=initial_mapping.get(header, ColumnRole.IGNORE)
            )

    def mapping(self) -> dict[str, str]:
        return {header: self.cleaned_data[f"column_{index}"] for index, header in enumerate(self.headers)}


class FindingForm(forms.Form):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), label="Save to campaign")

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.for_office(office).filter(status=Campaign.Status.ACTIVE)


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "description", "status", "topics", "rule_since"]
        widgets = {"rule_since": forms.DateInput(attrs={"type": "date"}), "topics": forms.CheckboxSelectMultiple}

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.office = office
        self.fields["topics"].queryset = (
            Topic.objects.for_office(office).filter(is_active=True).select_related("parent")
        )
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save campaign"))

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Campaign.objects.for_office(self.office).filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("This office already has a campaign with that name.")
        return name


class CampaignCaseForm(forms.Form):
    reference = forms.CharField(label="Case reference", help_text="For example MKS-2026-00123.", max_length=24)

    def __init__(self, *args, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = cases

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip().upper()
        case = self.cases.filter(reference=reference).first()
        if case is None:
            raise forms.ValidationError(f"No case {reference} in this office. Check the reference and try again.")
        self.cleaned_data["case"] = case
        return reference


class KeyFactForm(forms.ModelForm):
    source_url = forms.URLField(label="Source link", required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = KeyFact
        fields = ["statement", "source", "source_url", "stated_on"]
        widgets = {"stated_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["held_on", "place", "attendees", "notes"]
        widgets = {"held_on": forms.DateInput(attrs={"type": "date"}), "attendees": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class ActionForm(forms.ModelForm):
    class Meta:
        model = FollowUpAction
        fields = ["description", "owner", "due_on"]
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        user_model = self.fields["owner"].queryset.model
        self.fields["owner"].queryset = user_model.objects.filter(
            memberships__office=office, memberships__is_active=True
        ).order_by("first_name", "last_name")
        self.fields["owner"].label_from_instance = lambda user: user.get_full_name() or user.username
        self.helper = FormHelper()
        self.helper.form_tag = False
