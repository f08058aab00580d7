"""The office's address book (organisations, posts, who holds them) and its letter templates:
staff edit them, every member reads them."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from letters import selectors, services
from letters.forms import (
    OrganisationForm,
    PostForm,
    PostHolderForm,
    TemplateForm,
)
from letters.models import LetterTemplate, Organisation
from mpoffice.access import READ_METHODS, OfficeRequest, get_for_member, office_required, require_role
from mpoffice.models import Role

# --- address book ---------------------------------------------------------------------------


@require_GET
@office_required()
def organisation_list(request: OfficeRequest) -> HttpResponse:
    organisations = selectors.organisations_for(membership=request.membership).prefetch_related("posts")
    page = Paginator(organisations, 50).get_page(request.GET.get("page"))
    return render(request, "letters/organisation_list.html", {"title": "Organisations", "page": page})


def _organisation_form(request: OfficeRequest, organisation: Organisation | None) -> HttpResponse:
    require_role(request.membership, Role.STAFF, action="edit the address book")
    form = OrganisationForm(request.POST or None, instance=organisation, office=request.office)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_save(organisation=form.save(commit=False), office=request.office)
        except IntegrityError:  # a colleague saved the same name a moment ago
            form.add_error("name", "This office already has an organisation with that name.")
        else:
            messages.success(request, f"{organisation.name} saved.")
            return redirect(organisation)
    title = f"Edit {organisation.name}" if organisation else "New organisation"
    return render(request, "letters/simple_form.html", {"title": title, "form": form, "back": organisation})


@office_required()
def organisation_create(request: OfficeRequest) -> HttpResponse:
    return _organisation_form(request, None)


def _organisation_to_edit(request: OfficeRequest, pk: int) -> Organisation:
    scope = selectors.organisations_for(membership=request.membership)
    return get_for_member(request, scope, roles=(Role.STAFF,), action="edit the address book", pk=pk)


@office_required()
def organisation_edit(request: OfficeRequest, pk: int) -> HttpResponse:
    return _organisation_form(request, _organisation_to_edit(request, pk))


@office_required()
def organisation_detail(request: OfficeRequest, pk: int) -> HttpResponse:
    scope = selectors.organisations_for(membership=request.membership)
    organisation = get_for_member(request, scope, methods=READ_METHODS, pk=pk)
    posts = organisation.posts.prefetch_related("holders")
    today = timezone.localdate()
    return render(
        request,
        "letters/organisation_detail.html",
        {
            "title": organisation.name,
            "organisation": organisation,
            "posts": posts,
            "today": today,
            "is_staff": request.membership.has_role(Role.STAFF),
        },
    )


@office_required()
def post_create(request: OfficeRequest, pk: int) -> HttpResponse:
    organisation = _organisation_to_edit(request, pk)
    form = PostForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.post_add(post=form.save(commit=False), organisation=organisation)
        except IntegrityError:  # a colleague saved the same title a moment ago
            form.add_error("title", "This organisation already has a post with that title.")
        else:
            messages.success(request, "Post added. Now add who holds it.")
            return redirect(organisation)
    return render(
        request,
        "letters/simple_form.html",
        {"title": f"New post at {organisation.name}", "form": form, "back": organisation},
    )


@office_required()
def holder_create(request: OfficeRequest, pk: int) -> HttpResponse:
    organisation = _organisation_to_edit(request, pk)
    form = PostHolderForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        services.post_holder_add(holder=form.save(commit=False), organisation=organisation)
        messages.success(request, "Post-holder added.")
        return redirect(organisation)
    return render(
        request,
        "letters/simple_form.html",
        {"title": f"New post-holder at {organisation.name}", "form": form, "back": organisation},
    )


# --- templates ------------------------------------------------------------------------------


@require_GET
@office_required()
def template_list(request: OfficeRequest) -> HttpResponse:
    templates = selectors.templates_for(membership=request.membership)
    return render(
        request,
        "letters/template_list.html",
        {
            "title": "Letter templates",
            "templates": templates,
            "is_staff": request.membership.has_role(Role.STAFF),
        },
    )


def _template_form(request: OfficeRequest, template: LetterTemplate | None) -> HttpResponse:
    require_role(request.membership, Role.STAFF, action="edit letter templates")
    form = TemplateForm(request.POST or None, instance=template, office=request.office)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.template_save(template=form.save(commit=False), office=request.office, by=request.user)
        except IntegrityError:  # a colleague saved the same name a moment ago
            form.add_error("name", "This office already has a template with that name.")
        else:
            messages.success(request, f"Template “{template.name}” saved.")
            return redirect("letters:template-list")
    from letters.merge import MERGE_FIELDS

    title = f"Edit template {template.name}" if template else "New letter template"
    return render(request, "letters/template_form.html", {"title": title, "form": form, "fields": MERGE_FIELDS})


@office_required()
def template_create(request: OfficeRequest) -> HttpResponse:
    return _template_form(request, None)


@office_required()
def template_edit(request: OfficeRequest, pk: int) -> HttpResponse:
    scope = selectors.templates_for(membership=request.membership)
    template = get_for_member(request, scope, roles=(Role.STAFF,), action="edit letter templates", pk=pk)
    return _template_form(request, template)
