"""The registry of timeline kinds: how each kind of entry is labelled and drawn.

casework registers its own kinds (opened, status, note, contact) below; other apps register
theirs from their ``AppConfig.ready()`` and record entries through
``casework.services.timeline_record``, so casework never imports them::

    from casework.timeline import register_kind
    register_kind("letter", "Letter", "letters/timeline/letter.html")

A kind nobody registered is still shown, with the generic template.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class TimelineKind:
    kind: str
    label: str
    template_name: str


GENERIC_TEMPLATE = "casework/timeline/generic.html"
_KINDS: dict[str, TimelineKind] = {}
# Optional querysets used to prefetch sources of a model with what their template needs.
_SOURCE_QUERYSETS: dict[type[Model], QuerySet] = {}


def register_kind(kind: str, label: str, template_name: str) -> None:
    _KINDS[kind] = TimelineKind(kind=kind, label=label, template_name=template_name)


def register_source_queryset(model: type[Model], queryset: QuerySet) -> None:
    """Let the timeline prefetch a source model with its own related rows (one query per model)."""
    _SOURCE_QUERYSETS[model] = queryset


def kind_for(kind: str) -> TimelineKind:
    return _KINDS.get(kind) or TimelineKind(
        kind=kind, label=kind.replace("_", " ").capitalize(), template_name=GENERIC_TEMPLATE
    )


def source_querysets() -> list[QuerySet]:
    return [queryset.all() for queryset in _SOURCE_QUERYSETS.values()]


register_kind("opened", "Case opened", "casework/timeline/opened.html")
register_kind("status", "Status change", "casework/timeline/status.html")
register_kind("note", "Note", "casework/timeline/note.html")
register_kind("contact", "Contact", "casework/timeline/contact.html")
register_kind("update", "Case updated", GENERIC_TEMPLATE)
