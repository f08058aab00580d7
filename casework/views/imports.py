"""CSV imports: upload, watch the check run, read the errors or the preview, confirm."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from casework import exports, imports
from casework.models import ImportBatch
from casework.views import LIST_PAGE_SIZE, STAFF_ONLY
from mpoffice.access import POST_ONLY, OfficeRequest, get_for_member, office_required

MAX_UPLOAD_BYTES = 100 * 1024 * 1024  # 100,000 rows of constituents are about 15 MB


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds", choices=ImportBatch.Kind.choices, widget=forms.RadioSelect)
    file = forms.FileField(label="CSV file (UTF-8)", help_text="The first row names the columns.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 100 MB; split it into smaller files.")
        return upload


def _batches(request: OfficeRequest) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.for_office(request.office)


def _get_batch(request: OfficeRequest, pk: int, *, post_only: bool = False) -> ImportBatch:
    return get_for_member(
        request,
        _batches(request).select_related("created_by", "committed_by"),
        roles=STAFF_ONLY,
        action="import files",
        methods=POST_ONLY if post_only else (),
        pk=pk,
    )


@office_required(*STAFF_ONLY)
def import_list(request: OfficeRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = imports.import_start(
                office=request.office, by=request.user, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"]
            )
        except imports.ImportRefused as error:
            form.add_error("file", str(error))
        else:
            return redirect(batch.get_absolute_url())
    page = Paginator(
        _batches(request).select_related("created_by").defer("errors", "preview"), LIST_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "casework/imports/list.html",
        {"title": "Import from CSV", "form": form, "page": page, "specs": imports.SPECS.values()},
        status=400 if form.errors else 200,
    )


@require_GET
@office_required(*STAFF_ONLY)
def import_template(request: OfficeRequest) -> HttpResponse:
    """An empty CSV with the expected columns, to fill in."""
    kind = request.GET.get("kind", ImportBatch.Kind.CONSTITUENTS)
    spec = imports.SPECS.get(kind) or imports.SPECS[ImportBatch.Kind.CONSTITUENTS]
    response = HttpResponse("".join(exports.csv_stream(spec.columns, [])), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="postbag-{spec.kind}-template.csv"'
    return response


@office_required()
@require_GET
def import_detail(request: OfficeRequest, pk: int) -> HttpResponse:
    batch = _get_batch(request, pk)
    errors = Paginator(batch.errors, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "casework/imports/detail.html",
        {
            "title": f"Import: {batch.original_name}",
            "batch": batch,
            "errors": errors,
            "spec": imports.SPECS[batch.kind],
        },
    )


@office_required()
@require_GET
def import_progress(request: OfficeRequest, pk: int) -> HttpResponse:
    """The progress fragment htmx polls; a finished import reloads the whole page."""
    batch = _get_batch(request, pk)
    response = render(request, "casework/imports/_progress.html", {"batch": batch})
    if not batch.is_running and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@office_required()
def import_confirm(request: OfficeRequest, pk: int) -> HttpResponse:
    batch = _get_batch(request, pk, post_only=True)
    try:
        imports.import_commit(batch=batch, by=request.user)
    except imports.ImportNotReady as error:
        messages.warning(request, str(error))
    return redirect(batch.get_absolute_url())


@office_required()
def import_cancel(request: OfficeRequest, pk: int) -> HttpResponse:
    batch = _get_batch(request, pk, post_only=True)
    imports.import_cancel(batch=batch)
    messages.info(request, "The import was cancelled; nothing was saved.")
    return redirect("casework:import-list")
