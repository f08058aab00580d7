"""Bulk reply pages: choose who and which template, preview, approve, start, watch, cancel,
download.

Office staff prepare and start bulk replies; the MP approves or returns them (unless the office
lets staff send them without approval) and may watch them; caseworkers do neither. Everything
is fetched through the member's office (another office's run is a 404)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from campaigns.services import campaign_cases, campaigns_for
from casework.filters import CaseFilter
from casework.selectors import cases_for
from letters.bulk import (
    bulk_preview,
    bulk_progress,
    bulk_run_approve,
    bulk_run_cancel,
    bulk_run_prepare,
    bulk_run_return,
    bulk_run_start,
    bulk_run_submit,
)
from letters.models import BulkBatch, BulkItem, BulkRun
from letters.selectors import templates_for
from letters.services import LetterError
from mpoffice.access import READ_METHODS, get_for_member, office_required
from mpoffice.models import Role

RUNNERS = (Role.STAFF,)
APPROVERS = (Role.MP,)
WATCHERS = (Role.STAFF, Role.MP)


class BulkNewForm(forms.Form):
    template = forms.ModelChoiceField(queryset=None, label="Letter template", empty_label="Choose a template")
    source = forms.ChoiceField(
        label="Who gets the letter",
        choices=[
            ("campaign", "Every constituent on a campaign's cases"),
            ("cases", "Every constituent on the cases matching the filters below"),
        ],
        widget=forms.RadioSelect,
        initial="campaign",
    )
    campaign = forms.ModelChoiceField(queryset=None, required=False, empty_label="Choose a campaign")

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates_for(membership=membership)
        self.fields["campaign"].queryset = campaigns_for(membership=membership)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") == "campaign" and not cleaned.get("campaign"):
            self.add_error("campaign", "Choose the campaign whose constituents should get the letter.")
        return cleaned


class BulkReturnForm(forms.Form):
    comment = forms.CharField(
        label="What should change?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The staff member who prepared it is told, with your comment.",
    )


def _run(request, pk: int, *, methods=()) -> BulkRun:
    scope = BulkRun.objects.for_office(request.office).select_related(
        "office", "template", "campaign", "created_by", "approved_by", "returned_by"
    )
    return get_for_member(request, scope, methods=methods, pk=pk)


@require_GET
@office_required(*WATCHERS)
def bulk_list(request):
    runs = BulkRun.objects.for_office(request.office).select_related("template", "created_by").order_by("-created_at")
    status = request.GET.get("status", "")
    if status in BulkRun.Status.values:
        runs = runs.filter(status=status)
    else:
        status = ""
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "letters/bulk_list.html",
        {
            "title": "Bulk replies",
            "page": page,
            "status": status,
            "statuses": BulkRun.Status.choices,
            "querystring": urlencode({"status": status}) if status else "",
        },
    )


def _filter_data(case_filter: CaseFilter, *, user) -> dict[str, list[str]]:
    """The chosen filters, kept on the run to count its recipients again before it starts
    ("me" is kept as the person who chose it, whoever starts the run)."""
    data = case_filter.data
    kept = {name: data.getlist(name) for name in case_filter.form.fields if name != "sort" and name in data}
    if kept.get("assignee") == ["me"]:
        kept["assignee"] = [str(user.pk)]
    return kept


def _filter_description(case_filter: CaseFilter) -> str:
    data = case_filter.form.cleaned_data if case_filter.form.is_valid() else {}
    parts = []
    for name, value in data.items():
        if value in (None, "", [], False) or name == "sort":
            continue
        shown = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
        parts.append(f"{case_filter.form.fields[name].label or name}: {shown}")
    return "Cases matching " + ("; ".join(parts) if parts else "all cases")


@office_required(*RUNNERS)
def bulk_new(request):
    membership = request.membership
    data = request.POST if request.method == "POST" else None
    form = BulkNewForm(data, membership=membership)
    case_filter = CaseFilter(
        data or request.GET or None, queryset=cases_for(membership=membership), membership=membership
    )
    if request.method == "POST" and form.is_valid():
        choice = form.cleaned_data
        if choice["source"] == "campaign":
            campaign = choice["campaign"]
            cases = campaign_cases(campaign=campaign, cases=cases_for(membership=membership))
            description = f"Campaign: {campaign.name}"
        else:
            campaign = None
            cases = case_filter.qs
            description = _filter_description(case_filter)
        try:
            run = bulk_run_prepare(
                office=request.office,
                by=request.user,
                template=choice["template"],
                cases=cases,
                description=description,
                campaign=campaign,
                case_filter=None if campaign else _filter_data(case_filter, user=request.user),
            )
        except LetterError as error:
            messages.error(request, str(error))
        else:
            if run.status == BulkRun.Status.AWAITING_APPROVAL:
                messages.success(request, "Prepared and sent to the MP for approval. Nothing is sent until approved.")
            return redirect(run)
    return render(
        request, "letters/bulk_new.html", {"title": "New bulk reply", "form": form, "filter_form": case_filter.form}
    )


def _detail(request, run: BulkRun, *, return_form: BulkReturnForm | None = None, status: int = 200):
    failures = Paginator(
        run.items.filter(status=BulkItem.Status.FAILED).select_related("constituent", "case").order_by("pk"), 50
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "letters/bulk_detail.html",
        {
            "title": f"Bulk reply #{run.pk}",
            "run": run,
            "progress": bulk_progress(run=run),
            "samples": [] if run.is_started else bulk_preview(run=run),
            "return_form": return_form or BulkReturnForm(),
            "failures": failures,
            "batches": run.batches.all(),
        },
        status=status,
    )


@office_required(*WATCHERS)
def bulk_detail(request, pk: int):
    run = _run(request, pk, methods=READ_METHODS)
    return _detail(request, run)


@office_required(*WATCHERS)
def bulk_progress_view(request, pk: int):
    run = _run(request, pk, methods=READ_METHODS)
    return render(request, "letters/includes/bulk_progress.html", {"run": run, "progress": bulk_progress(run=run)})


@require_POST
@office_required(*RUNNERS)
def bulk_start(request, pk: int):
    run = _run(request, pk)
    try:
        outcome = bulk_run_start(run=run, by=request.membership)
    except LetterError as error:
        messages.error(request, str(error))
    else:
        (messages.success if outcome.started else messages.error)(request, outcome.message)
    return redirect(run)


@require_POST
@office_required(*RUNNERS)
def bulk_submit(request, pk: int):
    run = _run(request, pk)
    try:
        run = bulk_run_submit(run=run, by=request.membership)
    except LetterError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Sent to the MP for approval: {run.total} letter{pluralize(run.total)}.")
    return redirect(run)


@require_POST
@office_required(*APPROVERS)
def bulk_approve(request, pk: int):
    run = _run(request, pk)
    try:
        run = bulk_run_approve(run=run, by=request.membership)
    except LetterError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Approved: the office can now send these {run.total} letters.")
    return redirect(run)


@require_POST
@office_required(*APPROVERS)
def bulk_return(request, pk: int):
    run = _run(request, pk)
    form = BulkReturnForm(request.POST)
    if not form.is_valid():
        return _detail(request, run, return_form=form, status=400)
    try:
        bulk_run_return(run=run, by=request.membership, comment=form.cleaned_data["comment"])
    except LetterError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Returned to the office with your comment.")
    return redirect(run)


@require_POST
@office_required(*RUNNERS)
def bulk_cancel(request, pk: int):
    run = _run(request, pk)
    if bulk_run_cancel(run=run):
        messages.success(request, "Bulk reply cancelled. Letters already made stay recorded on their cases.")
    else:
        messages.error(request, "This bulk reply has already finished or been cancelled.")
    return redirect(run)


@office_required(*WATCHERS)
def bulk_batch_pdf(request, pk: int):
    batch = get_for_member(request, BulkBatch.objects.for_office(request.office), methods=READ_METHODS, pk=pk)
    return FileResponse(
        batch.pdf.open("rb"),
        content_type="application/pdf",
        filename=f"bulk-reply-{batch.run_id}-batch-{batch.number}.pdf",
    )
