from django.utils.functional import SimpleLazyObject

from mpoffice.models import Role


def office(request) -> dict:
    membership = getattr(request, "membership", None)
    if not membership:
        return {"current_office": None, "current_membership": None, "user_memberships": [], "Role": Role}
    return {
        "current_office": membership.office,
        "current_membership": membership,
        "user_memberships": request.memberships,
        "Role": Role,
    }


def notifications(request) -> dict:
    """The unread count in the navigation: one COUNT on an index, and only on pages that show it."""
    membership = getattr(request, "membership", None)
    if not membership:
        return {"unread_notifications": 0}
    from mpoffice.notifications import unread_count

    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(membership=membership))}
