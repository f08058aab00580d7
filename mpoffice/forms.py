from django import forms


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
