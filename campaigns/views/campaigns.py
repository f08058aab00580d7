from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from campaigns.forms import ActionForm, CampaignCaseForm, CampaignForm, KeyFactForm, MeetingForm
from campaigns.models import Campaign, FollowUpAction, Meeting
from campaigns.services import (
    action_add,
    action_complete,
    campaign_case_link,
    campaign_case_unlink,
    campaign_cases,
    campaign_save,
    campaigns_for,
    key_fact_add,
    meeting_add,
)
from casework.selectors import cases_for
from mpoffice.access import OfficeRequest, office_required
from mpoffice.models import Role

# Who gathers cases into a campaign: the people who work the cases, adding and removing alike.
# The MP reads the campaign (and its briefing) but does not change which cases it holds.
CASE_LINKERS = (Role.CASEWORKER, Role.STAFF)


def _campaign(request: OfficeRequest, pk: int) -> Campaign:
    return get_object_or_404(campaigns_for(membership=request.membership), pk=pk)


@office_required()
@require_GET
def campaign_list(request: OfficeRequest) -> HttpResponse:
    campaigns = campaigns_for(membership=request.membership).annotate(case_count=Count("campaign_cases"))
    page = Paginator(campaigns.order_by("status", "name"), 25).get_page(request.GET.get("page"))
    return render(request, "campaigns/list.html", {"page": page, "title": "Campaigns"})


@office_required(Role.STAFF)
def campaign_create(request: OfficeRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None, office=request.office)
    if request.method == "POST" and form.is_valid():
        campaign = campaign_save(
            campaign=form.save(commit=False), office=request.office, topics=form.cleaned_data["topics"]
        )
        messages.success(request, f"Campaign “{campaign.name}” created.")
        return redirect(campaign)
    return render(request, "campaigns/form.html", {"form": form, "title": "New campaign"})


@office_required(Role.STAFF)
def campaign_edit(request: OfficeRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    form = CampaignForm(request.POST or None, instance=campaign, office=request.office)
    if request.method == "POST" and form.is_valid():
        campaign_save(campaign=form.save(commit=False), office=request.office, topics=form.cleaned_data["topics"])
        messages.success(request, "Campaign saved.")
        return redirect(campaign)
    return render(request, "campaigns/form.html", {"form": form, "campaign": campaign, "title": f"Edit {campaign}"})


@office_required()
@require_GET
def campaign_detail(request: OfficeRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _campaign(request, pk))


def _action_prefix(meeting: Meeting) -> str:
    return f"meeting-{meeting.pk}"


def _render_detail(request: OfficeRequest, campaign: Campaign, **bound_forms: BaseForm) -> HttpResponse:
    """The campaign page; a form that failed is passed in bound, so its errors and input show."""
    visible_cases = cases_for(membership=request.membership)
    cases = (
        campaign_cases(campaign=campaign, cases=visible_cases)
        .select_related("topic", "topic__parent", "assignee")
        .order_by("-opened_at", "-pk")
    )
    meetings = list(
        campaign.meetings.prefetch_related(Prefetch("actions", queryset=FollowUpAction.objects.select_related("owner")))
    )
    failed_action_form = bound_forms.pop("action_form", None)
    # Each meeting with its form for a follow-up action, each form with its own prefix so that
    # field ids stay unique on the page; the form that failed is shown bound.
    meetings_and_forms: list[tuple[Meeting, BaseForm]] = [
        (
            meeting,
            failed_action_form
            if failed_action_form is not None and failed_action_form.prefix == _action_prefix(meeting)
            else ActionForm(office=request.office, prefix=_action_prefix(meeting)),
        )
        for meeting in meetings
    ]
    context = {
        "campaign": campaign,
        "page": Paginator(cases, 25).get_page(request.GET.get("page")),
        "rule_topics": campaign.topics.select_related("parent") if campaign.rule_since else [],
        "findings": campaign.survey_findings.select_related("survey"),
        "facts": campaign.key_facts.all(),
        "meetings": meetings_and_forms,
        "fact_form": KeyFactForm(),
        "meeting_form": MeetingForm(),
        "today": timezone.localdate(),
        "can_edit": request.membership.has_role(Role.STAFF),
        "can_link_cases": request.membership.has_role(*CASE_LINKERS),
        "title": campaign.name,
    }
    context.update(bound_forms)
    return render(request, "campaigns/detail.html", context)


@require_POST
@office_required(Role.STAFF)
def campaign_fact_add(request: OfficeRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    form = KeyFactForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, campaign, fact_form=form)
    key_fact_add(campaign=campaign, by=request.user, **form.cleaned_data)
    messages.success(request, "Key fact added.")
    return redirect(campaign)


@require_POST
@office_required(Role.STAFF)
def campaign_meeting_add(request: OfficeRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    form = MeetingForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, campaign, meeting_form=form)
    meeting_add(campaign=campaign, **form.cleaned_data)
    messages.success(request, "Meeting recorded.")
    return redirect(campaign)


@require_POST
@office_required(Role.STAFF)
def meeting_action_add(request: OfficeRequest, pk: int, meeting_pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    meeting = get_object_or_404(campaign.meetings, pk=meeting_pk)
    form = ActionForm(request.POST, office=request.office, prefix=_action_prefix(meeting))
    if not form.is_valid():
        return _render_detail(request, campaign, action_form=form)
    action_add(meeting=meeting, **form.cleaned_data)
    messages.success(request, "Follow-up action added.")
    return redirect(campaign)


@require_POST
@office_required()
def meeting_action_done(request: OfficeRequest, pk: int, action_pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    action = get_object_or_404(FollowUpAction.objects.filter(meeting__campaign=campaign), pk=action_pk)
    if not (request.membership.has_role(Role.STAFF) or action.owner_id == request.user.pk):
        raise PermissionDenied("Only the action's owner or office staff can mark it done.")
    if action_complete(action=action):
        messages.success(request, f"Done: {action.description}")
    return redirect(campaign)


@require_POST
@office_required(*CASE_LINKERS)
def campaign_case_add(request: OfficeRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    form = CampaignCaseForm(request.POST, cases=cases_for(membership=request.membership))
    if form.is_valid():
        case = form.cleaned_data["case"]
        if campaign_case_link(campaign=campaign, case=case, by=request.user):
            messages.success(request, f"{case.reference} is now part of “{campaign.name}”.")
        else:
            messages.info(request, f"{case.reference} was already part of “{campaign.name}”.")
    else:
        messages.error(request, str(form.errors["reference"][0]))
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect(campaign)


@require_POST
@office_required(*CASE_LINKERS)
def campaign_case_remove(request: OfficeRequest, pk: int, case_pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    case = get_object_or_404(cases_for(membership=request.membership), pk=case_pk)
    if campaign_case_unlink(campaign=campaign, case=case, by=request.user):
        messages.success(request, f"{case.reference} removed from “{campaign.name}”.")
    return redirect(campaign)
