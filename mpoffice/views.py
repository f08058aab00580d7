from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from casework.campaigns import campaigns_for
from mpoffice.access import office_required
from mpoffice.charts import horizontal_bar_chart, monthly_bar_chart
from mpoffice.forms import LetterheadForm, OfficeSwitchForm
from mpoffice.middleware import SESSION_OFFICE_KEY
from mpoffice.models import Role, SweepError
from mpoffice.pdf import pdf_render
from mpoffice.selectors import sweep_runs_for, system_health
from mpoffice.summaries import campaign_briefing, caseworker_home, office_dashboard, staff_home

HOME_LISTS = {Role.CASEWORKER: caseworker_home, Role.STAFF: staff_home}
HOME_TEMPLATES = {
    Role.CASEWORKER: "mpoffice/home_caseworker.html",
    Role.STAFF: "mpoffice/home_staff.html",
    Role.MP: "mpoffice/home_mp.html",
}


@office_required()
def home(request):
    if request.membership.role == Role.MP:
        return _dashboard(request)  # the MP's home page is the dashboard
    lists = HOME_LISTS[request.membership.role](membership=request.membership)
    return render(request, HOME_TEMPLATES[request.membership.role], {"title": "Home", **lists})


@office_required(Role.STAFF, Role.MP)
def dashboard(request):
    return _dashboard(request)


def _dashboard(request):
    data = office_dashboard(membership=request.membership)
    charts = {
        "trend": monthly_bar_chart(
            months=data.trend.months, counts=data.trend.counts, description="Cases opened per month, last 24 months"
        ),
        "topics": horizontal_bar_chart(tallies=data.open_by_topic, description="Open cases by topic"),
        "wards": horizontal_bar_chart(tallies=data.open_by_ward, description="Open cases by ward"),
    }
    return render(
        request, "mpoffice/dashboard.html", {"data": data, "charts": charts, "title": f"Dashboard: {request.office}"}
    )


def _briefing_context(request, pk: int) -> dict:
    campaign = get_object_or_404(campaigns_for(membership=request.membership), pk=pk)
    briefing = campaign_briefing(campaign=campaign, membership=request.membership)
    return {
        "briefing": briefing,
        "campaign": campaign,
        "charts": {
            "trend": monthly_bar_chart(
                months=briefing.trend.months,
                counts=briefing.trend.counts,
                description=f"Cases about {campaign.name} opened per month",
            ),
            "wards": horizontal_bar_chart(tallies=briefing.by_ward, description=f"Cases about {campaign.name} by ward"),
        },
        "title": f"Briefing: {campaign.name}",
    }


@office_required()
def campaign_briefing_view(request, pk: int):
    return render(request, "mpoffice/briefing.html", _briefing_context(request, pk))


@office_required()
def campaign_briefing_pdf(request, pk: int):
    context = _briefing_context(request, pk)
    html = render_to_string("mpoffice/briefing_pdf.html", {**context, "for_pdf": True}, request=request)
    response = HttpResponse(pdf_render(html).content, content_type="application/pdf")
    filename = slugify(context["campaign"].name) or "campaign"
    response["Content-Disposition"] = f'attachment; filename="briefing-{filename}.pdf"'
    return response


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
