"""Isolation builders for the inbound URLs that take arguments (see tests/isolation.py)."""

from inbound.mailbox_sync import mailbox_save
from inbound.models import MailboxConnection
from tests.inbound.factories import inbound_message
from tests.isolation import builder


def make_mailbox(office, **fields) -> MailboxConnection:
    secret = fields.pop("secret", "not-the-real-password")
    fields.setdefault("name", "Office inbox")
    fields.setdefault("host", "127.0.0.1")
    fields.setdefault("port", 1)
    fields.setdefault("security", MailboxConnection.Security.PLAIN)
    fields.setdefault("username", "office")
    return mailbox_save(connection=MailboxConnection(office=office, **fields), secret=secret)


@builder("inbound:mailbox-edit", "inbound:mailbox-test")
def _mailbox(office):
    return {"pk": make_mailbox(office).pk}


@builder(
    "inbound:inbound-detail",
    "inbound:inbound-original",
    "inbound:inbound-attach",
    "inbound:inbound-open-case",
    "inbound:inbound-dismiss",
    "letters:inbound-reply",
)
def _inbound_message(office):
    return {"pk": inbound_message(office).pk}
