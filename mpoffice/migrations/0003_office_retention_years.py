import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mpoffice", "0002_notifications_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="office",
            name="retention_years",
            field=models.PositiveSmallIntegerField(
                default=6,
                help_text="Closed cases older than this are listed for staff to anonymise or delete.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(100),
                ],
                verbose_name="retention period (years)",
            ),
        ),
    ]
