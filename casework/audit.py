"""The audit trail (django-auditlog): which casework rows are audited, recording views of
sensitive records, and the registry of records that have a trail page.

Every create, change and delete of a registered model is written by auditlog's signal
handlers, with the signed-in person as actor (``auditlog.middleware.AuditlogMiddleware``).
Apps above casework register their own models and trail pages from ``AppConfig.ready()``::

    from casework.audit import register_trail
    register_trail("letter", "Letter", scope=letters_for_membership, related=letter_related_rows)

The entries are never edited through Postbag; erasure and retention only *redact* the data
they carry (``entries_redact``) and add an entry recording that they did.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import accessed
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet

REDACTED = "[removed under data protection]"

# Rows whose trail includes rows of other models: (model, primary keys) pairs.
RelatedRows = Sequence[tuple[type[Model], Iterable[int]]]


@dataclass(frozen=True)
class TrailKind:
    kind: str
    label: str
    scope: Callable[..., QuerySet]  # scope(membership=...) -> the rows this member may open
    related: Callable[[Model], RelatedRows]


_TRAILS: dict[str, TrailKind] = {}


def register_trail(
    kind: str, label: str, *, scope: Callable[..., QuerySet], related: Callable[[Model], RelatedRows] | None = None
) -> None:
    _TRAILS[kind] = TrailKind(kind=kind, label=label, scope=scope, related=related or (lambda obj: []))


def trail_kind(kind: str) -> TrailKind | None:
    return _TRAILS.get(kind)


def trail_entries(*, obj: Model, related: RelatedRows = ()) -> QuerySet[LogEntry]:
    """The audit entries of ``obj`` and of the related rows shown with it, newest first."""
    return entries_for([(type(obj), [obj.pk]), *related])


def entries_for(rows: Iterable[tuple[type[Model], Iterable[int]]]) -> QuerySet[LogEntry]:
    return (
        LogEntry.objects.filter(_entries_condition(rows))
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )


def _entries_condition(rows: Iterable[tuple[type[Model], Iterable[int]]]) -> Q:
    condition = Q(pk__in=[])
    for model, pks in rows:
        keys = [str(pk) for pk in pks]
        if keys:
            content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
            condition |= Q(content_type=content_type, object_pk__in=keys)
    return condition


def record_view(obj: Model) -> None:
    """Record that the signed-in person opened ``obj`` (an ACCESS entry with no data)."""
    accessed.send(sender=type(obj), instance=obj)


def entries_redact(rows: Iterable[tuple[type[Model], Iterable[int]]], *, reason: str) -> int:
    """Strip the personal data from the entries about ``rows``, keeping who did what and when.

    Django's own admin log names the rows it changed too; its entries are stripped the same way."""
    rows = list(rows)
    _admin_entries(rows).update(object_repr=REDACTED, change_message="")
    return _redact(LogEntry.objects.filter(_entries_condition(rows)), reason=reason)


def entries_redact_mentioning(
    rows: Iterable[tuple[type[Model], Iterable[int]]], *, terms: Iterable[str], reason: str
) -> int:
    """Redact only those entries about ``rows`` whose data mention one of ``terms`` (case
    insensitive): the history of someone else's record keeps every entry that does not."""
    terms = [term.casefold() for term in terms if term]
    if not terms:
        return 0
    mentioning = [
        entry.pk
        for entry in LogEntry.objects.filter(_entries_condition(rows)).only(
            "pk", "object_repr", "changes", "changes_text", "serialized_data", "additional_data"
        )
        if any(term in _entry_text(entry) for term in terms)
    ]
    return _redact(LogEntry.objects.filter(pk__in=mentioning), reason=reason)


def _entry_text(entry: LogEntry) -> str:
    parts = [entry.object_repr or "", entry.changes_text or ""]
    parts += [json.dumps(value, ensure_ascii=False) for value in (entry.changes, entry.serialized_data) if value]
    return " ".join(parts).casefold()


def _redact(entries: QuerySet[LogEntry], *, reason: str) -> int:
    return entries.update(
        object_repr=REDACTED,
        changes=None,
        changes_text="",
        serialized_data=None,
        additional_data={"redacted": reason},
    )


def _admin_entries(rows: Iterable[tuple[type[Model], Iterable[int]]]) -> QuerySet[AdminLogEntry]:
    condition = Q(pk__in=[])
    for model, pks in rows:
        keys = [str(pk) for pk in pks]
        if keys:
            condition |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=keys)
    return AdminLogEntry.objects.filter(condition)


def event_record(
    *, obj_model: type[Model], obj_pk: int, office_id: int, by: User | None, event: str, summary: str, **data
) -> LogEntry:
    """An entry recording a data-protection event (erasure, anonymisation, deletion, export)
    that names no personal data: the row's type and id, the office, who, when and counts."""
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj_model, for_concrete_model=False),
        object_pk=str(obj_pk),
        object_id=obj_pk,
        object_repr=summary,
        action=LogEntry.Action.DELETE if event in DELETING_EVENTS else LogEntry.Action.UPDATE,
        changes=None,
        actor=by,
        actor_email=getattr(by, "email", None),
        additional_data={"event": event, "office_id": office_id, **data},
    )


DELETING_EVENTS = {"erasure", "retention-delete"}
EVENT_LABELS = {
    "erasure": "Erased on request",
    "merge": "Duplicate record merged in",
    "shared-text-redacted": "Mention of an erased person removed",
    "shared-text-kept": "Mention of an erased person kept after review",
    "retention-anonymise": "Anonymised after the retention period",
    "retention-delete": "Deleted after the retention period",
    "retention-keep": "Kept after a retention review",
    "subject-access-export": "Subject access export made",
    "subject-access-download": "Subject access export downloaded",
}


def office_events(*, office_id: int) -> QuerySet[LogEntry]:
    return (
        LogEntry.objects.filter(additional_data__office_id=office_id, additional_data__event__isnull=False)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )


def merged_ids(constituent) -> list[int]:
    """Every record merged into ``constituent``, and into those, all the way down."""
    from casework.models import Constituent

    found: list[int] = []
    level = [constituent.pk]
    while level:
        level = list(Constituent.objects.filter(merged_into_id__in=level).values_list("pk", flat=True))
        found += level
    return found


def _register_casework_models() -> None:
    from casework.models import Attachment, Case, CaseConstituent, Constituent, Contact

    # The search vectors and auto timestamps say nothing a person did.
    auditlog.register(Constituent, exclude_fields=["updated_at", "created_at"])
    auditlog.register(Case, exclude_fields=["search", "updated_at"])
    auditlog.register(CaseConstituent)
    auditlog.register(Contact, exclude_fields=["search", "created_at"])
    auditlog.register(Attachment, exclude_fields=["uploaded_at"])


def _register_casework_trails() -> None:
    from casework.models import Attachment, CaseConstituent, Constituent, Contact
    from casework.selectors import cases_for, constituents_for

    def case_related(case) -> RelatedRows:
        return [
            (Contact, case.contacts.values_list("pk", flat=True)),
            (Attachment, Attachment.objects.filter(contact__case=case).values_list("pk", flat=True)),
            (CaseConstituent, case.case_constituents.values_list("pk", flat=True)),
        ]

    def constituent_related(constituent) -> RelatedRows:
        # The records merged into this one are the same person: their history is shown here.
        return [
            (Constituent, merged_ids(constituent)),
            (Contact, constituent.contacts.values_list("pk", flat=True)),
            (Attachment, Attachment.objects.filter(contact__constituent=constituent).values_list("pk", flat=True)),
            (CaseConstituent, constituent.case_links.values_list("pk", flat=True)),
        ]

    register_trail("case", "Case", scope=cases_for, related=case_related)
    register_trail("constituent", "Constituent", scope=constituents_for, related=constituent_related)


def ready() -> None:
    _register_casework_models()
    _register_casework_trails()
