"""What erasure cannot edit alone: other people's text that names the person, listed for a review."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from auditlog.context import disable_auditlog
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, Field, Model, OuterRef, QuerySet
from django.utils import timezone

from casework import audit
from casework.models import (
    Case,
    CaseConstituent,
    Constituent,
    Contact,
    TimelineEntry,
)
from casework.subjectdata import (
    sources,
)
from mpoffice.models import Office
from privacy.models import SharedTextReview
from privacy.services.redaction import REMOVED

# --- What erasure cannot edit alone: other people's text, and files that carried the person ------


def identifiers(constituent: Constituent) -> list[str]:
    """How free text written by staff would name the person: name, e-mail, phone, street."""
    terms = [
        " ".join(part for part in (constituent.first_name, constituent.last_name) if part),
        constituent.organisation_name,
        constituent.email,
        constituent.address_line1,
        *phone_forms(constituent.phone),
    ]
    unique = {term.strip().casefold(): term.strip() for term in terms if len(term.strip()) >= 4}
    return list(unique.values())


def phone_forms(phone: str) -> list[str]:
    """+441908123456 as it is written in text: +441908123456, 01908123456, 01908 123456."""
    if not phone.startswith("+44") or len(phone) < 10:
        return [phone] if phone else []
    national = "0" + phone[3:]
    return [phone, national, f"{national[:5]} {national[5:]}"]


def _spans(text: str, terms: list[str]) -> list[list[int]]:
    """Where ``terms`` occur in ``text`` (case insensitive), overlapping spans joined."""
    folded, found = text.casefold(), []
    for term in terms:
        needle, start = term.casefold(), 0
        while (at := folded.find(needle, start)) != -1:
            found.append([at, at + len(needle)])
            start = at + len(needle)
    joined: list[list[int]] = []
    for start, end in sorted(found):
        if joined and start <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    return joined


def _text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _shared_places(case_ids: list[int]) -> list[tuple[QuerySet[Any], list[str]]]:
    places: list[tuple[QuerySet[Any], list[str]]] = [
        (Case.objects.filter(pk__in=case_ids), ["summary", "description"]),
        (TimelineEntry.objects.filter(case_id__in=case_ids), ["title", "body"]),
        (Contact.objects.filter(case_id__in=case_ids), ["summary", "body"]),
    ]
    for source in sources():
        places += source.shared_text(case_ids)
    return places


def _cases_of_others(constituent: Constituent) -> list[int]:
    """Cases the person shares with someone else, and cases they wrote about for someone else."""
    shared = Case.objects.filter(case_constituents__constituent=constituent).filter(
        Exists(CaseConstituent.objects.filter(case=OuterRef("pk")).exclude(constituent=constituent))
    )
    for_others = Case.objects.filter(correspondent=constituent).exclude(case_constituents__constituent=constituent)
    return sorted(set(shared.values_list("pk", flat=True)) | set(for_others.values_list("pk", flat=True)))


def _shared_text_list(*, office_id: int, terms: list[str], case_ids: list[int]) -> int:
    """List for staff each field on these cases (which other people own) that still names the
    erased person, and strip the audit entries of those rows that repeat the person's details."""
    if not case_ids or not terms:
        return 0
    listed = 0
    case_references = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "reference"))
    for rows, fields in _shared_places(case_ids):
        model = rows.model
        content_type = ContentType.objects.get_for_model(model)
        for row in rows:
            for name in fields:
                text = getattr(row, name) or ""
                spans = _spans(text, terms)
                if not spans:
                    continue
                case_id = row.pk if model is Case else getattr(row, "case_id", None)
                SharedTextReview.objects.create(
                    office_id=office_id,
                    content_type=content_type,
                    object_id=row.pk,
                    field_name=name,
                    spans=spans,
                    text_sha256=_text_sha256(text),
                    case_id=case_id,
                    case_reference=case_references.get(case_id or 0, ""),
                )
                listed += 1
        audit.entries_redact_mentioning(
            [(model, list(rows.values_list("pk", flat=True)))], terms=terms, reason="erasure"
        )
    return listed


class SharedTextChanged(ValueError):
    pass


@transaction.atomic
def shared_text_resolve(*, review: SharedTextReview, by: User, redact: bool) -> SharedTextReview:
    """Staff's decision on one listed place: remove the spans that named the erased person
    (with the audit entries of that row that repeat them), or keep the text as written."""
    review = SharedTextReview.objects.select_for_update().get(pk=review.pk)
    if review.resolved_at is not None:
        raise SharedTextChanged("This place was already reviewed.")
    model = review.content_type.model_class()
    if model is None:  # its app was removed since the place was listed
        raise SharedTextChanged("This place no longer exists.")
    row = model._base_manager.filter(pk=review.object_id).first()
    if redact and row is not None:
        text = getattr(row, review.field_name) or ""
        if _text_sha256(text) != review.text_sha256:
            raise SharedTextChanged(
                "The text has changed since it was listed, so the places to remove are no longer known. "
                "Edit it by hand, then mark it as kept."
            )
        removed = [text[start:end] for start, end in review.spans]
        for start, end in sorted(review.spans, reverse=True):
            text = text[:start] + REMOVED + text[end:]
        with disable_auditlog():
            model._base_manager.filter(pk=row.pk).update(**{review.field_name: text})
            audit.entries_redact_mentioning([(model, [row.pk])], terms=removed, reason="erasure")
    review.resolution = SharedTextReview.Resolution.REDACTED if redact else SharedTextReview.Resolution.KEPT
    review.resolved_at = timezone.now()
    review.resolved_by = by
    review.save(update_fields=["resolution", "resolved_at", "resolved_by"])
    event = "shared-text-redacted" if redact else "shared-text-kept"
    audit.event_record(
        obj_model=model,
        obj_pk=review.object_id,
        office_id=review.office_id,
        by=by,
        event=event,
        summary=f"{_verbose_name(model).capitalize()} #{review.object_id} ({review.field_name}): "
        f"{audit.EVENT_LABELS[event].lower()}",
    )
    return review


def _verbose_name(model: type[Model]) -> str:
    """Django gives every model a verbose name (from its class name when the model sets none)."""
    name = model._meta.verbose_name
    if name is None:
        raise LookupError(f"{model.__name__} has no verbose name.")
    return str(name)


def _listed_model(content_type: ContentType) -> type[Model]:
    """The model of a listed place; its app may have been removed since the place was listed."""
    model = content_type.model_class()
    if model is None:
        raise LookupError(f"Listed places of {content_type.app_label}.{content_type.model} no longer exist.")
    return model


def _field_label(model: type[Model], name: str) -> str:
    """The verbose name of a listed text column."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise LookupError(f"{model.__name__}.{name} is not a text column.")
    return str(field.verbose_name)


@dataclass
class SharedTextItem:
    review: SharedTextReview
    where: str
    parts: list[tuple[str, bool]]  # (text, to be removed)
    url: str
    changed: bool


SHARED_TEXT_PAGE = 50


def shared_text_pending(*, office: Office) -> list[SharedTextItem]:
    """The places waiting for review, with their text split into what stays and what goes.
    One query for the reviews and one per kind of row, however many there are."""
    reviews = list(
        SharedTextReview.objects.for_office(office)
        .filter(resolved_at=None)
        .select_related("content_type", "case")[:SHARED_TEXT_PAGE]
    )
    wanted: dict[ContentType, set[int]] = {}
    for review in reviews:
        wanted.setdefault(review.content_type, set()).add(review.object_id)
    rows = {
        (content_type.pk, row.pk): row
        for content_type, pks in wanted.items()
        for row in _listed_model(content_type)._base_manager.filter(office=office, pk__in=pks)
    }
    items = []
    for review in reviews:
        row = rows.get((review.content_type_id, review.object_id))
        text = (getattr(row, review.field_name, "") or "") if row is not None else ""
        changed = _text_sha256(text) != review.text_sha256
        parts, at = [], 0
        for start, end in [] if changed else review.spans:
            parts += [(text[at:start], False), (text[start:end], True)]
            at = end
        parts.append((text[at:], False))
        model = _listed_model(review.content_type)
        field_label = _field_label(model, review.field_name)
        url = review.case.get_absolute_url() if review.case is not None else ""
        items.append(
            SharedTextItem(
                review=review,
                where=f"{_verbose_name(model).capitalize()} ({field_label})",
                parts=[part for part in parts if part[0]],
                url=url,
                changed=changed,
            )
        )
    return items
