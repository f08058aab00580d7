"""The inbox item page shows the triage actions that apps above casework register."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from inbound.services import triage_actions

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_triage_actions(context, message) -> str:
    request = context["request"]
    rendered = [
        render_to_string(name, action_context, request=request)
        for name, action_context in triage_actions(membership=request.membership, message=message)
    ]
    return mark_safe("".join(rendered))  # noqa: S308 — each part is a template rendered with autoescape
