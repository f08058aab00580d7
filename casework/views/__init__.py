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

from functools import wraps

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404

from casework.models import Case, Constituent
from casework.selectors import cases_for, constituents_for
from mpoffice.models import Role

WRITERS = (Role.CASEWORKER, Role.STAFF)
STAFF_ONLY = (Role.STAFF,)
LIST_PAGE_SIZE = 25


def require_role(request, *roles: str) -> None:
    """For views with an object in the URL: called *after* the object was fetched through the
    office, so that another office's object stays a 404 whatever the intruder's role."""
    if not request.membership.has_role(*roles):
        raise PermissionDenied("Your role in this office does not allow this.")


def office_users(office):
    """The people who work in the office, as users: the choices for assignee and staff member."""
    return (
        get_user_model()
        .objects.filter(memberships__office=office, memberships__is_active=True)
        .order_by("first_name", "last_name", "username")
    )


def get_case(request, pk: int) -> Case:
    return get_object_or_404(cases_for(membership=request.membership).select_related("office"), pk=pk)


def get_constituent(request, pk: int) -> Constituent:
    return get_object_or_404(constituents_for(membership=request.membership).select_related("office"), pk=pk)


class MethodNotAllowed(Exception):
    """Raised by an object lookup helper *after* the office and role checks, so that a GET to
    a POST-only action of another office's object is still a 404."""


def post_only_after_lookup(view):
    """Turns ``MethodNotAllowed`` raised inside ``view`` into a 405."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except MethodNotAllowed:
            return HttpResponseNotAllowed(["POST"])

    return wrapper
