from collections.abc import Iterator

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_POST

from campaigns.forms import ColumnMappingForm, FindingForm, ResultsForm, SurveyForm, SurveyUploadForm
from campaigns.models import Option, Survey, SurveyUpload
from campaigns.statistics import proportion
from campaigns.surveys import (
    ParsedFile,
    QuestionResult,
    SurveyFileError,
    mapping_validate,
    survey_file_parse,
    survey_finding_save,
    survey_import_check,
    survey_results,
    survey_save,
    survey_upload_add,
    survey_upload_import,
    survey_upload_mapping_save,
    surveys_for,
)
from casework.exports import csv_stream
from casework.subjectdata import UPLOAD_KEEP_DAYS
from mpoffice.access import OfficeRequest, office_required
from mpoffice.charts import share_bar_chart, svg_response
from mpoffice.models import Role, Ward


def _survey(request: OfficeRequest, pk: int) -> Survey:
    return get_object_or_404(surveys_for(membership=request.membership), pk=pk)


@office_required()
@require_GET
def survey_list(request: OfficeRequest) -> HttpResponse:
    page = Paginator(surveys_for(membership=request.membership).order_by("-created_at"), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "campaigns/surveys/list.html", {"page": page, "title": "Surveys"})


@office_required(Role.STAFF)
def survey_create(request: OfficeRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None, office=request.office)
    if request.method == "POST" and form.is_valid():
        survey = survey_save(survey=form.save(commit=False), office=request.office)
        messages.success(request, f"Survey “{survey.title}” created. Now import its responses.")
        return redirect("campaigns:survey-upload", pk=survey.pk)
    return render(request, "campaigns/surveys/form.html", {"form": form, "title": "New survey"})


def _results(request: OfficeRequest, survey: Survey) -> tuple[ResultsForm, list[QuestionResult]]:
    wards = list(Ward.objects.for_office(request.office).order_by("name"))
    form = ResultsForm(request.GET or None, survey=survey, wards=wards)
    compare = form.cleaned_data.get("compare") if form.is_valid() else None
    results = survey_results(survey=survey, ward_shares=form.ward_shares(), compare_with=compare)
    return form, results


@office_required()
@require_GET
def survey_detail(request: OfficeRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    results_form, results = _results(request, survey)
    return render(
        request,
        "campaigns/surveys/detail.html",
        {
            "survey": survey,
            "results": results,
            "results_form": results_form,
            "weighted": bool(results_form.ward_shares()),
            "compared": results_form.is_valid() and results_form.cleaned_data.get("compare"),
            "finding_form": FindingForm(office=request.office),
            "can_edit": request.membership.has_role(Role.STAFF),
            "responses": survey.responses.count(),
            "outside": survey.responses.filter(outside_area=True).count(),
            "title": survey.title,
        },
    )


@office_required()
@require_GET
def survey_question_chart(request: OfficeRequest, pk: int, question_pk: int) -> HttpResponse:
    """The shares of a choice question's answers as an SVG image, beside the table of the same figures."""
    survey = _survey(request, pk)
    question = get_object_or_404(survey.questions.all(), pk=question_pk)
    item = next((r for r in survey_results(survey=survey, free_text_limit=0) if r.question.pk == question.pk), None)
    options = item.options if item else []
    return svg_response(
        share_bar_chart(
            labels=[row.option.label for row in options],
            percents=[row.result.percent for row in options],
            description=f"Bar chart of the answers to “{question.text}” in per cent (the numbers are in the table)",
        )
    )


@office_required()
@require_GET
def survey_results_csv(request: OfficeRequest, pk: int) -> HttpResponseBase:
    """The results as shown (weighted and compared when asked), safe to open in a spreadsheet."""
    survey = _survey(request, pk)
    _, results = _results(request, survey)
    header = [
        "Question",
        "Kind",
        "Answer",
        "Respondents who answered",
        "Respondents giving this answer",
        "Per cent",
        "95% CI low",
        "95% CI high",
        "Weighted per cent",
        "Weighted 95% CI low",
        "Weighted 95% CI high",
        "Effective sample size (Kish)",
        "Earlier per cent",
        "Change (points)",
        "Change 95% CI low",
        "Change 95% CI high",
    ]

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    def rows() -> Iterator[list[object]]:
        for item in results:
            question = item.question
            for row in item.options:
                weighted, change = row.weighted, row.change
                yield [
                    question.text,
                    question.get_kind_display(),
                    row.option.label,
                    item.respondents,
                    row.result.count,
                    number(row.result.percent),
                    number(row.result.ci_low),
                    number(row.result.ci_high),
                    number(weighted.percent if weighted else None),
                    number(weighted.ci_low if weighted else None),
                    number(weighted.ci_high if weighted else None),
                    number(weighted.n_effective if weighted else None),
                    number(row.earlier.percent if row.earlier else None),
                    number(change.points if change else None),
                    number(change.ci_low if change else None),
                    number(change.ci_high if change else None),
                ]
            for rating, count in item.rating_counts:
                share = proportion(count, item.respondents)
                yield [
                    question.text,
                    question.get_kind_display(),
                    rating,
                    item.respondents,
                    count,
                    number(share.percent),
                    number(share.ci_low),
                    number(share.ci_high),
                ]

    response = StreamingHttpResponse(csv_stream(header, rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-results.csv"'
    return response


@office_required(Role.STAFF)
def survey_upload(request: OfficeRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    form = SurveyUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        data = uploaded.read()
        try:
            parsed = survey_file_parse(data)
        except SurveyFileError as error:
            form.add_error("file", str(error))
        else:
            upload = survey_upload_add(
                survey=survey, parsed=parsed, data=data, name=uploaded.name or "", by=request.user
            )
            return redirect("campaigns:survey-mapping", pk=survey.pk, upload_pk=upload.pk)
    return render(
        request,
        "campaigns/surveys/upload.html",
        {"survey": survey, "form": form, "title": f"Import responses: {survey.title}"},
    )


PROBLEMS_PER_PAGE = 100


class UploadGone(Exception):
    """The uploaded file is no longer kept (files are deleted UPLOAD_KEEP_DAYS after the upload)."""


def _upload_file(upload: SurveyUpload) -> ParsedFile:
    try:
        with upload.file.open("rb") as handle:
            return survey_file_parse(handle.read())
    except (FileNotFoundError, ValueError) as gone:  # ValueError: the row no longer names a file
        raise UploadGone from gone


def _upload_gone(request: OfficeRequest, survey: Survey) -> HttpResponse:
    messages.error(
        request,
        f"The file uploaded for this survey is no longer kept (uploads are deleted after {UPLOAD_KEEP_DAYS} "
        "days). Upload it again to choose its columns or list its problems; responses already imported stay.",
    )
    return redirect(survey)


@office_required(Role.STAFF)
def survey_mapping(request: OfficeRequest, pk: int, upload_pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    upload = get_object_or_404(survey.uploads.filter(imported_at=None), pk=upload_pk)
    try:
        parsed = _upload_file(upload)
    except UploadGone:
        return _upload_gone(request, survey)
    form = ColumnMappingForm(request.POST or None, parsed=parsed, initial_mapping=upload.mapping)
    check = None
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        problems = mapping_validate(mapping, parsed.headers)
        if not problems:
            survey_upload_mapping_save(upload=upload, mapping=mapping)
            if "import" in request.POST or "import_valid" in request.POST:
                check = survey_upload_import(
                    upload=upload, parsed=parsed, mapping=mapping, valid_only="import_valid" in request.POST
                )
                if upload.imported_at:
                    message = f"Imported {check.imported:,} response{pluralize(check.imported)}"
                    if check.already_imported:
                        message += f"; {check.already_imported:,} were already imported"
                    if check.bad_rows:
                        message += (
                            f"; {check.bad_rows:,} row{pluralize(check.bad_rows)} with problems "
                            f"{pluralize(check.bad_rows, 'was,were')} left out. Correct them in the file and "
                            "upload it again: rows already imported are skipped"
                        )
                    messages.success(request, message + ".")
                    return redirect(survey)
            else:
                check = survey_import_check(survey=survey, parsed=parsed, mapping=mapping)
    elif request.method == "GET" and request.GET.get("problems"):
        check = survey_import_check(survey=survey, parsed=parsed, mapping=upload.mapping)
    errors = Paginator(check.errors, PROBLEMS_PER_PAGE).get_page(request.GET.get("page")) if check else None
    return render(
        request,
        "campaigns/surveys/mapping.html",
        {
            "survey": survey,
            "upload": upload,
            "parsed": parsed,
            "form": form,
            "columns": form.columns(),
            "problems": problems,
            "check": check,
            "errors": errors,
            "title": f"Choose columns: {survey.title}",
        },
    )


@office_required(Role.STAFF)
@require_GET
def survey_problems_csv(request: OfficeRequest, pk: int, upload_pk: int) -> HttpResponseBase:
    """Every problem of the file as checked with its saved column plan: line, column, value, reason."""
    survey = _survey(request, pk)
    upload = get_object_or_404(survey.uploads.all(), pk=upload_pk)
    try:
        parsed = _upload_file(upload)
    except UploadGone:
        return _upload_gone(request, survey)
    check = survey_import_check(survey=survey, parsed=parsed, mapping=upload.mapping)
    rows = ([e.row, e.column, e.value, e.message, e.effect] for e in check.errors)
    response = StreamingHttpResponse(
        csv_stream(["Line", "Column", "Value", "Problem", "Effect"], rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-problems.csv"'
    return response


@require_POST
@office_required(Role.STAFF)
def survey_finding_create(request: OfficeRequest, pk: int, option_pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    option = get_object_or_404(Option.objects.filter(question__survey=survey).select_related("question"), pk=option_pk)
    form = FindingForm(request.POST, office=request.office)
    if not form.is_valid():
        messages.error(request, "Choose the campaign to save the finding to.")
        return redirect(survey)
    try:
        finding = survey_finding_save(option=option, campaign=form.cleaned_data["campaign"], by=request.user)
    except ValueError as error:
        messages.error(request, str(error))
        return redirect(survey)
    messages.success(request, f"Saved to {finding.campaign}: {finding.text}")
    return redirect(finding.campaign)
