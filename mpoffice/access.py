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

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django_htmx.middleware import HtmxDetails

from mpoffice.models import Membership, Office

ModelT = TypeVar("ModelT", bound=Model)
ViewParams = ParamSpec("ViewParams")
ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)


class SignedInRequest(HttpRequest):
    """The request a view behind ``login_required`` receives, with what ``mpoffice.middleware``
    puts on it: the user's memberships and current membership (a falsy stand-in for a user of
    no office). Only for annotations: the object is Django's own request."""

    user: User
    membership: Membership
    memberships: QuerySet[Membership]
    htmx: HtmxDetails


class OfficeRequest(SignedInRequest):
    """The request a view behind ``office_required`` receives: a signed-in member of the office
    they are working in, which is ``office``."""

    office: Office


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
    request: OfficeRequest,
    queryset: QuerySet[ModelT],
    *,
    roles: Iterable[str] = (),
    action: str = "do this",
    methods: Iterable[str] = (),
    **lookup: Any,
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


def office_required(
    *roles: str,
) -> Callable[
    [Callable[Concatenate[OfficeRequest, ViewParams], ResponseT]],
    Callable[Concatenate[HttpRequest, ViewParams], ResponseT | HttpResponseBase],
]:
    def decorator(
        view: Callable[Concatenate[OfficeRequest, ViewParams], ResponseT],
    ) -> Callable[Concatenate[HttpRequest, ViewParams], ResponseT | HttpResponseBase]:
        @wraps(view)
        def wrapper(
            request: HttpRequest, *args: ViewParams.args, **kwargs: ViewParams.kwargs
        ) -> ResponseT | HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            member_request = cast(OfficeRequest, request)  # the middleware set its membership and office
            if not member_request.membership:
                return redirect("no-office")
            if roles:
                require_role(member_request.membership, *roles)
            try:
                return view(member_request, *args, **kwargs)
            except MethodNotAllowed as refused:
                return HttpResponseNotAllowed(refused.permitted)

        wrapper.office_roles = roles  # type: ignore[attr-defined]  # read by the URL isolation test
        return wrapper

    return decorator
