from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from mpoffice.models import Delivery, Office


class OfficeSwitchForm(forms.Form):
    office = forms.IntegerField()

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self._by_office = {m.office_id: m for m in memberships}

    def clean(self):
        cleaned = super().clean()
        membership = self._by_office.get(cleaned.get("office"))
        if membership is None:
            raise forms.ValidationError("You are not a member of that office.")
        cleaned["membership"] = membership
        return cleaned


class OfficeScopedModelForm(forms.ModelForm):
    """A model form for a tenant row: the office is set before validation.

    Django skips a unique constraint when one of its fields is not on the form, so a duplicate
    name in the office would reach the database as an IntegrityError; with the office (and any
    other ``scope_fields``) set and validated, it is a form error on the field instead.
    """

    scope_fields: tuple[str, ...] = ("office",)

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.office = office

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() - set(self.scope_fields)


LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG", "JPEG"}


class LetterheadForm(forms.ModelForm):
    """What every letter of the office prints at its head."""

    class Meta:
        model = Office
        fields = ["letterhead_address", "email", "phone", "logo"]
        widgets = {"letterhead_address": forms.Textarea(attrs={"rows": 4})}
        labels = {"email": "E-mail", "letterhead_address": "Letterhead address"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save letterhead"))

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if not logo or logo == self.instance.logo:
            return logo
        if logo.size > LOGO_MAX_BYTES:
            raise forms.ValidationError("The logo is larger than 1 MB. Save a smaller PNG or JPEG and try again.")
        # ImageField has already opened it with Pillow; the format is read from the content,
        # whatever the file is called.
        if getattr(logo, "image", None) is None or logo.image.format not in LOGO_FORMATS:
            raise forms.ValidationError("Upload the logo as a PNG or JPEG image.")
        return logo


class OfficeSettingsForm(forms.Form):
    """The office's audited settings (saved by ``office_settings_update``, never by the form)."""

    staff_may_send_bulk = forms.BooleanField(
        label=Office._meta.get_field("staff_may_send_bulk").verbose_name.capitalize(),
        help_text=Office._meta.get_field("staff_may_send_bulk").help_text,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save settings"))


class PreferenceForm(forms.Form):
    delivery = forms.ChoiceField(
        label="How should Postbag tell you about reminders?",
        choices=Delivery.choices,
        widget=forms.RadioSelect,
        help_text="Notifications always appear in Postbag as well. The weekly summary always goes by e-mail.",
    )
