"""Sweep errors recorded before they were kept short carry a traceback, which the office's
System status page must not show: replace their text with the short message new rows get."""

from django.db import migrations

UNEXPECTED_SWEEP_ERROR = "Unexpected error: the server log has the details."


def forwards(apps, schema_editor):
    SweepError = apps.get_model("mpoffice", "SweepError")
    SweepError.objects.filter(error__contains="Traceback (most recent call last)").update(error=UNEXPECTED_SWEEP_ERROR)


class Migration(migrations.Migration):
    dependencies = [("mpoffice", "0005_office_staff_may_send_bulk")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
