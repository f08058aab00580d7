from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mpoffice.access import OfficeRequest, SignedInRequest, office_required
from mpoffice.forms import LetterheadForm, OfficeSettingsForm, OfficeSwitchForm
from mpoffice.middleware import SESSION_OFFICE_KEY
from mpoffice.models import Office, Role, SweepError
from mpoffice.selectors import office_setting_changes, sweep_runs_for, system_health
from mpoffice.services import AUDITED_OFFICE_SETTINGS, office_letterhead_update, office_settings_update
from mpoffice.status import status_panels


@login_required
@require_GET
def no_office(request: SignedInRequest) -> HttpResponse:
    if request.membership:
        return redirect("home")
    return render(request, "mpoffice/no_office.html", status=403)


@require_POST
@login_required
def office_switch(request: SignedInRequest) -> HttpResponse:
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
def healthz(request: HttpRequest) -> JsonResponse:
    health = system_health()
    return JsonResponse(health, status=200 if health["ok"] else 503)


@office_required(Role.STAFF, Role.MP)
@require_GET
def system_status(request: OfficeRequest) -> HttpResponse:
    return render(
        request,
        "mpoffice/system_status.html",
        {
            "health": system_health(),
            "sweeps": sweep_runs_for(office=request.office),
            "sweep_errors": SweepError.objects.for_office(request.office)[:20],
            "panels": status_panels(office=request.office),
            "title": "System status",
        },
    )


@office_required(Role.STAFF)
def letterhead_edit(request: OfficeRequest) -> HttpResponse:
    form = LetterheadForm(request.POST or None, request.FILES or None, instance=request.office)
    if request.method == "POST" and form.is_valid():
        office_letterhead_update(office=form.save(commit=False))
        messages.success(request, "Letterhead saved. New letters use it; letters already sent keep theirs.")
        return redirect("letterhead")
    return render(request, "mpoffice/letterhead.html", {"form": form, "title": "Letterhead"})


@office_required(Role.STAFF, Role.MP)
def office_settings(request: OfficeRequest) -> HttpResponse:
    """Staff change the office's settings; the MP reads them. Every change is audited and listed."""
    office = request.office
    current = {name: getattr(office, name) for name in AUDITED_OFFICE_SETTINGS}
    form = OfficeSettingsForm(request.POST if request.method == "POST" else None, initial=current)
    if request.method == "POST":
        if not request.membership.is_staff_role:
            raise PermissionDenied("Only office staff change the office's settings.")
        if form.is_valid():
            changed = office_settings_update(office=office, member=request.membership, **form.cleaned_data)
            messages.success(request, "Settings saved." if changed else "Nothing changed.")
            return redirect("office-settings")
    labels = {name: Office._meta.get_field(name).verbose_name for name in AUDITED_OFFICE_SETTINGS}
    history = [
        {
            "entry": entry,
            "changes": [
                f"{labels.get(name, name).capitalize()}: turned {'on' if new == 'True' else 'off'}"
                for name, (old, new) in (entry.changes or {}).items()
            ],
        }
        for entry in office_setting_changes(office=office)[:50]
    ]
    return render(
        request, "mpoffice/office_settings.html", {"form": form, "history": history, "title": "Office settings"}
    )
