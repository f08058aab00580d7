"""Data protection pages: audit trails, subject access exports, erasure and retention review.

Audit trails are for office staff and the MP; everything that exports or removes personal
data is for office staff only. Objects are fetched through the member's office.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from casework import audit
from casework.views import STAFF_ONLY, get_constituent
from mpoffice.access import OfficeRequest, office_required
from mpoffice.models import Role
from privacy import services as dataprotection
from privacy.forms import ErasureForm, RetentionDecisionForm, RetentionPeriodForm
from privacy.models import RetentionReview, SharedTextReview, SubjectAccessExport

TRAIL_PAGE_SIZE = 50


@office_required(Role.STAFF, Role.MP)
@require_GET
def audit_trail(request: OfficeRequest, kind: str, pk: int) -> HttpResponse:
    trail = audit.trail_kind(kind)
    if trail is None:
        raise Http404("No such kind of record.")
    obj = get_object_or_404(trail.scope(membership=request.membership), pk=pk)
    entries = audit.trail_entries(obj=obj, related=trail.related(obj))
    page = Paginator(entries, TRAIL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "privacy/audit_trail.html",
        {"title": f"Audit trail: {trail.label} {obj}", "obj": obj, "trail": trail, "page": page},
    )


def _exports_for(request: OfficeRequest) -> QuerySet[SubjectAccessExport]:
    return SubjectAccessExport.objects.for_office(request.office).select_related("constituent", "requested_by")


@office_required(*STAFF_ONLY)
def subject_access(request: OfficeRequest, pk: int) -> HttpResponse:
    constituent = get_constituent(request, pk)
    if request.method == "POST":
        export = dataprotection.subject_access_request(constituent=constituent, by=request.user)
        messages.success(request, "The export is being prepared. This page shows when it is ready.")
        return redirect(export)
    return render(
        request,
        "privacy/subject_access.html",
        {
            "title": f"Subject access: {constituent}",
            "constituent": constituent,
            "exports": _exports_for(request).filter(constituent=constituent),
        },
    )


@never_cache
@office_required(*STAFF_ONLY)
@require_GET
def subject_access_detail(request: OfficeRequest, pk: int) -> HttpResponse:
    export = get_object_or_404(_exports_for(request), pk=pk)
    template = "privacy/_export_status.html" if request.htmx else "privacy/export.html"
    return render(request, template, {"title": f"Subject access export #{export.pk}", "export": export})


@office_required(*STAFF_ONLY)
@require_GET
def subject_access_download(request: OfficeRequest, pk: int) -> HttpResponseBase:
    export = get_object_or_404(_exports_for(request).filter(status=SubjectAccessExport.Status.READY), pk=pk)
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        raise Http404("The export file is missing; make a new one.") from None
    dataprotection.subject_access_downloaded(export=export, by=request.user)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"subject-access-{export.constituent_id}-{export.finished_at:%Y%m%d}.zip",
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@office_required(*STAFF_ONLY)
def constituent_erase(request: OfficeRequest, pk: int) -> HttpResponse:
    constituent = get_constituent(request, pk)
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = dataprotection.constituent_erase(constituent=constituent, by=request.user)
        total = sum(outcome.counts.values())
        messages.success(request, f"The person's records were erased ({total} rows removed or anonymised).")
        return redirect("casework:constituent-list")
    return render(
        request,
        "privacy/erase.html",
        {
            "title": f"Erase {constituent}",
            "constituent": constituent,
            "preview": dataprotection.erasure_preview(constituent=constituent),
            "form": form,
        },
    )


def _pending_reviews(request: OfficeRequest) -> QuerySet[RetentionReview]:
    return (
        RetentionReview.objects.for_office(request.office)
        .filter(decision=RetentionReview.Decision.PENDING)
        .select_related("case__topic")
    )


@office_required(*STAFF_ONLY)
@require_GET
def data_protection(request: OfficeRequest) -> HttpResponse:
    return _data_protection_page(request)


def _data_protection_page(
    request: OfficeRequest,
    *,
    decision_form: RetentionDecisionForm | None = None,
    period_form: RetentionPeriodForm | None = None,
    status: int = 200,
) -> HttpResponse:
    reviews = _pending_reviews(request)
    return render(
        request,
        "privacy/overview.html",
        {
            "title": "Data protection",
            "reviews": reviews,
            "decision_form": decision_form or RetentionDecisionForm(reviews=reviews),
            "period_form": period_form or RetentionPeriodForm(instance=request.office),
            "events": audit.office_events(office_id=request.office.pk)[:50],
            "shared_text": dataprotection.shared_text_pending(office=request.office),
            "event_labels": audit.EVENT_LABELS,
            "decided": RetentionReview.objects.for_office(request.office)
            .exclude(decision=RetentionReview.Decision.PENDING)
            .select_related("decided_by")
            .order_by("-decided_at")[:25],
        },
        status=status,
    )


@require_POST
@office_required(*STAFF_ONLY)
def retention_decide(request: OfficeRequest) -> HttpResponse:
    form = RetentionDecisionForm(request.POST, reviews=_pending_reviews(request))
    if not form.is_valid():
        return _data_protection_page(request, decision_form=form)
    done = 0
    for review in form.cleaned_data["reviews"]:
        try:
            dataprotection.retention_decide(review=review, by=request.user, decision=form.cleaned_data["decision"])
            done += 1
        except dataprotection.RetentionRefused as refusal:
            messages.error(request, str(refusal))
    if done:
        messages.success(request, f"{done} case{'s' if done != 1 else ''}: {form.decision_label()}.")
    return redirect("privacy:data-protection")


@require_POST
@office_required(*STAFF_ONLY)
def shared_text_resolve(request: OfficeRequest, pk: int) -> HttpResponse:
    """One click on the data protection page: remove the mention of an erased person, or keep it."""
    review = get_object_or_404(SharedTextReview.objects.for_office(request.office).filter(resolved_at=None), pk=pk)
    redact = request.POST.get("action", "redact") != "keep"
    try:
        dataprotection.shared_text_resolve(review=review, by=request.user, redact=redact)
    except dataprotection.SharedTextChanged as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "The mention was removed." if redact else "The text was kept as written.")
    return redirect("privacy:data-protection")


@require_POST
@office_required(*STAFF_ONLY)
def retention_period(request: OfficeRequest) -> HttpResponse:
    form = RetentionPeriodForm(request.POST, instance=request.office)
    if not form.is_valid():
        return _data_protection_page(request, period_form=form)
    office = dataprotection.retention_period_set(office=request.office, years=form.cleaned_data["retention_years"])
    messages.success(request, f"Closed cases are now reviewed after {office.retention_years} years.")
    return redirect("privacy:data-protection")
