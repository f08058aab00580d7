from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from campaigns.forms import ColumnMappingForm, FindingForm, SurveyForm, SurveyUploadForm
from campaigns.models import Option, Survey, SurveyUpload
from campaigns.surveys import (
    SurveyFileError,
    mapping_guess,
    mapping_validate,
    survey_file_parse,
    survey_finding_save,
    survey_import_check,
    survey_import_commit,
    survey_results,
    surveys_for,
)
from mpoffice.access import office_required
from mpoffice.models import Role


def _survey(request, pk: int) -> Survey:
    return get_object_or_404(surveys_for(membership=request.membership), pk=pk)


@office_required()
@require_GET
def survey_list(request):
    page = Paginator(surveys_for(membership=request.membership).order_by("-created_at"), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "campaigns/surveys/list.html", {"page": page, "title": "Surveys"})


@office_required(Role.STAFF)
def survey_create(request):
    form = SurveyForm(request.POST or None, office=request.office)
    if request.method == "POST" and form.is_valid():
        form.instance.office = request.office
        survey = form.save()
        messages.success(request, f"Survey “{survey.title}” created. Now import its responses.")
        return redirect("campaigns:survey-upload", pk=survey.pk)
    return render(request, "campaigns/surveys/form.html", {"form": form, "title": "New survey"})


@office_required()
@require_GET
def survey_detail(request, pk: int):
    survey = _survey(request, pk)
    results = survey_results(survey=survey)
    return render(
        request,
        "campaigns/surveys/detail.html",
        {
            "survey": survey,
            "results": results,
            "finding_form": FindingForm(office=request.office),
            "can_edit": request.membership.has_role(Role.STAFF),
            "responses": survey.responses.count(),
            "title": survey.title,
        },
    )


@office_required(Role.STAFF)
def survey_upload(request, pk: int):
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
            upload = SurveyUpload(
                office=request.office,
                survey=survey,
                original_name=uploaded.name[:255],
                headers=parsed.headers,
                mapping=mapping_guess(parsed),
                uploaded_by=request.user,
            )
            uploaded.seek(0)
            upload.file.save("responses.csv", uploaded, save=False)
            upload.save()
            return redirect("campaigns:survey-mapping", pk=survey.pk, upload_pk=upload.pk)
    return render(
        request,
        "campaigns/surveys/upload.html",
        {"survey": survey, "form": form, "title": f"Import responses: {survey.title}"},
    )


@office_required(Role.STAFF)
def survey_mapping(request, pk: int, upload_pk: int):
    survey = _survey(request, pk)
    upload = get_object_or_404(survey.uploads.filter(imported_at=None), pk=upload_pk)
    with upload.file.open("rb") as handle:
        parsed = survey_file_parse(handle.read())
    form = ColumnMappingForm(request.POST or None, headers=parsed.headers, initial_mapping=upload.mapping)
    check = None
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        problems = mapping_validate(mapping, parsed.headers)
        if not problems:
            upload.mapping = mapping
            upload.save(update_fields=["mapping"])
            if "import" in request.POST:
                with transaction.atomic():
                    check = survey_import_commit(survey=survey, parsed=parsed, mapping=mapping)
                    if check.ok:
                        upload.imported_at = timezone.now()
                        upload.imported_count = check.new_responses
                        upload.save(update_fields=["imported_at", "imported_count"])
                if check.ok:
                    messages.success(
                        request,
                        f"Imported {check.new_responses:,} responses"
                        + (f"; {check.already_imported:,} were already imported." if check.already_imported else "."),
                    )
                    return redirect(survey)
            else:
                check = survey_import_check(survey=survey, parsed=parsed, mapping=mapping)
    errors = Paginator(check.errors, 100).get_page(1) if check else None
    return render(
        request,
        "campaigns/surveys/mapping.html",
        {
            "survey": survey,
            "upload": upload,
            "form": form,
            "problems": problems,
            "check": check,
            "errors": errors,
            "sample": parsed.rows[:5],
            "headers": parsed.headers,
            "title": f"Choose columns: {survey.title}",
        },
    )


@require_POST
@office_required(Role.STAFF)
def survey_finding_create(request, pk: int, option_pk: int):
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
