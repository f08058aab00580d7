"""The app split keeps every row: a database built by the old code (inbound mail, campaigns,
surveys and data protection inside casework) is migrated forward, and its rows are read through
the new apps' models, with the same content type ids, so audit-log entries, admin-log entries
and permissions still point at them.

The test migrates its database back to the last migrations before the move, writes rows with
the models as they were then (historical models, as a deployed database holds them), and
migrates forward again. It runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps

# The test rewrites its worker's schema and puts it back: it runs alone in a transactional test
# (no wrapping transaction to roll back, and a flush afterwards) and in its own xdist group.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("migrations")]

BEFORE = [
    ("casework", "0009_shared_text_review"),
    ("letters", "0005_bulk_emails_leave_from_the_letters_outbox"),
    ("inbound", None),
    ("campaigns", None),
    ("privacy", None),
]
AFTER = [
    ("casework", "0010_models_moved_to_inbound_campaigns_privacy"),
    ("letters", "0006_campaign_moved_to_campaigns_app"),
]
MOVED = {
    "inboundmessage": "inbound",
    "campaign": "campaigns",
    "survey": "campaigns",
    "surveyupload": "campaigns",
    "retentionreview": "privacy",
}


def _migrate(targets: list[tuple[str, str | None]]) -> StateApps:
    """Migrate to ``targets``; the models as the migrations applied then define them."""
    return MigrationExecutor(connection).migrate(targets).apps


@pytest.fixture
def old_database() -> Iterator[StateApps]:
    """The database as the old code left it; migrated to the newest state again afterwards."""
    apps = _migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_rows_built_by_the_old_code_are_read_through_the_new_apps(old_database: StateApps) -> None:
    old = old_database
    ContentType = old.get_model("contenttypes", "ContentType")
    Office = old.get_model("mpoffice", "Office")
    Topic = old.get_model("casework", "Topic")
    Case = old.get_model("casework", "Case")
    User = old.get_model("auth", "User")

    office = Office.objects.create(
        name="Testshire North", constituency="Testshire North", mp_name="A Member", reference_prefix="TSN"
    )
    staff = User.objects.create(username="tsn-staff")
    topic = Topic.objects.create(office=office, name="Knife crime")
    case = Case.objects.create(
        office=office, reference="TSN-0001", year=2026, number=1, summary="Knife crime near the school", topic=topic
    )
    campaign = old.get_model("casework", "Campaign").objects.create(office=office, name="Knife crime in Testshire")
    campaign.topics.add(topic)
    old.get_model("casework", "CampaignCase").objects.create(
        office=office, campaign=campaign, case=case, added_by=staff
    )
    survey = old.get_model("casework", "Survey").objects.create(office=office, title="Safer streets")
    message = old.get_model("casework", "InboundMessage").objects.create(
        office=office,
        raw="inbound/2026/11/one.eml",
        sha256="a" * 64,
        fingerprint="b" * 64,
        source="upload",
        from_address="reader@example.org",
        subject="Knife crime near the school",
        body="Please raise this with the police.",
        case=case,
    )
    review = old.get_model("casework", "RetentionReview").objects.create(
        office=office, case=case, case_reference="TSN-0001"
    )
    # The content types, audit-log and admin-log entries and permissions a deployed database holds.
    types = {model: ContentType.objects.get_or_create(app_label="casework", model=model)[0].pk for model in MOVED}
    rows = {"inboundmessage": message.pk, "campaign": campaign.pk, "survey": survey.pk, "retentionreview": review.pk}
    AuditEntry = old.get_model("auditlog", "LogEntry")
    AdminEntry = old.get_model("admin", "LogEntry")
    Permission = old.get_model("auth", "Permission")
    for model, pk in rows.items():
        AuditEntry.objects.create(
            content_type_id=types[model], object_pk=str(pk), object_id=pk, object_repr=model, action=0
        )
        AdminEntry.objects.create(
            content_type_id=types[model],
            object_id=str(pk),
            object_repr=model,
            action_flag=1,
            user=staff,
            change_message="",
        )
        Permission.objects.get_or_create(
            content_type_id=types[model], codename=f"view_{model}", defaults={"name": model}
        )

    new = _migrate(AFTER)

    NewContentType = new.get_model("contenttypes", "ContentType")
    for model, app in MOVED.items():
        moved = NewContentType.objects.get(app_label=app, model=model)
        assert moved.pk == types[model], f"{model} changed content type"
        assert not NewContentType.objects.filter(app_label="casework", model=model).exists()
    Message = new.get_model("inbound", "InboundMessage")
    assert Message._meta.db_table == "inbound_inboundmessage"
    read = Message.objects.get(pk=message.pk)
    assert (read.subject, read.body, read.case_id, read.office_id) == (
        "Knife crime near the school",
        "Please raise this with the police.",
        case.pk,
        office.pk,
    )
    Campaign = new.get_model("campaigns", "Campaign")
    moved_campaign = Campaign.objects.get(pk=campaign.pk)
    assert moved_campaign.name == "Knife crime in Testshire"
    assert list(moved_campaign.topics.values_list("pk", flat=True)) == [topic.pk]
    assert list(moved_campaign.cases.values_list("reference", flat=True)) == ["TSN-0001"]
    assert new.get_model("campaigns", "Survey").objects.get(pk=survey.pk).title == "Safer streets"
    assert new.get_model("privacy", "RetentionReview").objects.get(pk=review.pk).case_reference == "TSN-0001"
    # The rows can still be written: the tables' keys and sequences came along.
    second = Campaign.objects.create(office_id=office.pk, name="Second campaign")
    assert second.pk != campaign.pk
    # Every entry about the moved rows still resolves to them.
    for model, pk in rows.items():
        assert new.get_model("auditlog", "LogEntry").objects.get(content_type_id=types[model]).object_id == pk
        assert new.get_model("admin", "LogEntry").objects.get(content_type_id=types[model]).object_id == str(pk)
        assert new.get_model("auth", "Permission").objects.filter(content_type_id=types[model]).count() >= 1


def test_the_real_models_use_the_moved_content_types_and_tables(db: None) -> None:
    from django.contrib.contenttypes.models import ContentType

    from campaigns.models import Campaign
    from inbound.models import InboundMessage
    from privacy.models import SubjectAccessExport

    for model, label in [(InboundMessage, "inbound"), (Campaign, "campaigns"), (SubjectAccessExport, "privacy")]:
        assert ContentType.objects.get_for_model(model).app_label == label
        assert model._meta.db_table.startswith(f"{label}_")
