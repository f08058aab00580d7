"""The one place where membership and role are checked for a view.

Views declare what they need with ``@office_required()`` (any member) or
``@office_required(Role.STAFF, Role.MP)``. Objects are then fetched *through* the office
(``get_object_or_404(Model.objects.for_office(request.office), pk=pk)``), so another office's
object is a 404 and its existence is never confirmed; a member whose role may not act gets
403 with a friendly page.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect


def office_required(*roles: str):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.membership:
                return redirect("no-office")
            if roles and not request.membership.has_role(*roles):
                raise PermissionDenied("Your role in this office does not allow this.")
            return view(request, *args, **kwargs)

        wrapper.office_roles = roles  # read by the URL isolation test
        return wrapper

    return decorator
