"""Casework's views: thin function views. Each one checks the member's office and role,
fetches objects *through* the member's scope (another office's object is a 404, never a
403), calls a selector or a service, and renders.

Who may do what:
- any member (caseworker, staff, MP) reads constituents, cases, timelines and attachments
  (sensitive cases only as ``cases_for`` allows);
- caseworkers and staff create and change constituents, cases, contacts and notes;
  the MP reads (403 on changes);
- staff alone edit topics, import the postcode table, list duplicates and merge.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from casework.models import Attachment, Case, Constituent, Contact
from casework.selectors import attachments_for, cases_for, constituents_for, contacts_for
from mpoffice.access import get_for_member
from mpoffice.models import Role

WRITERS = (Role.CASEWORKER, Role.STAFF)
STAFF_ONLY = (Role.STAFF,)
LIST_PAGE_SIZE = 25


def office_users(office):
    """The people who work in the office, as users: the choices for assignee and staff member."""
    return (
        get_user_model()
        .objects.filter(memberships__office=office, memberships__is_active=True)
        .order_by("first_name", "last_name", "username")
    )


# One getter per object type (mpoffice.access.get_for_member): 404 outside what the member
# may see (another office's, or derived from a sensitive case hidden from them), then 403
# for a role that may not act, then 405 for a method the view does not answer.


def get_case(request, pk: int, *, roles: Iterable[str] = (), methods: Iterable[str] = ()) -> Case:
    scope = cases_for(membership=request.membership).select_related("office")
    return get_for_member(request, scope, roles=roles, methods=methods, action="change cases", pk=pk)


def get_constituent(request, pk: int, *, roles: Iterable[str] = (), methods: Iterable[str] = ()) -> Constituent:
    scope = constituents_for(membership=request.membership).select_related("office")
    return get_for_member(request, scope, roles=roles, methods=methods, action="change constituents", pk=pk)


def get_contact(request, pk: int, *, roles: Iterable[str] = (), methods: Iterable[str] = ()) -> Contact:
    scope = contacts_for(membership=request.membership).select_related("constituent", "case")
    return get_for_member(request, scope, roles=roles, methods=methods, action="change contacts", pk=pk)


def get_attachment(request, pk: int, *, methods: Iterable[str] = ()) -> Attachment:
    scope = attachments_for(membership=request.membership).select_related("contact__case", "contact__constituent")
    return get_for_member(request, scope, methods=methods, pk=pk)
