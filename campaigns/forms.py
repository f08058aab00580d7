"""Forms for surveys and campaigns (kept apart from the casework forms module while both grow)."""

from dataclasses import dataclass
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from campaigns.models import Campaign, FollowUpAction, KeyFact, Meeting, Survey
from campaigns.surveys import ColumnPlan, ColumnRole, ParsedFile, option_counts
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
        label="Survey export (CSV or Excel .xlsx)",
        help_text=(
            "The file as downloaded from Google Forms, Microsoft Forms or SurveyMonkey, or any table "
            "with one row per respondent and the column names in the first row."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("upload", "Upload and choose columns"))


SELECT = {"class": "form-select form-select-sm"}
NUMBER = forms.NumberInput(attrs={"class": "form-control form-control-sm"})
SEPARATOR_CHOICES = [(";", "Semicolon ( ; )"), (",", "Comma ( , )")]


@dataclass
class ColumnFields:
    """The fields of one column of the mapping form, for the template."""

    header: str
    role: forms.BoundField
    options: forms.BoundField
    other: forms.BoundField
    separator: forms.BoundField
    scale_min: forms.BoundField
    scale_max: forms.BoundField
    day_first: forms.BoundField
    examples: list[str]
    outside: list[tuple[str, int]]  # answers that are not in the guessed options, with counts


class ColumnMappingForm(forms.Form):
    """Per column: what it holds and, for a question, the options or scale that are valid."""

    def __init__(self, *args, parsed: ParsedFile, initial_mapping: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parsed = parsed
        self.headers = parsed.headers
        for index, header in enumerate(self.headers):
            value = initial_mapping.get(header, ColumnRole.IGNORE)
            plan = ColumnPlan(role=value) if isinstance(value, str) else ColumnPlan.from_json(value)
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header, choices=ColumnRole.CHOICES, initial=plan.role, widget=forms.Select(attrs=SELECT)
            )
            self.fields[f"options_{index}"] = forms.CharField(
                label="Options, one a line",
                required=False,
                initial="\n".join(plan.options),
                widget=forms.Textarea(attrs={"rows": min(8, max(2, len(plan.options))), "class": "form-control"}),
            )
            self.fields[f"other_{index}"] = forms.BooleanField(
                label="The question had an “Other” box: count answers outside the list as “Other”",
                required=False,
                initial=plan.other,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )
            self.fields[f"separator_{index}"] = forms.ChoiceField(
                label="Options in one cell are separated by",
                choices=SEPARATOR_CHOICES,
                initial=plan.separator,
                widget=forms.Select(attrs=SELECT),
            )
            self.fields[f"scale_min_{index}"] = forms.IntegerField(
                label="Lowest rating", initial=plan.scale[0], min_value=0, max_value=1000, required=False, widget=NUMBER
            )
            self.fields[f"scale_max_{index}"] = forms.IntegerField(
                label="Highest rating",
                initial=plan.scale[1],
                min_value=1,
                max_value=1000,
                required=False,
                widget=NUMBER,
            )
            self.fields[f"day_first_{index}"] = forms.TypedChoiceField(
                label="Dates are written",
                choices=[("1", "Day first (31/12/2026)"), ("0", "Month first (12/31/2026)")],
                coerce=lambda v: v == "1",
                initial="1" if plan.day_first else "0",
                widget=forms.Select(attrs=SELECT),
            )

    def columns(self) -> list[ColumnFields]:
        result = []
        for index, header in enumerate(self.headers):
            values = [row[header] for row in self.parsed.rows if row[header]]
            role = self[f"column_{index}"].value()
            options_text = self[f"options_{index}"].value() or ""
            options = [line.strip() for line in str(options_text).splitlines() if line.strip()]
            separator = self[f"separator_{index}"].value() or ";"
            outside: list[tuple[str, int]] = []
            if role in ColumnRole.CHOICE_ROLES:
                known = {o.casefold() for o in options}
                counts = option_counts(values, role, str(separator), options)
                outside = [(label, n) for label, n in counts.most_common() if label.casefold() not in known][:20]
            result.append(
                ColumnFields(
                    header=header,
                    role=self[f"column_{index}"],
                    options=self[f"options_{index}"],
                    other=self[f"other_{index}"],
                    separator=self[f"separator_{index}"],
                    scale_min=self[f"scale_min_{index}"],
                    scale_max=self[f"scale_max_{index}"],
                    day_first=self[f"day_first_{index}"],
                    examples=list(dict.fromkeys(values))[:4],
                    outside=outside,
                )
            )
        return result

    def mapping(self) -> dict[str, dict[str, Any]]:
        mapping = {}
        for index, header in enumerate(self.headers):
            data = self.cleaned_data
            options = [line.strip() for line in data[f"options_{index}"].splitlines() if line.strip()]
            mapping[header] = ColumnPlan(
                role=data[f"column_{index}"],
                options=list(dict.fromkeys(options)),
                other=data[f"other_{index}"],
                separator=data[f"separator_{index}"],
                scale=(
                    1 if data[f"scale_min_{index}"] is None else data[f"scale_min_{index}"],
                    5 if data[f"scale_max_{index}"] is None else data[f"scale_max_{index}"],
                ),
                day_first=data[f"day_first_{index}"],
            ).to_json()
        return mapping


class ResultsForm(forms.Form):
    """How the results page shows the figures: compared with another survey, weighted by ward."""

    compare = forms.ModelChoiceField(
        queryset=Survey.objects.none(), required=False, label="Compare with", empty_label="No comparison"
    )

    def __init__(self, *args: Any, survey: Survey, wards: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compare"].queryset = Survey.objects.for_office(survey.office).exclude(pk=survey.pk)
        self.fields["compare"].widget.attrs["class"] = "form-select form-select-sm"
        self.wards = wards
        for ward in wards:
            self.fields[f"share_{ward.pk}"] = forms.DecimalField(
                label=ward.name,
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "0.1"}),
            )

    def share_fields(self) -> list[forms.BoundField]:
        return [self[f"share_{ward.pk}"] for ward in self.wards]

    def ward_shares(self) -> dict[str, float]:
        """Each ward's share of the population, as entered (per cent); empty when none is given."""
        if not self.is_valid():
            return {}
        return {
            ward.name: float(self.cleaned_data[f"share_{ward.pk}"])
            for ward in self.wards
            if self.cleaned_data.get(f"share_{ward.pk}")
        }


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
