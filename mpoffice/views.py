from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mpoffice.access import office_required
from mpoffice.forms import OfficeSwitchForm
from mpoffice.middleware import SESSION_OFFICE_KEY
from mpoffice.models import Role
from mpoffice.selectors import system_health

HOME_TEMPLATES = {
    Role.CASEWORKER: "mpoffice/home_caseworker.html",
    Role.STAFF: "mpoffice/home_staff.html",
    Role.MP: "mpoffice/home_mp.html",
}


@office_required()
def home(request):
    return render(request, HOME_TEMPLATES[request.membership.role], {"title": "Home"})


@login_required
def no_office(request):
    if request.membership:
        return redirect("home")
    return render(request, "mpoffice/no_office.html", status=403)


@require_POST
@login_required
def office_switch(request):
    form = OfficeSwitchForm(request.POST, memberships=list(request.memberships))
    if not form.is_valid():
        # Only the user's own offices are valid choices; anything else does not exist for them.
        raise Http404("No such office.")
    membership = form.cleaned_data["membership"]
    request.session[SESSION_OFFICE_KEY] = membership.office_id
    messages.success(request, f"You are now working in {membership.office.name} as {membership.get_role_display()}.")
    return redirect("home")


@never_cache
@require_GET
def healthz(request):
    health = system_health()
    return JsonResponse(health, status=200 if health["ok"] else 503)


@office_required(Role.STAFF, Role.MP)
def system_status(request):
    return render(request, "mpoffice/system_status.html", {"health": system_health(), "title": "System status"})
