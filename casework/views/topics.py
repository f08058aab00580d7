from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from casework import services
from casework.forms import TopicForm
from casework.models import Topic
from casework.selectors import topics_for
from casework.views import STAFF_ONLY
from mpoffice.access import OfficeRequest, get_for_member, office_required
from mpoffice.models import Role


def _get_topic(request: OfficeRequest, pk) -> Topic:
    """Topics are reference data: staff alone change them (403 after the lookup)."""
    return get_for_member(
        request, topics_for(membership=request.membership), roles=STAFF_ONLY, action="edit topics", pk=pk
    )


@require_GET
@office_required(Role.STAFF, Role.MP)
def topic_list(request: OfficeRequest) -> HttpResponse:
    topics = list(topics_for(membership=request.membership).order_by("name"))
    top_level = [topic for topic in topics if topic.parent_id is None]
    children: dict[int, list[Topic]] = {}
    for topic in topics:
        if topic.parent_id:
            children.setdefault(topic.parent_id, []).append(topic)
    tree = [(topic, children.get(topic.pk, [])) for topic in top_level]
    return render(
        request,
        "casework/topic_list.html",
        {"title": "Topics", "tree": tree, "can_edit": request.membership.has_role(*STAFF_ONLY)},
    )


@office_required(*STAFF_ONLY)
def topic_create(request: OfficeRequest) -> HttpResponse:
    form = TopicForm(request.POST or None, office=request.office, initial={"parent": request.GET.get("parent")})
    if request.method == "POST" and form.is_valid():
        topic = form.save(commit=False)
        services.topic_save(topic=topic)
        messages.success(request, f"Added the topic {topic}.")
        return redirect(reverse("casework:topic-list"))
    return render(request, "casework/topic_form.html", {"title": "New topic", "form": form})


@office_required()
def topic_edit(request: OfficeRequest, pk) -> HttpResponse:
    topic = _get_topic(request, pk)
    form = TopicForm(request.POST or None, instance=topic, office=request.office)
    if request.method == "POST" and form.is_valid():
        services.topic_save(topic=form.save(commit=False))
        messages.success(request, f"Saved the topic {topic}.")
        return redirect(reverse("casework:topic-list"))
    return render(request, "casework/topic_form.html", {"title": f"Edit topic {topic}", "form": form, "topic": topic})


@require_POST
@office_required()
def topic_set_active(request: OfficeRequest, pk) -> HttpResponse:
    topic = _get_topic(request, pk)
    active = request.POST.get("active") == "1"
    services.topic_set_active(topic=topic, active=active)
    messages.success(request, f"{topic} is {'active' if active else 'deactivated: new cases can no longer use it'}.")
    return redirect(reverse("casework:topic-list"))
