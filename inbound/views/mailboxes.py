"""Staff connect the office's mailboxes (IMAP) and test them; Postbag reads them every minute."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from casework.views import STAFF_ONLY
from inbound import mailbox_sync
from inbound.forms import connection_form
from inbound.models import MailboxConnection
from mpoffice.access import OfficeRequest, get_for_member, office_required


def get_mailbox(request: OfficeRequest, pk: int, *, methods: Iterable[str] = ()) -> MailboxConnection:
    """A mailbox connection of the member's office; staff alone see or change one (403)."""
    return get_for_member(
        request,
        MailboxConnection.objects.for_office(request.office).select_related("office"),
        roles=STAFF_ONLY,
        action="manage the office's mailboxes",
        methods=methods,
        pk=pk,
    )


TITLES = {"imap": "Connect a mailbox (IMAP)", "graph": "Connect a Microsoft 365 mailbox"}


@require_GET
@office_required(*STAFF_ONLY)
def mailbox_list(request: OfficeRequest) -> HttpResponse:
    return render(
        request,
        "inbound/mailboxes/list.html",
        {"title": "Office mailboxes", "connections": MailboxConnection.objects.for_office(request.office)},
    )


@office_required(*STAFF_ONLY)
def mailbox_create(request: OfficeRequest) -> HttpResponse:
    kind = request.GET.get("kind", MailboxConnection.Kind.IMAP)
    form = connection_form(None, kind)(request.POST or None, office=request.office)
    if request.method == "POST" and form.is_valid():
        connection = mailbox_sync.mailbox_save(connection=form.save(commit=False), secret=form.cleaned_data["secret"])
        messages.success(request, f"The mailbox “{connection}” is saved; use Test connection to check it.")
        return redirect(connection.get_absolute_url())
    return render(
        request,
        "inbound/mailboxes/form.html",
        {"title": TITLES.get(kind, TITLES["imap"]), "form": form},
    )


@office_required()
def mailbox_edit(request: OfficeRequest, pk: int) -> HttpResponse:
    connection = get_mailbox(request, pk, methods=("GET", "POST"))
    form = connection_form(connection, connection.kind)(
        request.POST or None, instance=connection, office=request.office
    )
    if request.method == "POST" and form.is_valid():
        mailbox_sync.mailbox_save(connection=form.save(commit=False), secret=form.cleaned_data["secret"])
        messages.success(request, f"The mailbox “{connection}” is saved.")
        return redirect(connection.get_absolute_url())
    return render(
        request,
        "inbound/mailboxes/form.html",
        {"title": f"Mailbox: {connection}", "form": form, "connection": connection},
    )


@office_required()
def mailbox_test(request: OfficeRequest, pk: int) -> HttpResponse:
    """Connect, log in and open the folder now; nothing is read or changed."""
    connection = get_mailbox(request, pk, methods=("POST",))
    try:
        outcome = mailbox_sync.mailbox_test(connection=connection)
    except mailbox_sync.MailboxError as error:
        messages.error(request, f"The connection failed: {error}")
    else:
        messages.success(request, outcome)
    return redirect(reverse("inbound:mailbox-edit", kwargs={"pk": connection.pk}))
