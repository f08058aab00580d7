from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from casework import audit, geography, services
from casework.forms import ConstituentForm, ConstituentSearchForm, MergeForm, PostcodeUploadForm
from casework.models import Case, ConstituentMerge, PostcodeWard
from casework.phones import phone_normalise
from casework.postcodes import postcode_is_valid, postcode_normalise
from casework.selectors import (
    cases_for,
    constituent_duplicates,
    constituents_for,
    contacts_for,
    suspected_duplicates,
)
from casework.selectors import (
    constituent_list as constituent_list_query,
)
from casework.views import LIST_PAGE_SIZE, STAFF_ONLY, WRITERS, get_constituent
from mpoffice.access import OfficeRequest, office_required
from mpoffice.models import Role


def constituent_search(queryset, q: str):
    """Narrow constituents by what was typed: an e-mail, a phone number, a postcode or a name.

    Each branch uses an index that leads with the office (see Constituent.Meta.indexes).
    """
    q = " ".join((q or "").split())
    if not q:
        return queryset
    if "@" in q:
        return (
            queryset.filter(email__iexact=q.lower())
            if "." in q.split("@")[-1]
            else queryset.filter(email__istartswith=q.lower())
        )
    digits = q.replace(" ", "").lstrip("+")
    if digits.isdigit() and len(digits) >= 6:
        try:
            return queryset.filter(phone=phone_normalise(q))
        except ValidationError:  # a partial number: match its ending
            return queryset.filter(phone__endswith=digits.lstrip("0"))
    if postcode_is_valid(q):
        return queryset.filter(postcode=postcode_normalise(q))
    compact = q.replace(" ", "").upper()
    if len(compact) <= 4 and compact[:1].isalpha() and any(ch.isdigit() for ch in compact):
        return queryset.filter(postcode__startswith=compact + " ")  # an outward code: "MK9"
    match = Q()
    for term in q.split():
        match &= Q(last_name__istartswith=term) | Q(first_name__istartswith=term) | Q(organisation_name__icontains=term)
    return queryset.filter(match)


@require_GET
@office_required()
def constituent_list(request: OfficeRequest) -> HttpResponse:
    form = ConstituentSearchForm(request.GET or None)
    query = form.data.get("q", "") if form.is_bound else ""
    constituents = constituent_search(constituent_list_query(membership=request.membership), query)
    page = Paginator(constituents, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "casework/constituent_list.html",
        {
            "title": "Constituents",
            "form": form,
            "page": page,
            "query": query,
            "querystring": urlencode({"q": query}) if query else "",
        },
    )


@office_required()
@require_GET
def constituent_detail(request: OfficeRequest, pk) -> HttpResponse:
    constituent = get_constituent(request, pk)
    if constituent.is_vulnerable or constituent.has_special_category_data:
        audit.record_view(constituent)  # who opened a vulnerable person's record is audited
    cases = list(
        cases_for(membership=request.membership)
        .filter(case_constituents__constituent=constituent)
        .select_related("topic__parent", "assignee")
        .order_by("-opened_at")[:50]
    )
    contacts = (
        contacts_for(membership=request.membership)
        .filter(constituent=constituent)
        .select_related("staff", "case")
        .prefetch_related("attachments")[:25]
    )
    merges = ConstituentMerge.objects.filter(survivor=constituent).select_related("merged", "merged_by")
    return render(
        request,
        "casework/constituent_detail.html",
        {
            "title": constituent.display_name,
            "constituent": constituent,
            "cases": cases,
            "contacts": contacts,
            # Contacts logged before the case was opened can be put on it from here.
            "open_cases": [case for case in cases if case.is_open],
            "merges": merges,
            "geography": geography.constituent_areas(constituent),
            "can_write": request.membership.has_role(*WRITERS),
            "is_staff": request.membership.has_role(*STAFF_ONLY),
            "can_read_audit": request.membership.has_role(Role.STAFF, Role.MP),
        },
    )


@office_required(*WRITERS)
def constituent_create(request: OfficeRequest) -> HttpResponse:
    duplicates = []
    if request.method == "POST":
        form = ConstituentForm(request.POST, duplicates_possible="save_anyway" in request.POST)
        if form.is_valid():
            fields = form.service_fields()
            if not form.cleaned_data.get("save_anyway"):
                duplicates = constituent_duplicates(membership=request.membership, **_duplicate_keys(fields))
            if duplicates:
                # Show the likely duplicates before anything is saved; the form keeps what was typed.
                form = ConstituentForm(request.POST, duplicates_possible=True)
                form.is_valid()
            else:
                constituent = services.constituent_create(office=request.office, by=request.user, **fields)
                messages.success(request, f"Saved {constituent.display_name}.")
                return redirect(constituent)
    else:
        form = ConstituentForm(initial={"kind": request.GET.get("kind", "person")})
    return render(
        request,
        "casework/constituent_form.html",
        {"title": "New constituent", "form": form, "duplicates": duplicates},
    )


def _duplicate_keys(fields: dict) -> dict:
    keys = ("kind", "email", "phone", "postcode", "first_name", "last_name", "organisation_name")
    return {key: fields.get(key) or "" for key in keys}


@office_required()
def constituent_edit(request: OfficeRequest, pk) -> HttpResponse:
    constituent = get_constituent(request, pk, roles=WRITERS)
    form = ConstituentForm(request.POST or None, instance=constituent)
    if request.method == "POST" and form.is_valid():
        services.constituent_update(constituent=constituent, by=request.user, **form.service_fields())
        messages.success(request, f"Saved {constituent.display_name}.")
        return redirect(constituent)
    return render(
        request,
        "casework/constituent_form.html",
        {"title": f"Edit {constituent.display_name}", "form": form, "constituent": constituent},
    )


@require_GET
@office_required(*STAFF_ONLY)
def constituent_duplicate_list(request: OfficeRequest) -> HttpResponse:
    groups = suspected_duplicates(membership=request.membership)
    return render(request, "casework/constituent_duplicates.html", {"title": "Suspected duplicates", "groups": groups})


@office_required()
def constituent_merge(request: OfficeRequest, pk) -> HttpResponse:
    """Merge this constituent (the duplicate) into a survivor chosen on the page."""
    merged = get_constituent(request, pk, roles=STAFF_ONLY)
    scope = constituents_for(membership=request.membership).exclude(pk=merged.pk)
    form = MergeForm(request.POST or None, constituents=scope)
    if request.method == "POST" and form.is_valid():
        survivor = form.cleaned_data["survivor"]
        try:
            merge = services.constituent_merge(survivor=survivor, merged=merged, by=request.user)
        except ValueError as error:
            messages.error(request, str(error))
            return redirect(merged)
        moved = sum(merge.moved.values())
        messages.success(request, f"Merged {merged.display_name} into {survivor.display_name}: {moved} records moved.")
        return redirect(survivor)
    candidates = constituent_duplicates(
        membership=request.membership,
        exclude_pk=merged.pk,
        **_duplicate_keys({name: getattr(merged, name) for name in _duplicate_keys({})}),
    )
    chosen = request.GET.get("survivor", "")
    if chosen.isdigit():
        extra = scope.filter(pk=chosen).first()
        if extra and extra not in candidates:
            candidates.insert(0, extra)
    case_count = Case.objects.filter(case_constituents__constituent=merged).count()
    return render(
        request,
        "casework/constituent_merge.html",
        {
            "title": f"Merge {merged.display_name}",
            "merged": merged,
            "candidates": candidates,
            "form": form,
            "case_count": case_count,
        },
    )


@require_GET
@office_required()
def constituent_autocomplete(request: OfficeRequest) -> HttpResponse:
    """htmx: constituents matching what was typed, as checkboxes for the case form, or as radio
    buttons for a picker of one person (``pick``: the field's name, e.g. the correspondent)."""
    query = request.GET.get("q", "")
    pick = request.GET.get("pick", "")
    results = []
    if len(query.strip()) >= 2:
        results = list(constituent_search(constituents_for(membership=request.membership), query)[:10])
    if pick in PICKER_FIELDS:
        return render(
            request,
            "casework/includes/constituent_radio_options.html",
            {"results": results, "query": query, "pick": pick},
        )
    return render(request, "casework/includes/constituent_options.html", {"results": results, "query": query})


# The form fields that pick one constituent by search (casework.forms.ConstituentPicker).
PICKER_FIELDS = {"correspondent"}


@office_required(*STAFF_ONLY)
def postcode_upload(request: OfficeRequest) -> HttpResponse:
    form = PostcodeUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = services.postcode_wards_import(office=request.office, rows=form.cleaned_data["file"])
        if result.ok:
            messages.success(
                request,
                f"Imported the postcode table: {result.created} added, {result.updated} changed, "
                f"{result.constituents_updated} constituents' wards set.",
            )
            return redirect(reverse("casework:postcode-upload"))
    count = PostcodeWard.objects.for_office(request.office).count()
    return render(
        request,
        "casework/postcode_upload.html",
        {"title": "Postcode to ward table", "form": form, "result": result, "count": count},
    )
