from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from casework.search import SNIPPET_START, SNIPPET_STOP

register = template.Library()


@register.filter
def search_snippet(text: str) -> str:
    """Escape a search snippet, then turn its match markers into <mark>: the markers are
    control characters, so nothing typed by a constituent can become markup."""
    escaped = escape(text or "")
    return mark_safe(escaped.replace(SNIPPET_START, "<mark>").replace(SNIPPET_STOP, "</mark>"))  # noqa: S308
