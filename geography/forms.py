"""Forms of geography: the office's constituency and an upload of the postcode directory."""

from __future__ import annotations

from django import forms

from geography.models import GSS_CODE

MAX_UPLOAD_BYTES = 2 * 1024**3  # the ONSPD zip is about 250 MB, its UK CSV about 1.4 GB


class OfficeAreaForm(forms.Form):
    constituency_code = forms.CharField(
        label="Constituency code",
        max_length=12,
        help_text="The GSS code of the office's Westminster constituency, e.g. E14001376.",
        widget=forms.TextInput(attrs={"list": "constituency-codes", "autocomplete": "off"}),
    )

    def clean_constituency_code(self) -> str:
        code = self.cleaned_data["constituency_code"].strip().upper()
        GSS_CODE(code)
        return code


class DirectoryUploadForm(forms.Form):
    label = forms.CharField(label="Edition", max_length=120, help_text="As the ONS names it, e.g. ONSPD February 2025.")
    published_on = forms.DateField(label="Published on", help_text="The ONS publication date, e.g. 20/02/2025.")
    file = forms.FileField(
        label="Directory file",
        help_text="The zip as downloaded from the ONS Open Geography Portal, or the CSV from its Data folder.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 2 GB; upload the zip as downloaded instead.")
        if not upload.name.lower().endswith((".zip", ".csv")):
            raise forms.ValidationError("Upload the ONS zip or a CSV file.")
        return upload
