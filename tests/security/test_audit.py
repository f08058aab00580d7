"""The audit trail: changes and views of sensitive records are recorded with their actor;
staff and the MP read a record's trail, caseworkers cannot, and nobody can edit it."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from casework.models import Case, Constituent
from tests.casework.factories import CaseFactory, ConstituentFactory
from tests.letters.factories import make_letter


def entries_for(obj):
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk))


def test_editing_a_constituent_records_who_changed_what(office, caseworker, client_for):
    constituent = ConstituentFactory(office=office, first_name="Jane", last_name="Fictional")
    response = client_for(caseworker).post(
        reverse("casework:constituent-edit", args=[constituent.pk]),
        {
            "kind": "person",
            "title": "Ms",
            "first_name": "Janet",
            "last_name": "Fictional",
            "postcode": "MK9 3HQ",
            "preferred_channel": "email",
            "consent_to_contact": "on",
        },
    )
    assert response.status_code == 302

    entry = entries_for(constituent).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == caseworker.user
    assert entry.changes_dict["first_name"] == ["Jane", "Janet"]


def test_cases_contacts_and_letters_are_audited_on_create(office):
    case = CaseFactory(office=office)
    letter = make_letter(office, cases=[case])
    assert entries_for(case).filter(action=LogEntry.Action.CREATE).exists()
    assert entries_for(letter).filter(action=LogEntry.Action.CREATE).exists()


def test_viewing_a_sensitive_case_is_recorded_and_an_ordinary_one_is_not(office, staff, client_for):
    sensitive = CaseFactory(office=office, is_sensitive=True)
    ordinary = CaseFactory(office=office)
    client = client_for(staff)

    client.get(sensitive.get_absolute_url())
    client.get(ordinary.get_absolute_url())

    viewed = entries_for(sensitive).filter(action=LogEntry.Action.ACCESS)
    assert viewed.count() == 1 and viewed.get().actor == staff.user
    assert not entries_for(ordinary).filter(action=LogEntry.Action.ACCESS).exists()


def test_viewing_a_vulnerable_constituent_is_recorded(office, caseworker, client_for):
    vulnerable = ConstituentFactory(office=office, is_vulnerable=True)

    client_for(caseworker).get(vulnerable.get_absolute_url())

    assert entries_for(vulnerable).filter(action=LogEntry.Action.ACCESS, actor=caseworker.user).exists()


@pytest.mark.parametrize("role", ["staff", "mp"])
def test_staff_and_the_mp_read_a_case_trail(role, request, office, client_for):
    membership = request.getfixturevalue(role)
    case = CaseFactory(office=office, summary="Housing <script>alert(1)</script>")

    response = client_for(membership).get(reverse("privacy:audit-trail", args=["case", case.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content and "<script>alert(1)" not in content
    assert "Create" in content


def test_caseworkers_cannot_read_trails(office, caseworker, client_for):
    case = CaseFactory(office=office)
    assert client_for(caseworker).get(reverse("privacy:audit-trail", args=["case", case.pk])).status_code == 403


def test_another_offices_trail_and_unknown_kinds_are_not_found(office, outsider, client_for):
    case = CaseFactory(office=office)
    client = client_for(outsider)
    assert client.get(reverse("privacy:audit-trail", args=["case", case.pk])).status_code == 404
    assert client.get(reverse("privacy:audit-trail", args=["user", outsider.user.pk])).status_code == 404


def test_letter_and_constituent_trails(office, staff, client_for):
    constituent = ConstituentFactory(office=office)
    letter = make_letter(office)
    client = client_for(staff)
    assert client.get(reverse("privacy:audit-trail", args=["constituent", constituent.pk])).status_code == 200
    assert client.get(reverse("privacy:audit-trail", args=["letter", letter.pk])).status_code == 200


def test_the_trail_cannot_be_changed_in_the_admin(office, client):
    from tests.mpoffice.factories import UserFactory

    case = CaseFactory(office=office)
    entry = entries_for(case).first()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    assert client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk])).status_code == 200  # read-only
    client.post(reverse("admin:auditlog_logentry_change", args=[entry.pk]), {"object_repr": "changed"})
    assert client.get(reverse("admin:auditlog_logentry_add")).status_code == 403
    assert client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.object_repr != "changed"
    assert Case.objects.filter(pk=case.pk).exists() and Constituent.objects.exists()


def test_downloading_a_file_of_a_sensitive_case_is_recorded(office, staff, client_for):
    from tests.casework.factories import AttachmentFactory, ContactFactory

    sensitive = CaseFactory(office=office, is_sensitive=True)
    ordinary = CaseFactory(office=office)
    secret = AttachmentFactory(office=office, contact=ContactFactory(office=office, case=sensitive))
    plain = AttachmentFactory(office=office, contact=ContactFactory(office=office, case=ordinary))
    client = client_for(staff)

    assert client.get(secret.get_absolute_url()).status_code == 200
    assert client.get(plain.get_absolute_url()).status_code == 200

    assert entries_for(secret).filter(action=LogEntry.Action.ACCESS, actor=staff.user).count() == 1
    assert not entries_for(plain).filter(action=LogEntry.Action.ACCESS).exists()
