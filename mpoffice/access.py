"""The one place where membership, role and method are checked for a view.

Views declare what they need with ``@office_required()`` (any member) or
``@office_required(Role.STAFF, Role.MP)``. An object in the URL is then fetched with
``get_for_member``, *through* a queryset the app's selectors already scoped to what the member
may see (the office, and within it the sensitive-case rule of ``casework.selectors``; for
letters, co-signing too). The order of the answers never changes:

1. not found in that scope: 404, whether it is another office's object, one the member may
   not see, or one that does not exist, so its existence is never confirmed;
2. found, but the member's role may not act on it: 403, with a friendly page;
3. found and allowed, but asked with a method the view does not answer: 405.

This module is the foundation: it knows memberships and roles, never casework or letters
(their selectors pass the scoped querysets in).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import wraps
from typing import TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect

from mpoffice.models import Membership

ModelT = TypeVar("ModelT", bound=Model)

READ_METHODS = ("GET", "HEAD")
POST_ONLY = ("POST",)


class MethodNotAllowed(Exception):
    """Raised *after* the lookup and the role check, so that any method to another office's
    object is still a 404; ``office_required`` answers it with a 405."""

    def __init__(self, permitted: Iterable[str]) -> None:
        self.permitted = list(permitted)
        super().__init__(f"Allowed: {', '.join(self.permitted)}")


def require_role(membership: Membership, *roles: str, action: str = "do this") -> None:
    """403 unless the member has one of ``roles``. With an object in the URL, called only after
    the object was found in the member's scope (``get_for_member`` does both)."""
    if not membership.has_role(*roles):
        raise PermissionDenied(f"Your role in this office does not allow you to {action}.")


def require_method(request: HttpRequest, methods: Iterable[str]) -> None:
    methods = tuple(methods)
    if request.method not in methods:
        raise MethodNotAllowed(methods)


def get_for_member(
    request: HttpRequest,
    queryset: QuerySet[ModelT],
    *,
    roles: Iterable[str] = (),
    action: str = "do this",
    methods: Iterable[str] = (),
    **lookup,
) -> ModelT:
    """The object of ``queryset`` (already scoped to the member) matching ``lookup``: 404 if
    it is not there, then 403 if the member's role is not in ``roles`` (any role when empty),
    then 405 if the request's method is not in ``methods`` (any method when empty)."""
    found = get_object_or_404(queryset, **lookup)
    roles = tuple(roles)
    if roles:
        require_role(request.membership, *roles, action=action)
    methods = tuple(methods)
    if methods:
        require_method(request, methods)
    return found


def office_required(*roles: str):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.membership:
                return redirect("no-office")
            if roles:
                require_role(request.membership, *roles)
            try:
                return view(request, *args, **kwargs)
            except MethodNotAllowed as refused:
                return HttpResponseNotAllowed(refused.permitted)

        wrapper.office_roles = roles  # read by the URL isolation test
        return wrapper

    return decorator
