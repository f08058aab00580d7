from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from casework.campaigns import campaigns_for
from mpoffice.access import READ_METHODS, office_required, require_method
from mpoffice.charts import horizontal_bar_chart, monthly_bar_chart, svg_data_uri, svg_response
from mpoffice.forms import LetterheadForm, OfficeSettingsForm, OfficeSwitchForm
from mpoffice.middleware import SESSION_OFFICE_KEY
from mpoffice.models import Office, Role, SweepError
from mpoffice.pdf import pdf_render
from mpoffice.selectors import office_setting_changes, sweep_runs_for, system_health
from mpoffice.services import AUDITED_OFFICE_SETTINGS, office_settings_update
from mpoffice.summaries import (
    campaign_briefing,
    campaign_by_ward,
    campaign_trend,
    caseworker_home,
    office_dashboard,
    office_open_by_topic,
    office_open_by_ward,
    office_trend,
    staff_home,
)

HOME_LISTS = {Role.CASEWORKER: caseworker_home, Role.STAFF: staff_home}
HOME_TEMPLATES = {
    Role.CASEWORKER: "mpoffice/home_caseworker.html",
    Role.STAFF: "mpoffice/home_staff.html",
    Role.MP: "mpoffice/home_mp.html",
}


@office_required()
@require_GET
def home(request):
    if request.membership.role == Role.MP:
        return _dashboard(request)  # the MP's home page is the dashboard
    lists = HOME_LISTS[request.membership.role](membership=request.membership)
    return render(request, HOME_TEMPLATES[request.membership.role], {"title": "Home", **lists})


@office_required(Role.STAFF, Role.MP)
@require_GET
def dashboard(request):
    return _dashboard(request)


# Each chart is an image of its own (mpoffice.charts): the page links it with this text as its
# alt, and shows a table of the same numbers beside it.
DASHBOARD_CHARTS = {
    "trend": "Bar chart of the cases opened each month over the last 24 months (the numbers are below)",
    "topics": "Bar chart of open cases by topic (the numbers are in the table below)",
    "wards": "Bar chart of open cases by ward (the numbers are in the table below)",
}


def _dashboard(request):
    data = office_dashboard(membership=request.membership)
    charts = {name: {"src": reverse(f"dashboard-chart-{name}"), "alt": alt} for name, alt in DASHBOARD_CHARTS.items()}
    return render(
        request, "mpoffice/dashboard.html", {"data": data, "charts": charts, "title": f"Dashboard: {request.office}"}
    )


@office_required(Role.STAFF, Role.MP)
@require_GET
def dashboard_chart(request, chart: str):
    membership, description = request.membership, DASHBOARD_CHARTS[chart]
    if chart == "trend":
        return svg_response(monthly_bar_chart(trend=office_trend(membership=membership), description=description))
    tallies = (office_open_by_topic if chart == "topics" else office_open_by_ward)(membership=membership)
    return svg_response(horizontal_bar_chart(tallies=tallies, description=description))


def _briefing_campaign(request, pk: int):
    return get_object_or_404(campaigns_for(membership=request.membership), pk=pk)


BRIEFING_CHARTS = ("trend", "wards")


def _briefing_chart_alt(campaign, chart: str) -> str:
    if chart == "trend":
        return f"Bar chart of the cases about {campaign.name} opened each month (the numbers are below)"
    return f"Bar chart of the cases about {campaign.name} by ward (the numbers are in the table below)"


def _briefing_chart_svg(campaign, chart: str, *, trend=None, by_ward=None) -> str:
    description = _briefing_chart_alt(campaign, chart)
    if chart == "trend":
        return monthly_bar_chart(trend=trend, description=description)
    return horizontal_bar_chart(tallies=by_ward, description=description)


def _briefing_context(request, pk: int, *, for_pdf: bool = False) -> dict:
    campaign = _briefing_campaign(request, pk)
    briefing = campaign_briefing(campaign=campaign, membership=request.membership)
    if for_pdf:  # the PDF fetches nothing by URL: the same charts go in as data: URIs
        sources = {
            name: svg_data_uri(_briefing_chart_svg(campaign, name, trend=briefing.trend, by_ward=briefing.by_ward))
            for name in BRIEFING_CHARTS
        }
    else:
        sources = {name: reverse(f"campaign-briefing-chart-{name}", args=[pk]) for name in BRIEFING_CHARTS}
    return {
        "briefing": briefing,
        "campaign": campaign,
        "charts": {name: {"src": src, "alt": _briefing_chart_alt(campaign, name)} for name, src in sources.items()},
        "for_pdf": for_pdf,
        "title": f"Briefing: {campaign.name}",
    }


@office_required()
@require_GET
def campaign_briefing_view(request, pk: int):
    return render(request, "mpoffice/briefing.html", _briefing_context(request, pk))


@office_required()
def campaign_briefing_chart(request, pk: int, chart: str):
    campaign = _briefing_campaign(request, pk)
    require_method(request, READ_METHODS)  # after the lookup: another office's campaign stays a 404
    if chart == "trend":
        svg = _briefing_chart_svg(
            campaign, chart, trend=campaign_trend(campaign=campaign, membership=request.membership)
        )
    else:
        svg = _briefing_chart_svg(
            campaign, chart, by_ward=campaign_by_ward(campaign=campaign, membership=request.membership)
        )
    return svg_response(svg)


@office_required()
@require_GET
def campaign_briefing_pdf(request, pk: int):
    context = _briefing_context(request, pk, for_pdf=True)
    html = render_to_string("mpoffice/briefing_pdf.html", context, request=request)
    response = HttpResponse(pdf_render(html).content, content_type="application/pdf")
    filename = slugify(context["campaign"].name) or "campaign"
    response["Content-Disposition"] = f'attachment; filename="briefing-{filename}.pdf"'
    return response


@login_required
@require_GET
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
@require_GET
def system_status(request):
    return render(
        request,
        "mpoffice/system_status.html",
        {
            "health": system_health(),
            "sweeps": sweep_runs_for(office=request.office),
            "sweep_errors": SweepError.objects.for_office(request.office)[:20],
            "title": "System status",
        },
    )


@office_required(Role.STAFF)
def letterhead_edit(request):
    form = LetterheadForm(request.POST or None, request.FILES or None, instance=request.office)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Letterhead saved. New letters use it; letters already sent keep theirs.")
        return redirect("letterhead")
    return render(request, "mpoffice/letterhead.html", {"form": form, "title": "Letterhead"})


@office_required(Role.STAFF, Role.MP)
def office_settings(request):
    """Staff change the office's settings; the MP reads them. Every change is audited and listed."""
    office = request.office
    current = {name: getattr(office, name) for name in AUDITED_OFFICE_SETTINGS}
    form = OfficeSettingsForm(request.POST if request.method == "POST" else None, initial=current)
    if request.method == "POST":
        if not request.membership.is_staff_role:
            raise PermissionDenied("Only office staff change the office's settings.")
        if form.is_valid():
            changed = office_settings_update(office=office, by=request.membership, **form.cleaned_data)
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
