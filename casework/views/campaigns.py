from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from casework.campaigns import campaign_case_link, campaign_case_unlink, campaigns_for
from casework.selectors import cases_for
from casework.survey_forms import CampaignCaseForm, CampaignForm
from mpoffice.access import office_required
from mpoffice.models import Role


def _campaign(request, pk: int):
    return get_object_or_404(campaigns_for(membership=request.membership), pk=pk)


@office_required()
def campaign_list(request):
    campaigns = campaigns_for(membership=request.membership).annotate(case_count=Count("campaign_cases"))
    page = Paginator(campaigns.order_by("status", "name"), 25).get_page(request.GET.get("page"))
    return render(request, "casework/campaigns/list.html", {"page": page, "title": "Campaigns"})


@office_required(Role.STAFF)
def campaign_create(request):
    form = CampaignForm(request.POST or None, office=request.office)
    if request.method == "POST" and form.is_valid():
        form.instance.office = request.office
        campaign = form.save()
        messages.success(request, f"Campaign “{campaign.name}” created.")
        return redirect(campaign)
    return render(request, "casework/campaigns/form.html", {"form": form, "title": "New campaign"})


@office_required(Role.STAFF)
def campaign_edit(request, pk: int):
    campaign = _campaign(request, pk)
    form = CampaignForm(request.POST or None, instance=campaign, office=request.office)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Campaign saved.")
        return redirect(campaign)
    return render(
        request, "casework/campaigns/form.html", {"form": form, "campaign": campaign, "title": f"Edit {campaign}"}
    )


@office_required()
def campaign_detail(request, pk: int):
    campaign = _campaign(request, pk)
    visible_cases = cases_for(membership=request.membership)
    cases = (
        visible_cases.filter(campaign_links__campaign=campaign)
        .select_related("topic", "assignee")
        .order_by("-opened_at", "-pk")
    )
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "casework/campaigns/detail.html",
        {
            "campaign": campaign,
            "page": page,
            "findings": campaign.survey_findings.select_related("survey"),
            "link_form": CampaignCaseForm(cases=visible_cases),
            "can_edit": request.membership.has_role(Role.STAFF),
            "title": campaign.name,
        },
    )


@require_POST
@office_required()
def campaign_case_add(request, pk: int):
    campaign = _campaign(request, pk)
    form = CampaignCaseForm(request.POST, cases=cases_for(membership=request.membership))
    if form.is_valid():
        case = form.cleaned_data["case"]
        if campaign_case_link(campaign=campaign, case=case, by=request.user):
            messages.success(request, f"{case.reference} is now part of “{campaign.name}”.")
        else:
            messages.info(request, f"{case.reference} was already part of “{campaign.name}”.")
    else:
        messages.error(request, form.errors["reference"][0])
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect(campaign)


@require_POST
@office_required(Role.STAFF)
def campaign_case_remove(request, pk: int, case_pk: int):
    campaign = _campaign(request, pk)
    case = get_object_or_404(cases_for(membership=request.membership), pk=case_pk)
    if campaign_case_unlink(campaign=campaign, case=case, by=request.user):
        messages.success(request, f"{case.reference} removed from “{campaign.name}”.")
    return redirect(campaign)
