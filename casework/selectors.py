"""Read-side queries of casework. Every function takes the acting membership (or office) and
returns a queryset already scoped to it: permission is a filter in the query."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from casework.models import Case, Constituent
from mpoffice.models import Membership, Role


def cases_for(*, membership: Membership) -> QuerySet[Case]:
    """Cases this member may see: the office's, less sensitive cases they may not read.

    A sensitive case is visible only to its assignee, office staff and the MP.
    """
    cases = Case.objects.for_office(membership.office)
    if membership.role == Role.CASEWORKER:
        cases = cases.filter(Q(is_sensitive=False) | Q(assignee_id=membership.user_id))
    return cases


def constituents_for(*, membership: Membership) -> QuerySet[Constituent]:
    """The office's constituents, without records that were merged away."""
    return Constituent.objects.for_office(membership.office).filter(merged_into=None)
