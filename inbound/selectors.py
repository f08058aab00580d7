"""Read-side queries of the inbox, scoped to the acting membership."""

from __future__ import annotations

from django.db.models import QuerySet

from casework.selectors import without_hidden
from inbound.models import InboundMessage
from mpoffice.models import Membership


def inbound_messages_for(*, membership: Membership) -> QuerySet[InboundMessage]:
    """E-mails received by the office, less those attached to a case (or matched to a person)
    this member may not see."""
    return without_hidden(
        InboundMessage.objects.for_office(membership.office),
        membership=membership,
        case_paths=("case", "contact__case"),
        constituent_paths=("constituent",),
    )
