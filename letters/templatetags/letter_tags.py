"""Template filters for pages outside letters that list letters."""

from __future__ import annotations

from django import template

from letters import cosigning

register = template.Library()


@register.filter
def subject_seen_by(letter, office) -> str:
    """``{{ letter|subject_seen_by:current_office }}``: the subject with the drafting office's
    constituent data withheld when ``office`` only co-signs the letter (``letters.cosigning``)."""
    return cosigning.subject_for(letter, office)
