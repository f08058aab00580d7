from django.utils.functional import SimpleLazyObject

from mpoffice.selectors import membership_pick, memberships_for

SESSION_OFFICE_KEY = "postbag_office_id"


class CurrentOfficeMiddleware:
    """Puts the signed-in user's memberships, current membership and office on the request.

    ``request.membership`` is the user's membership of the office chosen in the navigation
    bar (kept in the session), or of their first office; it is falsy for anonymous users and
    for users who belong to no office. Views never take the office from a URL or a form field.
    One query, made only when something asks.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        memberships = SimpleLazyObject(lambda: memberships_for(user=request.user))
        membership = SimpleLazyObject(
            lambda: (
                membership_pick(list(memberships), office_id=request.session.get(SESSION_OFFICE_KEY)) or _NoMembership()
            )
        )
        request.memberships = memberships
        request.membership = membership
        request.office = SimpleLazyObject(lambda: membership.office)
        return self.get_response(request)


class _NoMembership:
    """Falsy stand-in, so that ``if request.membership`` works through the lazy object."""

    office = None
    role = None

    def __bool__(self) -> bool:
        return False

    def has_role(self, *roles: str) -> bool:
        return False
