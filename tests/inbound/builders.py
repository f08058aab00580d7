"""Isolation builders for the inbound URLs that take arguments (see tests/isolation.py)."""

from tests.inbound.factories import inbound_message
from tests.isolation import builder


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
