"""Microsoft 365 mailboxes through Microsoft Graph: not yet available (see ``mailbox_sync``)."""

from __future__ import annotations

from casework.models import MailboxConnection


class GraphError(RuntimeError):
    pass


def graph_poll(connection: MailboxConnection):
    raise GraphError("Microsoft 365 connections are not available yet.")


def graph_test(connection: MailboxConnection) -> str:
    raise GraphError("Microsoft 365 connections are not available yet.")
