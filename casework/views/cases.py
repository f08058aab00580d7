from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from casework import audit, services
from casework.case_page import case_actions, case_panels
from casework.filters import CaseFilter
from casework.forms import CaseAssignForm, CaseForm, CaseStatusForm, NoteForm
from casework.models import Case
from casework.selectors import case_list as case_list_query
from casework.selectors import constituents_for, timeline_page, topics_for
from casework.timeline import kind_for
from casework.views import LIST_PAGE_SIZE, WRITERS, get_case, office_users
from mpoffice.access import OfficeRequest, office_required
from mpoffice.models import Role
from mpoffice.pagination import CappedPaginator


@require_GET
@office_required()
def case_list(request: OfficeRequest) -> HttpResponse:
    data = request.GET.copy()
    if not data:
        data["status"] = "open_any"  # the daily view: open cases, newest first
    case_filter = CaseFilter(
        data, queryset=case_list_query(membership=request.membership), membership=request.membership
    )
    page = CappedPaginator(case_filter.qs, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = data.copy()
    query.pop("page", None)
    return render(
        request,
        "casework/case_list.html",
        {
            "title": "Cases",
            "filter": case_filter,
            "page": page,
            "querystring": query.urlencode(),
            "can_write": request.membership.has_role(*WRITERS),
        },
    )


@office_required(*WRITERS)
def case_create(request: OfficeRequest) -> HttpResponse:
    constituents = constituents_for(membership=request.membership)
    topics = topics_for(membership=request.membership, active_only=True)
    initial = {}
    preselected = request.GET.getlist("constituent")
    if preselected:
        initial["constituents"] = list(constituents.filter(pk__in=[p for p in preselected if p.isdigit()]))
    form = CaseForm(request.POST or None, initial=initial, constituents=constituents, topics=topics)
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        case = services.case_open(
            office=request.office,
            by=request.user,
            constituents=form.cleaned_data["constituents"],
            assignee=request.user,
            **data,
        )
        services.case_set_tags(case=case, names=form.cleaned_data["tags_text"])
        messages.success(request, f"Opened case {case.reference}.")
        return redirect(case)
    return render(
        request,
        "casework/case_form.html",
        {"title": "New case", "form": form, "selected": _selected(form, initial)},
    )


def _selected(form, initial):
    """The constituents already picked, to draw them checked when the form comes back."""
    if form.is_bound:
        ids = [value for value in form.data.getlist("constituents") if value.isdigit()]
        return list(form.fields["constituents"].queryset.filter(pk__in=ids))
    return list(initial.get("constituents", []))


@office_required()
@require_GET
def case_detail(request: OfficeRequest, pk) -> HttpResponse:
    case = get_case(request, pk)
    if case.is_sensitive:
        audit.record_view(case)  # who opened a sensitive case is part of its audit trail
    return _case_page(request, case)


def _case_page(request: OfficeRequest, case: Case, **bound_forms: Any) -> HttpResponse:
    """The case page, drawn in this one place: ``case_detail`` shows it with fresh forms, and
    the status, assignment and note views show it again with their bound form (e.g.
    ``status_form=form``) when the input was wrong, so that the errors stand beside the
    fields and nothing typed is lost."""
    page = timeline_page(case=case, page_number=request.GET.get("page"))
    can_write = request.membership.has_role(*WRITERS)
    forms = {}
    if can_write:
        forms = {
            "status_form": CaseStatusForm(case=case),
            "assign_form": CaseAssignForm(case=case, members=office_users(case.office)),
            "note_form": NoteForm(case=case),
        } | bound_forms
    return render(
        request,
        "casework/case_detail.html",
        {
            "title": f"{case.reference}: {case.summary}",
            "case": case,
            "constituents": list(case.constituents.select_related("ward").order_by("pk")),
            "tags": list(case.tags.all()),
            "page": page,
            "page_path": case.get_absolute_url(),
            "entries": [(entry, kind_for(entry.kind)) for entry in page],
            "can_write": can_write,
            "can_read_audit": request.membership.has_role(Role.STAFF, Role.MP),
            # What other apps add (letters: "Write a letter" and the case's letters).
            "case_actions": case_actions(case=case, membership=request.membership),
            "case_panels": case_panels(case=case, membership=request.membership),
            **forms,
        },
    )


@office_required()
def case_edit(request: OfficeRequest, pk) -> HttpResponse:
    case = get_case(request, pk, roles=WRITERS)
    constituents = constituents_for(membership=request.membership)
    topics = topics_for(membership=request.membership, active_only=True)
    if case.topic_id:
        topics = topics | topics_for(membership=request.membership).filter(pk=case.topic_id)
    initial = {"constituents": list(case.constituents.all())}
    form = CaseForm(request.POST or None, instance=case, initial=initial, constituents=constituents, topics=topics)
    if request.method == "POST" and form.is_valid():
        services.case_update(case=case, by=request.user, **form.service_fields())
        services.case_set_constituents(case=case, constituents=form.cleaned_data["constituents"])
        services.case_set_tags(case=case, names=form.cleaned_data["tags_text"])
        messages.success(request, f"Saved case {case.reference}.")
        return redirect(case)
    return render(
        request,
        "casework/case_form.html",
        {"title": f"Edit {case.reference}", "form": form, "case": case, "selected": _selected(form, initial)},
    )


@require_POST
@office_required()
def case_status(request: OfficeRequest, pk) -> HttpResponse:
    case = get_case(request, pk, roles=WRITERS)
    form = CaseStatusForm(request.POST, case=case)
    if not form.is_valid():
        return _case_page(request, case, status_form=form)
    services.case_set_status(
        case=case,
        by=request.user,
        status=form.cleaned_data["status"],
        outcome=form.cleaned_data["outcome"],
        comment=form.cleaned_data["comment"],
    )
    messages.success(request, f"{case.reference} is now {case.get_status_display().lower()}.")
    return redirect(case)


@require_POST
@office_required()
def case_assign(request: OfficeRequest, pk) -> HttpResponse:
    case = get_case(request, pk, roles=WRITERS)
    form = CaseAssignForm(request.POST, case=case, members=office_users(case.office))
    if not form.is_valid():
        return _case_page(request, case, assign_form=form)
    services.case_assign(case=case, by=request.user, assignee=form.cleaned_data["assignee"])
    messages.success(request, "Assignment saved.")
    return redirect(case)


@require_POST
@office_required()
def note_create(request: OfficeRequest, pk) -> HttpResponse:
    case = get_case(request, pk, roles=WRITERS)
    form = NoteForm(request.POST, case=case)
    if not form.is_valid():
        return _case_page(request, case, note_form=form)
    services.note_add(case=case, by=request.user, text=form.cleaned_data["text"])
    messages.success(request, "Note added.")
    return redirect(case)
