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
