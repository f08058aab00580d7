"""Letters on a case's page (casework.case_page): the "Write a letter" action, which opens a
new letter with the case, its correspondent as the recipient, and every letter about the case,
whatever its state, read through the member's own letter scope."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from casework.case_page import CaseAction, CasePanel
from casework.models import Case
from letters.models import Letter
from letters.selectors import letters_for
from mpoffice.models import Membership, Role

DRAFTERS = (Role.CASEWORKER, Role.STAFF)
# A case with more letters than this links to the rest in the letter list.
PANEL_LIMIT = 20


def write_letter_action(case: Case, membership: Membership) -> CaseAction | None:
    if not membership.has_role(*DRAFTERS):
        return None
    query = urlencode({"case": case.reference, "to": Letter.RecipientKind.CONSTITUENT})
    return CaseAction("Write a letter", f"{reverse('letters:create')}?{query}")


def letters_panel(case: Case, membership: Membership) -> CasePanel:
    letters = list(
        letters_for(membership=membership)
        .filter(cases=case)
        .select_related("recipient_post__organisation", "recipient_constituent")
        .order_by("-updated_at", "-pk")[: PANEL_LIMIT + 1]
    )
    return CasePanel(
        "Letters",
        "letters/includes/case_letters.html",
        {"letters": letters[:PANEL_LIMIT], "more": len(letters) > PANEL_LIMIT},
    )
