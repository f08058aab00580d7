"""The read side's pages: each role's home, the MP's dashboard and a campaign's briefing.

Views stay thin: the figures come from ``briefings.selectors``, the charts from
``mpoffice.charts``.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from briefings.selectors import (
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
from campaigns.services import campaigns_for
from mpoffice.access import READ_METHODS, office_required, require_method
from mpoffice.charts import horizontal_bar_chart, monthly_bar_chart, svg_data_uri, svg_response
from mpoffice.models import Role
from mpoffice.pdf import pdf_render

HOME_LISTS = {Role.CASEWORKER: caseworker_home, Role.STAFF: staff_home}
HOME_TEMPLATES = {
    Role.CASEWORKER: "briefings/home_caseworker.html",
    Role.STAFF: "briefings/home_staff.html",
    Role.MP: "briefings/home_mp.html",
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
        request, "briefings/dashboard.html", {"data": data, "charts": charts, "title": f"Dashboard: {request.office}"}
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
    return render(request, "briefings/briefing.html", _briefing_context(request, pk))


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
    html = render_to_string("briefings/briefing_pdf.html", context, request=request)
    response = HttpResponse(pdf_render(html).content, content_type="application/pdf")
    filename = slugify(context["campaign"].name) or "campaign"
    response["Content-Disposition"] = f'attachment; filename="briefing-{filename}.pdf"'
    return response
