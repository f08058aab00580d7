"""Notification pages: the member's list (mark read), and how they want to be told."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from mpoffice.access import OfficeRequest, office_required
from mpoffice.forms import PreferenceForm
from mpoffice.notifications import (
    delivery_for,
    delivery_set,
    notification_mark_read,
    notifications_for,
    notifications_mark_all_read,
)


@require_GET
@office_required()
def notification_list(request: OfficeRequest) -> HttpResponse:
    show = "unread" if request.GET.get("show") == "unread" else "all"
    notifications = notifications_for(membership=request.membership).order_by("-created_at", "-pk")
    if show == "unread":
        notifications = notifications.filter(read_at=None)
    page = Paginator(notifications, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "mpoffice/notification_list.html",
        {"title": "Notifications", "page": page, "show": show, "querystring": f"show={show}"},
    )


@require_POST
@office_required()
def notification_read(request: OfficeRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(notifications_for(membership=request.membership), pk=pk)
    notification_mark_read(notification=notification)
    if request.POST.get("open") and url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect(notification.url or "notification-list")
    return redirect("notification-list")


@require_POST
@office_required()
def notification_read_all(request: OfficeRequest) -> HttpResponse:
    count = notifications_mark_all_read(membership=request.membership)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("notification-list")


@office_required()
def notification_preferences(request: OfficeRequest) -> HttpResponse:
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            delivery_set(user=request.user, delivery=form.cleaned_data["delivery"])
            messages.success(request, "Your notification setting is saved.")
            return redirect("notification-preferences")
    else:
        form = PreferenceForm(initial={"delivery": delivery_for(user=request.user)})
    return render(
        request,
        "mpoffice/notification_preferences.html",
        {"title": "Notification settings", "form": form, "has_email": bool(request.user.email)},
    )
