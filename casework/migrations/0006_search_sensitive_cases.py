from django.db import migrations

# PostgreSQL only, as the other search indexes of 0002: a caseworker's searches leave out the
# sensitive cases they may not read; this small partial index lists them without reading the
# whole case table (about 3% of cases are sensitive).
FORWARD = (
    "CREATE INDEX IF NOT EXISTS case_office_sensitive ON casework_case (office_id, assignee_id) WHERE is_sensitive"
)
BACKWARD = "DROP INDEX IF EXISTS case_office_sensitive"


def _run_on_postgres(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("casework", "0005_dataprotection")]

    operations = [migrations.RunPython(_run_on_postgres(FORWARD), _run_on_postgres(BACKWARD), elidable=False)]
