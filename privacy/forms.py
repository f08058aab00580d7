from django import forms

from mpoffice.models import Office
from privacy.models import RetentionReview


class ErasureForm(forms.Form):
    confirm = forms.BooleanField(
        label="I have checked who asked, and that the law lets us erase these records",
        help_text=(
            "Erasure cannot be undone. Records the office must keep (for example for a complaint) should not be erased."
        ),
    )


DECISION_CHOICES = [
    (RetentionReview.Decision.ANONYMISED, "Anonymise (keep the case for counts, remove personal data)"),
    (RetentionReview.Decision.DELETED, "Delete the cases"),
    (RetentionReview.Decision.KEPT, "Keep for another year"),
]


class RetentionDecisionForm(forms.Form):
    reviews = forms.ModelMultipleChoiceField(
        queryset=RetentionReview.objects.none(), widget=forms.CheckboxSelectMultiple, label="Cases"
    )
    decision = forms.ChoiceField(choices=DECISION_CHOICES, widget=forms.RadioSelect)

    def __init__(self, *args, reviews, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviews"].queryset = reviews

    def decision_label(self) -> str:
        """The decision taken, in a word or two for the confirmation: "anonymise", "delete the cases"."""
        return dict(DECISION_CHOICES)[self.cleaned_data["decision"]].split(" (")[0].lower()


class RetentionPeriodForm(forms.ModelForm):
    class Meta:
        model = Office
        fields = ["retention_years"]
