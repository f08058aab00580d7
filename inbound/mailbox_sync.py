"""Reading the office's mailboxes: IMAP now, Microsoft 365 through ``inbound.mailbox_graph``.

Postbag never deletes mail. It reads with ``BODY.PEEK[]`` (the message stays unread for the
office) and remembers, per connection, the folder's UIDVALIDITY and the highest UID taken in:
each poll asks only for newer UIDs, and saves the watermark after every message, so a worker
killed mid-sync re-reads at most one message (which ``inbound_receive`` recognises). When the
server renumbers the folder (a new UIDVALIDITY) everything is read again, and again nothing is
taken twice. With "move processed mail to" set, each message taken is moved there (IMAP MOVE,
never copy-and-delete).

A connection that fails waits before the next attempt: one minute, doubling to at most
``MAILBOX_MAX_BACKOFF_SECONDS``. Its state, last success and last error are shown on
System status.
"""

from __future__ import annotations

import imaplib
import logging
import socket
import ssl
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from inbound.mailbox_secrets import SecretUnreadable, secret_open
from inbound.models import MailboxConnection
from inbound.services import NotAnEmail, inbound_receive

logger = logging.getLogger(__name__)

# What a mail server (or the network to it) may do to us: every other error is a bug, raised.
MAIL_SERVER_ERRORS = (OSError, socket.timeout, ssl.SSLError, imaplib.IMAP4.error, IMAPClientError, SecretUnreadable)


class MailboxError(RuntimeError):
    """The mailbox could not be read; the message says why, for staff."""


@dataclass
class PollResult:
    taken: int = 0  # new messages kept
    known: int = 0  # already received (any way)
    refused: int = 0  # not e-mail
    moved: int = 0

    def describe(self) -> str:
        return (
            f"{self.taken} new message{'s' if self.taken != 1 else ''}, {self.known} already received, "
            f"{self.refused} not e-mail" + (f", {self.moved} moved" if self.moved else "")
        )


def imap_connect(connection: MailboxConnection) -> IMAPClient:
    """A logged-in client (TLS unless the connection says otherwise)."""
    timeout = settings.MAILBOX_TIMEOUT_SECONDS
    use_ssl = connection.security == MailboxConnection.Security.TLS
    context = None
    if connection.security != MailboxConnection.Security.PLAIN:
        context = ssl.create_default_context()
        if settings.MAILBOX_CA_FILE:
            context.load_verify_locations(cafile=settings.MAILBOX_CA_FILE)
    client = IMAPClient(connection.host, port=connection.port, ssl=use_ssl, ssl_context=context, timeout=timeout)
    try:
        if connection.security == MailboxConnection.Security.STARTTLS:
            client.starttls(context)
        client.login(connection.username, secret_open(connection.secret_encrypted))
    except BaseException:
        _logout(client)
        raise
    return client


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except (*MAIL_SERVER_ERRORS, AttributeError):
        pass


def imap_test(connection: MailboxConnection) -> str:
    """Connect, log in and open the folder, changing nothing: what staff see after *Test connection*."""
    try:
        client = imap_connect(connection)
        try:
            status = client.folder_status(connection.folder, ["MESSAGES", "UIDVALIDITY"])
            if connection.move_to and not client.folder_exists(connection.move_to):
                raise MailboxError(f"The folder “{connection.move_to}” to move processed mail to does not exist.")
        finally:
            _logout(client)
    except MAIL_SERVER_ERRORS as error:
        raise MailboxError(_explain(error)) from error
    count = status.get(b"MESSAGES", 0)
    return (
        f"Connected to {connection.host} and opened “{connection.folder}”: {count} message{'s' if count != 1 else ''}."
    )


def _explain(error: BaseException) -> str:
    text = str(error) or error.__class__.__name__
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"The server's TLS certificate was not accepted: {error.verify_message}."
    if isinstance(error, (ConnectionRefusedError, socket.gaierror, socket.timeout, TimeoutError)):
        return f"The mail server could not be reached ({text})."
    if isinstance(error, bytes):
        return error.decode(errors="replace")
    return text.removeprefix("b'").removesuffix("'")[:450]


def imap_poll(connection: MailboxConnection) -> PollResult:
    """Take in every message newer than the watermark; raises MAIL_SERVER_ERRORS."""
    result = PollResult()
    client = imap_connect(connection)
    try:
        selected = client.select_folder(connection.folder, readonly=not connection.move_to)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        if connection.uidvalidity != uidvalidity:
            if connection.uidvalidity is not None:
                logger.warning(
                    "Mailbox %s: UIDVALIDITY changed from %s to %s; reading the folder again",
                    connection.pk,
                    connection.uidvalidity,
                    uidvalidity,
                )
            connection.uidvalidity, connection.uid_watermark = uidvalidity, 0
            MailboxConnection.objects.filter(pk=connection.pk).update(uidvalidity=uidvalidity, uid_watermark=0)
        # "N:*" always answers the highest UID, even when it is below N: filter.
        uids = sorted(
            uid for uid in client.search(["UID", f"{connection.uid_watermark + 1}:*"]) if uid > connection.uid_watermark
        )
        batch_size = settings.MAILBOX_FETCH_BATCH
        for start in range(0, len(uids), batch_size):
            batch = uids[start : start + batch_size]
            fetched = client.fetch(batch, ["BODY.PEEK[]"])
            for uid in batch:
                raw = fetched.get(uid, {}).get(b"BODY[]")
                if raw is not None:
                    take_message(connection, raw, result)
                if connection.move_to and raw is not None:
                    client.move([uid], connection.move_to)
                    result.moved += 1
                # Saved after every message: a worker killed here re-reads at most this one.
                connection.uid_watermark = uid
                MailboxConnection.objects.filter(pk=connection.pk).update(uid_watermark=uid)
    finally:
        _logout(client)
    return result


def take_message(connection: MailboxConnection, raw: bytes, result: PollResult) -> None:
    """Receive one message read from a connection, counting what became of it."""
    try:
        received = inbound_receive(office=connection.office, raw=raw, source=connection.kind)
    except NotAnEmail as error:
        result.refused += 1
        logger.info("Mailbox %s: a message that is not e-mail was skipped: %s", connection.pk, error)
        return
    if received.created:
        result.taken += 1
    else:
        result.known += 1


def _unclaimed(now) -> Q:
    """Not being read, or claimed by a worker so long ago that it must have died."""
    stale = now - timedelta(seconds=settings.MAILBOX_CLAIM_TIMEOUT_SECONDS)
    return Q(polling_since=None) | Q(polling_since__lt=stale)


def mailbox_claim(connection_id: int) -> MailboxConnection | None:
    """The connection, claimed for one poll (None when another worker is polling it or it is
    not due): two beats or a re-delivered task never read one mailbox at once."""
    now = timezone.now()
    claimed = (
        MailboxConnection.objects.filter(pk=connection_id, is_active=True)
        .filter(_unclaimed(now))
        .filter(Q(next_attempt_at=None) | Q(next_attempt_at__lte=now))
        .update(polling_since=now)
    )
    if claimed != 1:
        return None
    return MailboxConnection.objects.select_related("office").get(pk=connection_id)


def mailbox_poll(*, connection: MailboxConnection) -> PollResult | None:
    """Read a claimed connection once and record how it went (state, back-off); releases the claim."""
    from inbound import mailbox_graph

    try:
        if connection.kind == MailboxConnection.Kind.GRAPH:
            result = mailbox_graph.graph_poll(connection)
        else:
            result = imap_poll(connection)
    except (*MAIL_SERVER_ERRORS, MailboxError, mailbox_graph.GraphError) as error:
        mailbox_failed(connection=connection, error=_explain(error))
        return None
    now = timezone.now()
    MailboxConnection.objects.filter(pk=connection.pk).update(
        state=MailboxConnection.State.OK,
        last_success_at=now,
        failures=0,
        next_attempt_at=None,
        polling_since=None,
        taken_total=connection.taken_total + result.taken,
    )
    logger.info("Mailbox %s read: %s", connection.pk, result.describe())
    return result


def mailbox_failed(*, connection: MailboxConnection, error: str) -> None:
    failures = connection.failures + 1
    delay = min(60 * 2 ** (failures - 1), settings.MAILBOX_MAX_BACKOFF_SECONDS)
    now = timezone.now()
    MailboxConnection.objects.filter(pk=connection.pk).update(
        state=MailboxConnection.State.FAILING,
        failures=failures,
        last_error=error[:500],
        last_error_at=now,
        next_attempt_at=now + timedelta(seconds=delay),
        polling_since=None,
    )
    logger.warning("Mailbox %s failed (%s in a row, next try in %ss): %s", connection.pk, failures, delay, error)


def mailboxes_due() -> list[int]:
    now = timezone.now()
    return list(
        MailboxConnection.objects.filter(is_active=True)
        .filter(Q(next_attempt_at=None) | Q(next_attempt_at__lte=now))
        .filter(_unclaimed(now))
        .values_list("pk", flat=True)
    )


@transaction.atomic
def mailbox_save(*, connection: MailboxConnection, secret: str = "") -> MailboxConnection:
    """Create or change a connection; a new secret replaces the stored one (blank keeps it).
    Changing where it reads (host, user, folder) starts the watermark again."""
    from inbound.mailbox_secrets import secret_seal

    if secret:
        connection.secret_encrypted = secret_seal(secret)
    if connection.pk:
        before = MailboxConnection.objects.get(pk=connection.pk)
        if (before.host, before.port, before.username, before.folder) != (
            connection.host,
            connection.port,
            connection.username,
            connection.folder,
        ):
            connection.uidvalidity, connection.uid_watermark = None, 0
        if (before.tenant_id, before.mailbox_address) != (connection.tenant_id, connection.mailbox_address):
            connection.delta_link = ""
    connection.state = MailboxConnection.State.NEW if connection.is_active else MailboxConnection.State.PAUSED
    connection.failures, connection.next_attempt_at = 0, None
    connection.full_clean()
    connection.save()
    return connection


def mailbox_release(*, connection: MailboxConnection) -> None:
    MailboxConnection.objects.filter(pk=connection.pk).update(polling_since=None)


def mailbox_test(*, connection: MailboxConnection) -> str:
    """Staff's *Test connection*: raises MailboxError saying what failed."""
    if connection.kind == MailboxConnection.Kind.GRAPH:
        from inbound import mailbox_graph

        try:
            return mailbox_graph.graph_test(connection)
        except mailbox_graph.GraphError as error:
            raise MailboxError(str(error)) from error
    return imap_test(connection)
