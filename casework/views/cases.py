from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from casework import audit, services
from casework.filters import CaseFilter
from casework.forms import CaseAssignForm, CaseForm, CaseStatusForm, NoteForm
from casework.selectors import case_list as case_list_query
from casework.selectors import constituents_for, timeline_page, topics_for
from casework.timeline import kind_for
from casework.views import LIST_PAGE_SIZE, WRITERS, get_case, office_users
from mpoffice.access import office_required
from mpoffice.models import Role
from mpoffice.pagination import CappedPaginator


@require_GET
@office_required()
def case_list(request):
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
def case_create(request):
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
def case_detail(request, pk):
    case = get_case(request, pk)
    if case.is_sensitive:
        audit.record_view(case)  # who opened a sensitive case is part of its audit trail
    page = timeline_page(case=case, page_number=request.GET.get("page"))
    entries = [(entry, kind_for(entry.kind)) for entry in page]
    constituents = list(case.constituents.select_related("ward").order_by("pk"))
    can_write = request.membership.has_role(*WRITERS)
    return render(
        request,
        "casework/case_detail.html",
        {
            "title": f"{case.reference}: {case.summary}",
            "case": case,
            "constituents": constituents,
            "tags": list(case.tags.all()),
            "page": page,
            "entries": entries,
            "can_write": can_write,
            "can_read_audit": request.membership.has_role(Role.STAFF, Role.MP),
            "status_form": CaseStatusForm(initial={"status": case.status, "outcome": case.outcome})
            if can_write
            else None,
            "assign_form": CaseAssignForm(initial={"assignee": case.assignee_id}, members=office_users(case.office))
            if can_write
            else None,
            "note_form": NoteForm() if can_write else None,
        },
    )


@office_required()
def case_edit(request, pk):
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
def case_status(request, pk):
    case = get_case(request, pk, roles=WRITERS)
    form = CaseStatusForm(request.POST)
    if form.is_valid():
        services.case_set_status(
            case=case,
            by=request.user,
            status=form.cleaned_data["status"],
            outcome=form.cleaned_data["outcome"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(request, f"{case.reference} is now {case.get_status_display().lower()}.")
    else:
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
    return redirect(case)


@require_POST
@office_required()
def case_assign(request, pk):
    case = get_case(request, pk, roles=WRITERS)
    form = CaseAssignForm(request.POST, members=office_users(case.office))
    if form.is_valid():
        services.case_assign(case=case, by=request.user, assignee=form.cleaned_data["assignee"])
        messages.success(request, "Assignment saved.")
    else:
        messages.error(request, "Choose someone who works in this office.")
    return redirect(case)


@require_POST
@office_required()
def note_create(request, pk):
    case = get_case(request, pk, roles=WRITERS)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.note_add(case=case, by=request.user, text=form.cleaned_data["text"])
        messages.success(request, "Note added.")
    else:
        messages.error(request, "Write the note before adding it.")
    return redirect(case)
