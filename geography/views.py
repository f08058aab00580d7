"""The postcode directory page: the office's constituency, the current release, uploads of a new
one (by the deployment's administrators) with progress, and the boundary-change report."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from geography import directory, selectors, services
from geography.forms import DirectoryUploadForm, OfficeAreaForm
from geography.models import Release
from mpoffice.access import OfficeRequest, office_required
from mpoffice.models import Role

STAFF_ONLY = (Role.STAFF,)


def _page(
    request: OfficeRequest, *, area_form: OfficeAreaForm | None = None, upload_form: DirectoryUploadForm | None = None
) -> HttpResponse:
    code = selectors.office_constituency_code(request.office)
    current = selectors.current_release()
    context = {
        "title": "Postcode directory",
        "constituency_code": code,
        "constituency_name": selectors.area_name(code) if code else "",
        "current": current,
        "running": Release.objects.filter(status__in=[Release.Status.QUEUED, Release.Status.RUNNING]).first(),
        "releases": Release.objects.select_related("created_by")[:10],
        "postcode_count": selectors.office_postcodes(request.office, include_terminated=False).count(),
        "wards": selectors.office_wards(request.office),
        "area_form": area_form or OfficeAreaForm(initial={"constituency_code": code}),
        "upload_form": upload_form or DirectoryUploadForm(),
        "may_upload": request.user.is_staff,
        "constituencies": selectors.constituencies(),
    }
    bad = (area_form is not None and area_form.errors) or (upload_form is not None and upload_form.errors)
    return render(request, "geography/directory.html", context, status=400 if bad else 200)


@require_GET
@office_required(*STAFF_ONLY)
def directory_page(request: OfficeRequest) -> HttpResponse:
    return _page(request)


@require_POST
@office_required(*STAFF_ONLY)
def area_set(request: OfficeRequest) -> HttpResponse:
    form = OfficeAreaForm(request.POST)
    if not form.is_valid():
        return _page(request, area_form=form)
    services.office_area_set(
        office=request.office, by=request.user, constituency_code=form.cleaned_data["constituency_code"]
    )
    name = selectors.area_name(form.cleaned_data["constituency_code"])
    messages.success(request, f"The office's constituency is now {name}.")
    return redirect("geography:directory")


@require_POST
@office_required(*STAFF_ONLY)
def upload(request: OfficeRequest) -> HttpResponse:
    # The directory is shared by every office of the deployment: only its administrators replace it.
    if not request.user.is_staff:
        raise PermissionDenied("Only the administrators of this Postbag may replace the postcode directory.")
    form = DirectoryUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, upload_form=form)
    try:
        services.release_create(
            label=form.cleaned_data["label"],
            published_on=form.cleaned_data["published_on"],
            upload=form.cleaned_data["file"],
            by=request.user,
        )
    except (directory.DirectoryRefused, ValidationError) as refusal:
        form.add_error("file", refusal.messages if isinstance(refusal, ValidationError) else str(refusal))
        return _page(request, upload_form=form)
    messages.info(request, "The directory is being imported; this page shows its progress.")
    return redirect("geography:directory")


@require_GET
@office_required(*STAFF_ONLY)
def progress(request: OfficeRequest) -> HttpResponse:
    """The progress fragment htmx polls; a finished import reloads the page."""
    release = Release.objects.order_by("-created_at", "-pk").first()
    response = render(request, "geography/_progress.html", {"release": release})
    if request.htmx and (release is None or not release.is_running):
        response["HX-Refresh"] = "true"
    return response
