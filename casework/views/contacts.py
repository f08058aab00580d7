from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from casework import audit, services
from casework.forms import ContactForm
from casework.models import Case, Constituent, Contact
from casework.selectors import cases_for
from casework.views import WRITERS, get_attachment, get_case, get_constituent, get_contact, office_users
from mpoffice.access import OfficeRequest, office_required


def _contact_form(request: OfficeRequest, *, initial: dict[str, Any] | None = None) -> ContactForm:
    return ContactForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        members=office_users(request.office),
        max_bytes=settings.ATTACHMENT_MAX_BYTES,
    )


def _log_contact(
    request: OfficeRequest, *, constituent: Constituent | None = None, case: Case | None = None
) -> HttpResponse:
    """The shared body of "log a contact" from a constituent's page or a case's page."""
    channel = request.GET.get("channel", "")
    initial = {"staff": request.user.pk, "channel": channel if channel in Contact.Channel.values else ""}
    form = _contact_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_log(
                office=request.office,
                by=request.user,
                constituent=constituent,
                case=case,
                attachments=form.cleaned_data["attachments"],
                **{name: form.cleaned_data[name] for name in ContactForm.Meta.fields},
            )
        except services.AttachmentRefused as refusal:
            form.add_error("attachments", str(refusal))
        else:
            messages.success(request, "Contact logged.")
            return redirect(case or constituent)  # type: ignore[arg-type]  # the caller gives one of them
    subject = case or constituent
    return render(
        request,
        "casework/contact_form.html",
        {
            "title": f"Log a {'call' if channel == 'phone' else 'contact'}: {subject}",
            "form": form,
            "case": case,
            "constituent": constituent,
            "is_call": channel == "phone",
        },
    )


@office_required()
def contact_create_for_constituent(request: OfficeRequest, pk) -> HttpResponse:
    constituent = get_constituent(request, pk, roles=WRITERS)
    return _log_contact(request, constituent=constituent)


@office_required()
def contact_create_for_case(request: OfficeRequest, pk) -> HttpResponse:
    case = get_case(request, pk, roles=WRITERS)
    # The contact is with the case's (first) constituent, or the correspondent when they wrote.
    constituent = case.correspondent or case.constituents.order_by("case_links__pk").first()
    return _log_contact(request, constituent=constituent, case=case)


@office_required()
@require_GET
def attachment_download(request: OfficeRequest, pk) -> HttpResponseBase:
    """Attachments leave only through here: fetched through the member's scope and always sent
    as a download with the type found from the content, so a browser never renders them."""
    attachment = get_attachment(request, pk)
    case, person = attachment.contact.case, attachment.contact.constituent
    if (case is not None and case.is_sensitive) or (
        person is not None and (person.is_vulnerable or person.has_special_category_data)
    ):
        audit.record_view(attachment)  # opening a sensitive file is audited like opening the case
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@office_required()
def contact_attach(request: OfficeRequest, pk) -> HttpResponse:
    contact = get_contact(request, pk, roles=WRITERS)
    case = get_object_or_404(cases_for(membership=request.membership), pk=request.POST.get("case") or 0)
    try:
        services.contact_attach(contact=contact, case=case, by=request.user)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The contact is now on case {case.reference} and its timeline.")
    return redirect(contact.constituent) if contact.constituent is not None else redirect(case)
