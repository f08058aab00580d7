"""The office mailbox over IMAP, against a real dovecot (tests/inbound/dovecot.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from inbound import mailbox_sync
from inbound.models import InboundMessage, MailboxConnection
from inbound.tasks import mailboxes_poll_task
from tests.inbound.builders import make_mailbox
from tests.inbound.dovecot import PASSWORD, USER

pytestmark = pytest.mark.django_db

MAIL = Path(__file__).parent / "mail"
CORPUS = sorted(MAIL.glob("*.eml"))


def _mailbox(office, dovecot, **fields) -> MailboxConnection:
    fields.setdefault("port", dovecot.port)
    return make_mailbox(office, username=USER, secret=PASSWORD, **fields)


def _poll(connection: MailboxConnection) -> mailbox_sync.PollResult | None:
    claimed = mailbox_sync.mailbox_claim(connection.pk)
    assert claimed is not None, "the connection should be due"
    return mailbox_sync.mailbox_poll(connection=claimed)


def test_first_sync_then_new_mail_then_the_same_mail_again(office, dovecot):
    connection = _mailbox(office, dovecot)
    dovecot.deliver(*(path.read_bytes() for path in CORPUS[:5]))

    first = _poll(connection)

    assert (first.taken, first.known) == (5, 0)
    assert InboundMessage.objects.filter(source=InboundMessage.Source.IMAP).count() == 5
    connection.refresh_from_db()
    assert connection.state == MailboxConnection.State.OK and connection.last_success_at is not None
    assert connection.uid_watermark == max(dovecot.uids()) and connection.uidvalidity

    # Two new messages, and the first one delivered again (a second copy on the server).
    dovecot.deliver(CORPUS[5].read_bytes(), CORPUS[6].read_bytes(), CORPUS[0].read_bytes())
    second = _poll(connection)
    third = _poll(connection)

    assert (second.taken, second.known) == (2, 1)
    assert (third.taken, third.known) == (0, 0)
    assert InboundMessage.objects.count() == 7
    # Nothing deleted, nothing marked read for the office.
    with dovecot.client() as client:
        client.select_folder("INBOX", readonly=True)
        assert len(client.search("ALL")) == 8
        assert client.search("SEEN") == []


def test_the_server_restarting_is_a_failure_then_a_reconnect_with_back_off(office, dovecot, client_for, staff):
    connection = _mailbox(office, dovecot)
    dovecot.deliver(CORPUS[0].read_bytes())
    _poll(connection)

    dovecot.stop()
    assert _poll(connection) is None
    connection.refresh_from_db()
    assert connection.state == MailboxConnection.State.FAILING and connection.failures == 1
    assert "could not be reached" in connection.last_error
    wait = connection.next_attempt_at - connection.last_error_at
    assert timedelta(seconds=59) < wait <= timedelta(seconds=61)
    assert mailbox_sync.mailbox_claim(connection.pk) is None  # waits out its back-off

    MailboxConnection.objects.filter(pk=connection.pk).update(next_attempt_at=timezone.now())
    assert _poll(connection) is None
    connection.refresh_from_db()
    assert connection.failures == 2
    assert timedelta(seconds=119) < connection.next_attempt_at - connection.last_error_at <= timedelta(seconds=121)
    page = client_for(staff).get(reverse("system-status")).content.decode()
    assert "Office inbox" in page and "Failing" in page and "could not be reached" in page

    dovecot.start()
    dovecot.deliver(CORPUS[1].read_bytes())
    MailboxConnection.objects.filter(pk=connection.pk).update(next_attempt_at=timezone.now())
    result = _poll(connection)

    assert (result.taken, result.known) == (1, 0)
    connection.refresh_from_db()
    assert connection.state == MailboxConnection.State.OK and connection.failures == 0
    assert InboundMessage.objects.count() == 2
    page = client_for(staff).get(reverse("system-status")).content.decode()
    assert "Working" in page


def test_a_new_uidvalidity_reads_the_folder_again_and_takes_only_what_is_new(office, dovecot):
    connection = _mailbox(office, dovecot, folder="Constituents")
    dovecot.deliver(*(path.read_bytes() for path in CORPUS[:3]), folder="Constituents")
    _poll(connection)
    connection.refresh_from_db()
    before = connection.uidvalidity

    # The server's folder is rebuilt (a migration, a restore): same mail, new UIDs.
    with dovecot.client() as client:
        client.delete_folder("Constituents")
        client.create_folder("Constituents")
    dovecot.deliver(*(path.read_bytes() for path in CORPUS[:4]), folder="Constituents")
    result = _poll(connection)

    connection.refresh_from_db()
    assert connection.uidvalidity != before
    assert (result.taken, result.known) == (1, 3)
    assert InboundMessage.objects.count() == 4


def test_processed_mail_is_moved_to_the_chosen_folder_never_deleted(office, dovecot):
    with dovecot.client() as client:
        client.create_folder("Postbag")
    connection = _mailbox(office, dovecot, move_to="Postbag")
    dovecot.deliver(*(path.read_bytes() for path in CORPUS[:3]))

    result = _poll(connection)

    assert (result.taken, result.moved) == (3, 3)
    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids("Postbag")) == 3
    assert InboundMessage.objects.count() == 3


def test_tls_with_the_servers_certificate_trusted_and_refused_without(office, dovecot, settings):
    connection = _mailbox(office, dovecot, port=dovecot.tls_port, security=MailboxConnection.Security.TLS)
    dovecot.deliver(CORPUS[0].read_bytes())

    assert _poll(connection) is None
    connection.refresh_from_db()
    assert "certificate was not accepted" in connection.last_error

    settings.MAILBOX_CA_FILE = str(dovecot.cert)
    MailboxConnection.objects.filter(pk=connection.pk).update(next_attempt_at=None)
    assert _poll(connection).taken == 1


def test_a_wrong_password_is_reported_and_retried_later(office, dovecot):
    connection = make_mailbox(office, port=dovecot.port, username=USER, secret="wrong")

    assert _poll(connection) is None

    connection.refresh_from_db()
    assert connection.state == MailboxConnection.State.FAILING
    assert "authentication failed" in connection.last_error.lower()


def test_beat_task_polls_every_due_mailbox_of_every_office(office, other_office, dovecot):
    """The beat entry point queues a poll for each due mailbox (tasks run eagerly here; the
    real worker is exercised in test_imap_worker.py)."""
    ours = _mailbox(office, dovecot)
    theirs = _mailbox(other_office, dovecot)
    paused = _mailbox(office, dovecot, is_active=False, name="Paused")
    dovecot.deliver(CORPUS[0].read_bytes())

    mailboxes_poll_task.delay()

    assert InboundMessage.objects.for_office(office).count() == 1
    assert InboundMessage.objects.for_office(other_office).count() == 1
    for connection in (ours, theirs, paused):
        connection.refresh_from_db()
    assert ours.state == theirs.state == MailboxConnection.State.OK
    assert paused.state == MailboxConnection.State.PAUSED and paused.last_success_at is None


# --- Staff's pages ------------------------------------------------------------------------------


def test_staff_connect_a_mailbox_and_test_it_and_the_password_is_never_shown(office, staff, client_for, dovecot):
    client = client_for(staff)
    dovecot.deliver(CORPUS[0].read_bytes(), CORPUS[1].read_bytes())

    response = client.post(
        reverse("inbound:mailbox-create"),
        {
            "name": "Constituency inbox",
            "host": "127.0.0.1",
            "port": dovecot.port,
            "security": "plain",
            "username": USER,
            "secret": PASSWORD,
            "folder": "INBOX",
            "move_to": "",
            "is_active": "on",
        },
    )

    connection = MailboxConnection.objects.get()
    assert response.status_code == 302 and response["Location"] == connection.get_absolute_url()
    assert PASSWORD not in connection.secret_encrypted and connection.secret_encrypted
    page = client.get(connection.get_absolute_url()).content.decode()
    assert PASSWORD not in page and connection.secret_encrypted not in page

    tested = client.post(reverse("inbound:mailbox-test", kwargs={"pk": connection.pk}), follow=True)
    assert "Connected to 127.0.0.1 and opened “INBOX”: 2 messages." in tested.content.decode()
    assert not InboundMessage.objects.exists()  # a test reads nothing

    # Saving without a password keeps the stored one.
    client.post(
        connection.get_absolute_url(),
        {
            "name": "Renamed",
            "host": "127.0.0.1",
            "port": dovecot.port,
            "security": "plain",
            "username": USER,
            "secret": "",
            "folder": "INBOX",
            "is_active": "on",
        },
    )
    connection.refresh_from_db()
    assert connection.name == "Renamed"
    assert _poll(connection).taken == 2


def test_a_failed_connection_test_says_why(office, staff, client_for, dovecot):
    connection = make_mailbox(office, port=dovecot.port, username=USER, secret="wrong")

    page = client_for(staff).post(reverse("inbound:mailbox-test", kwargs={"pk": connection.pk}), follow=True)

    assert "The connection failed:" in page.content.decode()
    assert "uthentication failed" in page.content.decode()


def test_a_new_mailbox_needs_a_password(office, staff, client_for):
    response = client_for(staff).post(
        reverse("inbound:mailbox-create"),
        {"name": "x", "host": "imap.example.org", "port": 993, "security": "tls", "username": "u", "folder": "INBOX"},
    )

    assert response.status_code == 200 and "Enter the mailbox" in response.content.decode()
    assert not MailboxConnection.objects.exists()


@pytest.mark.parametrize("actor", ["caseworker", "mp"])
def test_only_staff_manage_mailboxes(office, actor, request, client_for):
    member = request.getfixturevalue(actor)
    connection = make_mailbox(office)
    client = client_for(member)

    assert client.get(reverse("inbound:mailbox-list")).status_code == 403
    assert client.get(connection.get_absolute_url()).status_code == 403
    assert client.post(reverse("inbound:mailbox-test", kwargs={"pk": connection.pk})).status_code == 403
