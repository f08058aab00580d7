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
