"""Microsoft 365 mailboxes through Graph: a contract test against a local HTTPS server that
answers with Microsoft's documented response shapes (tests/inbound/graph_server.py), not a
live tenant."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from inbound import mailbox_sync
from inbound.mailbox_sync import mailbox_save
from inbound.models import InboundMessage, MailboxConnection
from tests.inbound.graph_server import CLIENT_ID, CLIENT_SECRET, MAILBOX, TENANT

pytestmark = pytest.mark.django_db

MAIL = Path(__file__).parent / "mail"
CORPUS = sorted(MAIL.glob("*.eml"))


def _graph_mailbox(office, *, secret: str = CLIENT_SECRET) -> MailboxConnection:
    connection = MailboxConnection(
        office=office,
        kind=MailboxConnection.Kind.GRAPH,
        name="Microsoft 365 inbox",
        tenant_id=TENANT,
        client_id=CLIENT_ID,
        mailbox_address=MAILBOX,
    )
    return mailbox_save(connection=connection, secret=secret)


def _poll(connection):
    claimed = mailbox_sync.mailbox_claim(connection.pk)
    assert claimed is not None
    return mailbox_sync.mailbox_poll(connection=claimed)


def test_first_round_pages_through_the_inbox_waits_out_throttling_and_keeps_the_delta_link(office, graph):
    for path in CORPUS[:5]:
        graph.state.add(path.read_bytes())
    graph.state.throttle = 1

    result = _poll(_graph_mailbox(office))

    assert (result.taken, result.known) == (5, 0)
    assert InboundMessage.objects.filter(source=InboundMessage.Source.GRAPH).count() == 5
    connection = MailboxConnection.objects.get()
    assert connection.state == MailboxConnection.State.OK
    assert connection.delta_link.endswith("/messages/delta?$deltatoken=5")
    deltas = [r for r in graph.state.requests if "/messages/delta" in r]
    # 3 pages of 2, and the first request repeated after its 429.
    assert len(deltas) == 4 and deltas[-1].endswith("$skiptoken=4")
    assert sum("/$value" in r for r in graph.state.requests) == 5


def test_later_rounds_take_only_new_mail_and_ignore_removed_items(office, graph):
    first_id = graph.state.add(CORPUS[0].read_bytes())
    connection = _graph_mailbox(office)
    _poll(connection)
    graph.state.add(CORPUS[1].read_bytes())
    graph.state.add(CORPUS[2].read_bytes())
    graph.state.removed = [first_id]

    second = _poll(connection)
    third = _poll(connection)

    assert (second.taken, second.known) == (2, 0)
    assert (third.taken, third.known) == (0, 0)
    assert InboundMessage.objects.count() == 3
    assert MailboxConnection.objects.get().delta_link.endswith("$deltatoken=3")


def test_a_round_repeated_or_an_expired_delta_link_takes_nothing_twice(office, graph):
    for path in CORPUS[:3]:
        graph.state.add(path.read_bytes())
    connection = _graph_mailbox(office)
    _poll(connection)

    # The delta link lost (a worker killed before it was saved): the whole inbox again.
    MailboxConnection.objects.filter(pk=connection.pk).update(delta_link="")
    repeated = _poll(connection)
    # Graph forgot the sync state (410 Gone): a full round again, plus one new message.
    graph.state.add(CORPUS[3].read_bytes())
    graph.state.expire_delta = True
    after_expiry = _poll(connection)

    assert (repeated.taken, repeated.known) == (0, 3)
    assert (after_expiry.taken, after_expiry.known) == (1, 3)
    assert InboundMessage.objects.count() == 4


def test_a_wrong_client_secret_is_shown_on_system_status(office, graph, staff, client_for):
    connection = _graph_mailbox(office, secret="wrong")

    assert _poll(connection) is None

    connection.refresh_from_db()
    assert connection.state == MailboxConnection.State.FAILING
    assert "AADSTS7000215: Invalid client secret provided." in connection.last_error
    page = client_for(staff).get(reverse("system-status")).content.decode()
    assert "Microsoft 365 inbox" in page and "AADSTS7000215" in page


def test_staff_connect_a_microsoft_365_mailbox_and_test_it(office, graph, staff, client_for):
    graph.state.add(CORPUS[0].read_bytes())
    client = client_for(staff)

    response = client.post(
        reverse("inbound:mailbox-create") + "?kind=graph",
        {
            "name": "Shared inbox",
            "tenant_id": TENANT,
            "client_id": CLIENT_ID,
            "secret": CLIENT_SECRET,
            "mailbox_address": MAILBOX,
            "is_active": "on",
        },
    )

    connection = MailboxConnection.objects.get()
    assert response.status_code == 302 and connection.kind == MailboxConnection.Kind.GRAPH
    page = client.get(connection.get_absolute_url()).content.decode()
    assert CLIENT_SECRET not in page and "Client secret" in page
    tested = client.post(reverse("inbound:mailbox-test", kwargs={"pk": connection.pk}), follow=True)
    assert f"Signed in to Microsoft 365 and opened the inbox of {MAILBOX}: 1 messages." in tested.content.decode()
    assert not InboundMessage.objects.exists()
