"""Thin function views: fetch through the member's scope (404 for anyone else), check the
role (403), call a service, render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from letters import cosigning, selectors, services
from letters.forms import (
    CloseForm,
    CosignForm,
    ForwardForm,
    LetterForm,
    NewLetterForm,
    ReplyForm,
    ReturnForm,
    SendForm,
)
from letters.models import Letter, Status
from letters.pdf import letter_document, letter_html, letter_pdf
from letters.services import bulk_runs_waiting_for_mp
from mpoffice.access import READ_METHODS, OfficeRequest, get_for_member, office_required, require_method, require_role
from mpoffice.models import Role

DRAFTERS = (Role.CASEWORKER, Role.STAFF)


def get_letter(
    request,
    pk: int,
    *,
    roles: tuple[str, ...] = (),
    action: str = "do this",
    own: bool = False,
    methods: tuple[str, ...] = (),
) -> Letter:
    """A letter the member may read (their office's, or one their MP co-signs; never one about
    a case or to a person hidden from them): 404 otherwise. With ``own``, a co-signing office
    is refused (403): it may read the letter, not act on it. Then the role (403), then the
    method (405)."""
    letter = get_for_member(request, selectors.letter_detail_queryset(membership=request.membership), pk=pk)
    if own and letter.office_id != request.office.pk:
        raise PermissionDenied("Only the office that drafted this letter can do that.")
    if roles:
        require_role(request.membership, *roles, action=action)
    if methods:
        require_method(request, methods)
    return letter


def _errors_to_messages(request: OfficeRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- letters --------------------------------------------------------------------------------


@require_GET
@office_required()
def letter_list(request: OfficeRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    letters = selectors.letter_list(membership=request.membership, status=status)
    page = Paginator(letters, 25).get_page(request.GET.get("page"))
    for letter in page:
        letter.subject_shown = cosigning.subject_for(letter, request.office)  # type: ignore[attr-defined]  # for the template
    waiting = bulk_waiting = None
    if request.membership.is_mp:
        waiting = selectors.letters_waiting_for_mp(membership=request.membership).count()
        bulk_waiting = bulk_runs_waiting_for_mp(office=request.office).count()
    return render(
        request,
        "letters/letter_list.html",
        {
            "title": "Letters",
            "page": page,
            "status": status,
            "statuses": Status.choices,
            "waiting_for_me": waiting,
            "bulk_waiting_for_me": bulk_waiting,
        },
    )


@office_required()
def letter_create(request: OfficeRequest) -> HttpResponse:
    require_role(request.membership, *DRAFTERS, action="draft letters")
    membership = request.membership
    if request.method == "POST":
        form = NewLetterForm(request.POST, membership=membership)
        if form.is_valid():
            data = form.cleaned_data
            kwargs = {
                "office": request.office,
                "by": request.user,
                "recipient_kind": data["recipient_kind"],
                "recipient_post": data["recipient_post"],
                "recipient_constituent": data["recipient_constituent"],
                "cases": data["case_references"],
                "campaign": data["campaign"],
            }
            try:
                if data["template"]:
                    letter = services.letter_from_template(template=data["template"], subject=data["subject"], **kwargs)
                else:
                    letter = services.letter_create(subject=data["subject"], body=data["body"], **kwargs)
            except ValidationError as error:
                _errors_to_messages(request, error)
            else:
                messages.success(request, f"Draft {letter.reference} saved.")
                return redirect(letter)
    else:
        initial = {"case_references": request.GET.get("case", "")[:200]}
        if request.GET.get("to") in Letter.RecipientKind.values:  # "Write a letter" on a case page
            initial["recipient_kind"] = request.GET["to"]
        form = NewLetterForm(initial=initial, membership=membership)
    return render(request, "letters/letter_form.html", {"title": "New letter", "form": form})


@office_required()
def letter_detail(request: OfficeRequest, pk: int) -> HttpResponse:
    letter = get_letter(request, pk, methods=READ_METHODS)
    membership = request.membership
    own = letter.office_id == request.office.pk
    signatories = list(letter.signatories.all())
    my_signature = next((s for s in signatories if s.office_id == request.office.pk), None)
    context = {
        "title": f"Letter {letter.reference}",
        "letter": letter,
        # The text as it will be printed (merge fields filled in, greeting once), so the MP
        # approves what the recipient will read.
        "doc": letter_document(letter, redacted=cosigning.sees_redacted(letter, request.office)),
        "own": own,
        "signatories": signatories,
        "my_signature": my_signature,
        "cases": list(selectors.letter_cases_visible(letter=letter, membership=membership)),
        "transitions": list(letter.transitions.all()),
        "replies": list(letter.replies.all()) if own else [],
        "can_draft": own and membership.has_role(*DRAFTERS),
        "can_send": own and membership.has_role(Role.STAFF),
        "can_approve": (
            membership.is_mp
            and my_signature is not None
            and letter.status == Status.AWAITING_APPROVAL
            and my_signature.state == my_signature.State.PENDING
        ),
        "cosign_form": CosignForm(office=request.office) if own and membership.has_role(Role.STAFF) else None,
        "return_form": ReturnForm(),
        "close_form": CloseForm(),
        "overdue": letter.is_reply_overdue(),
    }
    return render(request, "letters/letter_detail.html", context)


@office_required()
def letter_edit(request: OfficeRequest, pk: int) -> HttpResponse:
    letter = get_letter(request, pk, own=True, roles=DRAFTERS, action="edit letters")
    if not letter.is_editable:
        messages.error(request, f"This letter is {letter.get_status_display().lower()}: its text can no longer change.")
        return redirect(letter)
    membership = request.membership
    if request.method == "POST":
        form = LetterForm(request.POST, membership=membership)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.letter_edit(
                    letter=letter,
                    by=request.user,
                    expected_version=data["version"] or 0,
                    subject=data["subject"],
                    body=data["body"],
                    recipient_kind=data["recipient_kind"],
                    recipient_post=data["recipient_post"],
                    recipient_constituent=data["recipient_constituent"],
                    campaign=data["campaign"],
                    cases=data["case_references"],
                )
            except services.LetterConflict as conflict:
                # Keep what they typed on screen; the form's version stays the old one, so a
                # blind second submit is refused again until they reload.
                form.add_error(None, str(conflict))
                return render(
                    request,
                    "letters/letter_form.html",
                    {"title": f"Edit {letter.reference}", "form": form, "letter": letter, "conflict": True},
                    status=409,
                )
            except services.LetterError as error:
                messages.error(request, str(error))
                return redirect(letter)
            else:
                messages.success(request, "Letter saved.")
                return redirect(letter)
    else:
        cases = selectors.letter_cases_visible(letter=letter, membership=membership)
        form = LetterForm(
            initial={
                "subject": letter.subject,
                "body": letter.body,
                "recipient_kind": letter.recipient_kind,
                "recipient_post": letter.recipient_post_id,
                "campaign": letter.campaign_id,
                "case_references": ", ".join(case.reference for case in cases),
                "version": letter.version,
            },
            membership=membership,
        )
    warning = ""
    if letter.status in (Status.APPROVED, Status.AWAITING_APPROVAL):
        warning = "Saving a change puts this letter back to draft and clears the MPs' approvals."
    return render(
        request,
        "letters/letter_form.html",
        {"title": f"Edit {letter.reference}", "form": form, "letter": letter, "warning": warning},
    )


@office_required()
def letter_submit(request: OfficeRequest, pk: int) -> HttpResponse:
    letter = get_letter(request, pk, own=True, roles=DRAFTERS, action="submit letters for approval")
    if request.method != "POST":
        return redirect(letter)
    try:
        services.letter_submit(letter=letter, by=request.user)
        messages.success(request, "Sent to the MP for approval.")
    except services.LetterError as error:
        messages.error(request, str(error))
    return redirect(letter)


@office_required()
def letter_cosign(request: OfficeRequest, pk: int) -> HttpResponse:
    letter = get_letter(request, pk, own=True, roles=(Role.STAFF,), action="invite a co-signing MP")
    if request.method != "POST":
        return redirect(letter)
    form = CosignForm(request.POST, office=request.office)
    if not form.is_valid():
        messages.error(request, "Choose the office whose MP should co-sign.")
        return redirect(letter)
    try:
        signatory = services.letter_invite_cosigner(letter=letter, by=request.user, office=form.cleaned_data["office"])
        messages.success(request, f"{signatory.signer_name} MP will co-sign; their office now sees this letter.")
    except services.LetterError as error:
        messages.error(request, str(error))
    return redirect(letter)


@office_required()
def letter_approve(request: OfficeRequest, pk: int) -> HttpResponse:
    letter = get_letter(request, pk, roles=(Role.MP,), action="approve letters")
    if request.method != "POST":
        return redirect(letter)
    try:
        letter = services.letter_approve(letter=letter, member=request.membership)
        if letter.status == Status.APPROVED:
            messages.success(request, "Approved. The office can now send it.")
        else:
            messages.success(request, "Your approval is recorded; the letter waits for the other signatories.")
    except services.LetterError as error:
        messages.error(request, str(error))
    return redirect(letter)


@office_required()
def letter_return(request: OfficeRequest, pk: int) -> HttpResponse:
    letter = get_letter(request, pk, roles=(Role.MP,), action="return letters")
    if request.method != "POST":
        return redirect(letter)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.letter_return(letter=letter, member=request.membership, comment=form.cleaned_data["comment"])
            messages.success(request, "Returned to the drafter with your comments.")
        except services.LetterError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, "Say what should change before returning the letter.")
    return redirect(letter)


@office_required()
def letter_send(request: OfficeRequest, pk: int) -> HttpResponse:
    letter = get_letter(request, pk, own=True, roles=(Role.STAFF,), action="send letters")
    if letter.status != Status.APPROVED:
        messages.error(request, letter.transition_refusal(Status.SENT))
        return redirect(letter)
    form = SendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.letter_send(
                letter=letter,
                by=request.user,
                channel=form.cleaned_data["channel"],
                sent_on=form.cleaned_data["sent_on"],
            )
        except services.LetterError as error:
            form.add_error("channel", str(error))
        else:
            how = "e-mailed" if form.cleaned_data["channel"] == Letter.Channel.EMAIL else "marked as posted"
            messages.success(request, f"Letter {letter.reference} {how}; it is on the timeline of each linked case.")
            return redirect(letter)
    return render(
        request, "letters/letter_send.html", {"title": f"Send {letter.reference}", "letter": letter, "form": form}
    )


@office_required()
def letter_close(request: OfficeRequest, pk: int) -> HttpResponse:
    letter = get_letter(request, pk, own=True, roles=(Role.STAFF, Role.CASEWORKER), action="close letters")
    if request.method != "POST":
        return redirect(letter)
    form = CloseForm(request.POST)
    form.is_valid()
    try:
        services.letter_close(letter=letter, by=request.user, comment=form.cleaned_data.get("comment", ""))
        messages.success(request, "Letter closed.")
    except services.LetterError as error:
        messages.error(request, str(error))
    return redirect(letter)


@office_required()
def letter_publish(request: OfficeRequest, pk: int) -> HttpResponse:
    letter = get_letter(request, pk, own=True, roles=(Role.STAFF,), action="publish letters")
    if request.method != "POST":
        return redirect(letter)
    try:
        services.letter_publish(letter=letter, by=request.user)
        messages.success(request, "Marked as published (an open letter).")
    except services.LetterError as error:
        messages.error(request, str(error))
    return redirect(letter)


@office_required()
def letter_preview(request: OfficeRequest, pk: int) -> HttpResponse:
    letter = get_letter(request, pk, methods=READ_METHODS)
    return HttpResponse(letter_html(letter, redacted=cosigning.sees_redacted(letter, request.office)))


@office_required()
def letter_pdf_view(request: OfficeRequest, pk: int) -> HttpResponseBase:
    letter = get_letter(request, pk, methods=READ_METHODS)
    filename = f"{letter.reference}.pdf"
    redacted = cosigning.sees_redacted(letter, request.office)
    if letter.pdf and not redacted:
        # The exact PDF that was sent: never rendered again.
        return FileResponse(letter.pdf.open("rb"), content_type="application/pdf", filename=filename)
    response = HttpResponse(letter_pdf(letter, redacted=redacted), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- replies --------------------------------------------------------------------------------


@office_required()
def reply_create(request: OfficeRequest, pk: int) -> HttpResponse:
    letter = get_letter(request, pk, own=True, roles=DRAFTERS, action="record replies")
    if letter.status not in (Status.SENT, Status.REPLY_RECEIVED):
        messages.error(request, "A reply can be recorded only for a letter that has been sent.")
        return redirect(letter)
    holder = (letter.recipient_snapshot or {}).get("name", "")
    form = ReplyForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "received_on": timezone.localdate(),
            "from_name": holder,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.reply_record(
                letter=letter,
                by=request.user,
                received_on=data["received_on"],
                from_name=data["from_name"],
                summary=data["summary"],
                outcome=data["outcome"],
                document=data.get("document"),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        except services.LetterError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Reply recorded on the letter and on each linked case.")
            return redirect(letter)
    return render(
        request,
        "letters/reply_form.html",
        {"title": f"Record a reply to {letter.reference}", "letter": letter, "form": form},
    )


@office_required()
def reply_document(request: OfficeRequest, pk: int) -> HttpResponseBase:
    scope = selectors.replies_for(membership=request.membership).exclude(document="")
    reply = get_for_member(request, scope, methods=READ_METHODS, pk=pk)
    return FileResponse(
        reply.document.open("rb"),
        content_type=reply.document_type or "application/octet-stream",
        as_attachment=True,
        filename=reply.document_name or "reply",
    )


@office_required()
def reply_forward(request: OfficeRequest, pk: int) -> HttpResponse:
    scope = selectors.replies_for(membership=request.membership)
    reply = get_for_member(request, scope, roles=DRAFTERS, action="forward replies", pk=pk)
    form = ForwardForm(request.POST or None, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        try:
            covering = services.reply_forward(reply=reply, by=request.user, template=form.cleaned_data["template"])
        except services.LetterError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"{len(covering)} covering letter{'s' if len(covering) != 1 else ''} drafted and sent to the MP for "
                "approval, each with the reply enclosed and recorded on its case.",
            )
            return redirect(reply.letter)
    return render(request, "letters/reply_forward.html", {"title": "Forward a reply", "reply": reply, "form": form})


@require_GET
@office_required()
def replies_report(request: OfficeRequest) -> HttpResponse:
    membership = request.membership
    today = timezone.localdate()
    awaiting = Paginator(selectors.replies_awaiting(membership=membership), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "letters/replies_report.html",
        {
            "title": "Replies due",
            "today": today,
            "awaiting": awaiting,
            "overdue_count": selectors.replies_overdue(membership=membership, today=today).count(),
            "times": list(selectors.reply_times_by_organisation(membership=membership)),
        },
    )
