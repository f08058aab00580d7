"""Inbound messages are kept once by their Message-ID (or decoded content), not their raw bytes.

Rows kept before this change get the fingerprint a new arrival of the same message would have
when it has a Message-ID; without one, their raw bytes' hash stands in (their attachments are
not re-read here). Two old rows that the new rule calls the same message both stay, the later
one marked apart, so nothing is lost.
"""

import hashlib

from django.db import migrations, models


def _fingerprint(row) -> str:
    if row.message_id:
        basis = ["message-id", row.from_address, row.message_id.strip().strip("<>").strip()]
    else:
        basis = ["raw", row.sha256]
    return hashlib.sha256("\n".join(basis).encode("utf-8")).hexdigest()


def fill_fingerprints(apps, schema_editor):
    InboundMessage = apps.get_model("casework", "InboundMessage")
    seen: set[tuple[int, str]] = set()
    rows = InboundMessage.objects.order_by("office_id", "pk").only(
        "pk", "office_id", "message_id", "from_address", "sha256"
    )
    for row in rows.iterator(chunk_size=2000):
        fingerprint = _fingerprint(row)
        if (row.office_id, fingerprint) in seen:
            fingerprint = hashlib.sha256(f"{fingerprint}\nkept-before-{row.pk}".encode()).hexdigest()
        seen.add((row.office_id, fingerprint))
        InboundMessage.objects.filter(pk=row.pk).update(fingerprint=fingerprint)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0006_search_sensitive_cases"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboundmessage",
            name="fingerprint",
            field=models.CharField(
                default="",
                help_text="Of its Message-ID and sender, or else of its decoded content: the same message is kept once.",
                max_length=64,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="inboundmessage",
            name="filed_as",
            field=models.CharField(
                blank=True,
                help_text="How another part of Postbag took it, e.g. as the reply to a letter.",
                max_length=300,
            ),
        ),
        migrations.AlterField(
            model_name="inboundmessage",
            name="sha256",
            field=models.CharField(help_text="Of the raw message as received.", max_length=64),
        ),
        migrations.RunPython(fill_fingerprints, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="inboundmessage", name="inbound_unique_message_per_office"),
        migrations.AddConstraint(
            model_name="inboundmessage",
            constraint=models.UniqueConstraint(
                fields=("office", "fingerprint"), name="inbound_message_once_per_office"
            ),
        ),
    ]
