"""The inbox of inbound e-mail: upload or paste a message, then triage what did not match."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from casework.models import Case
from casework.search import constituent_search
from casework.selectors import cases_for, topics_for
from casework.views import LIST_PAGE_SIZE, WRITERS
from inbound import services as inbound
from inbound.forms import AttachForm, MessageForm, OpenCaseForm
from inbound.models import InboundMessage
from inbound.selectors import inbound_messages_for
from mpoffice.access import POST_ONLY, OfficeRequest, get_for_member, office_required


def get_inbound_message(request: OfficeRequest, pk: int, *, methods: Iterable[str] = ()) -> InboundMessage:
    """The inbox is the writers': an MP is refused (403) after the lookup."""
    scope = inbound_messages_for(membership=request.membership).select_related("office", "constituent", "case")
    return get_for_member(request, scope, roles=WRITERS, action="triage e-mail", methods=methods, pk=pk)


@require_GET
@office_required(*WRITERS)
def inbound_list(request: OfficeRequest) -> HttpResponse:
    status = request.GET.get("status", InboundMessage.Status.PENDING)
    rows = inbound_messages_for(membership=request.membership).select_related("constituent", "case").defer("body", "to")
    if status in InboundMessage.Status.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "inbound/list.html",
        {
            "title": "Inbox",
            "page": page,
            "status": status,
            "statuses": InboundMessage.Status.choices,
            "querystring": f"status={status}",
        },
    )


@office_required(*WRITERS)
def inbound_upload(request: OfficeRequest) -> HttpResponse:
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        raw, source = form.raw()
        try:
            received = inbound.inbound_receive(
                office=request.office, raw=raw, source=source, membership=request.membership
            )
        except inbound.NotAnEmail as error:
            form.add_error("file" if source == InboundMessage.Source.UPLOAD else "text", str(error))
        else:
            message = received.message
            if not inbound_messages_for(membership=request.membership).filter(pk=message.pk).exists():
                # Filed on a case this member may not see (a sensitive case): say nothing of it.
                messages.success(request, "The message was received and filed. Office staff can see where.")
                return redirect("inbound:inbound-list")
            (messages.success if received.created else messages.info)(request, received.notice)
            return redirect(message.get_absolute_url())
    return render(request, "inbound/upload.html", {"title": "Add an e-mail", "form": form})


def _detail_context(
    request: OfficeRequest,
    message: InboundMessage,
    *,
    attach_form: AttachForm | None = None,
    open_form: OpenCaseForm | None = None,
) -> dict[str, Any]:
    cases = cases_for(membership=request.membership)
    suggested = []
    if message.constituent_id and message.status == InboundMessage.Status.PENDING:
        suggested = list(
            cases.filter(case_constituents__constituent_id=message.constituent_id, status__in=Case.OPEN_STATUSES)
            .order_by("-opened_at")
            .only("pk", "reference", "summary", "status", "opened_at")[:10]
        )
    namesakes = []
    if not message.constituent_id and message.from_name:
        namesakes = list(constituent_search(membership=request.membership, query=message.from_name).results[:5])
    return {
        "title": message.subject or "(no subject)",
        "message": message,
        "suggested": suggested,
        "namesakes": namesakes,
        "attach_form": attach_form or AttachForm(cases=cases),
        "open_form": open_form
        or OpenCaseForm(
            initial={"summary": message.subject[:200]},
            topics=topics_for(membership=request.membership, active_only=True),
        ),
    }


@office_required()
@require_GET
def inbound_detail(request: OfficeRequest, pk: int) -> HttpResponse:
    message = get_inbound_message(request, pk)
    return render(request, "inbound/detail.html", _detail_context(request, message))


@office_required()
@require_GET
def inbound_original(request: OfficeRequest, pk: int) -> HttpResponseBase:
    message = get_inbound_message(request, pk)
    response = FileResponse(message.raw.open("rb"), as_attachment=True, filename=f"message-{message.pk}.eml")
    response["Content-Type"] = "message/rfc822"
    return response


@office_required()
def inbound_attach(request: OfficeRequest, pk: int) -> HttpResponse:
    message = get_inbound_message(request, pk, methods=POST_ONLY)
    form = AttachForm(request.POST, cases=cases_for(membership=request.membership))
    if not form.is_valid():
        return render(request, "inbound/detail.html", _detail_context(request, message, attach_form=form), status=400)
    try:
        contact = inbound.inbound_attach(message=message, case=form.cleaned_data["case"], by=request.user)
    except inbound.AlreadyTriaged as error:
        messages.warning(request, str(error))
        return redirect(message.get_absolute_url())
    messages.success(request, f"The message was logged on case {contact.case.reference}.")
    return redirect(contact.case.get_absolute_url())


@office_required()
def inbound_open_case(request: OfficeRequest, pk: int) -> HttpResponse:
    message = get_inbound_message(request, pk, methods=POST_ONLY)
    form = OpenCaseForm(request.POST, topics=topics_for(membership=request.membership, active_only=True))
    if not form.is_valid():
        return render(request, "inbound/detail.html", _detail_context(request, message, open_form=form), status=400)
    try:
        case = inbound.inbound_open_case(
            message=message, by=request.user, summary=form.cleaned_data["summary"], topic=form.cleaned_data["topic"]
        )
    except inbound.AlreadyTriaged as error:
        messages.warning(request, str(error))
        return redirect(message.get_absolute_url())
    except ValidationError as error:
        form.add_error(None, f"The sender could not be added as a constituent: {' '.join(error.messages)}")
        return render(request, "inbound/detail.html", _detail_context(request, message, open_form=form), status=400)
    messages.success(request, f"Case {case.reference} was opened from the message.")
    return redirect(case.get_absolute_url())


@office_required()
def inbound_dismiss(request: OfficeRequest, pk: int) -> HttpResponse:
    message = get_inbound_message(request, pk, methods=POST_ONLY)
    try:
        inbound.inbound_dismiss(message=message, by=request.user)
    except inbound.AlreadyTriaged as error:
        messages.warning(request, str(error))
        return redirect(message.get_absolute_url())
    messages.success(request, "The message was dismissed. It is kept, under “Dismissed”.")
    return redirect("inbound:inbound-list")
