"""Constituents: creating, editing and merging them, and the office's postcode-to-ward table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ForeignKey, Model, OuterRef, Subquery
from django.utils import timezone

from casework import audit, geography
from casework.models import (
    Constituent,
    ConstituentMerge,
    PostcodeWard,
)
from casework.phones import phone_normalise
from casework.postcodes import postcode_normalise
from mpoffice.models import Office, Ward

# --- Constituents -------------------------------------------------------------------------

CONSTITUENT_FIELDS = (
    "kind",
    "title",
    "first_name",
    "last_name",
    "organisation_name",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "email",
    "phone",
    "preferred_channel",
    "consent_to_contact",
    "contact_by_email",
    "contact_by_post",
    "contact_by_phone",
    "is_vulnerable",
    "has_special_category_data",
    "notes",
)


def ward_for_postcode(*, office: Office, postcode: str) -> Ward | None:
    """The office's ward for a postcode: by the postcode directory, else the office's own table."""
    if not postcode:
        return None
    ward = geography.ward_from_directory(office=office, postcode=postcode)
    if ward is not None:
        return ward
    link = PostcodeWard.objects.for_office(office).filter(postcode=postcode).select_related("ward").first()
    return link.ward if link else None


def _constituent_clean(constituent: Constituent) -> None:
    """Normalise what people type (postcode, phone, e-mail) and derive the ward."""
    if constituent.postcode:
        constituent.postcode = postcode_normalise(constituent.postcode)
    if constituent.phone:
        constituent.phone = phone_normalise(constituent.phone)
    constituent.email = (constituent.email or "").strip().lower()
    constituent.ward = ward_for_postcode(office=constituent.office, postcode=constituent.postcode)
    geography.constituent_place_lookup(constituent)
    constituent.full_clean()


@transaction.atomic
def constituent_create(*, office: Office, by: User, **fields: Any) -> Constituent:
    unknown = set(fields) - set(CONSTITUENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown constituent fields: {sorted(unknown)}")
    constituent = Constituent(office=office, created_by=by, **fields)
    _constituent_clean(constituent)
    constituent.save()
    return constituent


@transaction.atomic
def constituent_update(*, constituent: Constituent, by: User, **fields: Any) -> Constituent:
    unknown = set(fields) - set(CONSTITUENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown constituent fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(constituent, name, value)
    _constituent_clean(constituent)
    constituent.save()
    return constituent


def _relations_to(model: type[Model]) -> Iterator[tuple[type[Model], ForeignKey[Any, Any]]]:
    """Every foreign key (from any installed app) that points at ``model``, including the hidden
    ones (``related_name="+"``) and the auto-created tables behind many-to-many fields."""
    for relation in model._meta.get_fields(include_hidden=True):
        if relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one):
            yield relation.related_model, relation.field  # type: ignore[union-attr,misc]  # a reverse relation here


def _unique_field_sets(model: type[Model], field_name: str) -> list[tuple[str, ...]]:
    sets = [tuple(fields) for fields in model._meta.unique_together if field_name in fields]
    sets += [
        tuple(constraint.fields)
        for constraint in model._meta.total_unique_constraints
        if field_name in constraint.fields
    ]
    if getattr(model._meta.get_field(field_name), "unique", False):
        sets.append((field_name,))
    return sets


# Rows that record history about the constituent itself and must keep pointing at it.
_MERGE_KEEPS = {(ConstituentMerge, "survivor"), (ConstituentMerge, "merged")}


@transaction.atomic
def constituent_merge(*, survivor: Constituent, merged: Constituent, by: User) -> ConstituentMerge:
    """Move everything that points at ``merged`` to ``survivor`` and retire ``merged``.

    Generic on purpose: it walks every relation to Constituent, so links that later apps add
    (letters' recipients, survey responses) move too without casework importing them. A row
    that would duplicate one the survivor already has (both on the same case) is removed
    instead of moved, and counted. Nothing else is deleted: ``merged`` stays, marked.
    """
    if survivor.pk == merged.pk:
        raise ValueError("Choose two different constituents to merge.")
    if survivor.office_id != merged.office_id:
        raise ValueError("Constituents of different offices cannot be merged.")
    # Lock both rows so that two staff merging the same pair at once cannot interleave.
    locked = {c.pk: c for c in Constituent.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])}
    if locked[merged.pk].merged_into_id or locked[survivor.pk].merged_into_id:
        raise ValueError("One of these records has already been merged.")

    moved: dict[str, int] = {}
    by_kind: Counter[str] = Counter()  # for the audit trail: "contacts": 3
    for model, fk in _relations_to(Constituent):
        if (model, fk.name) in _MERGE_KEEPS:
            continue
        label = f"{model._meta.label}.{fk.name}"
        kind = str(model._meta.verbose_name_plural)
        rows = model._base_manager.filter(**{fk.name: merged})
        if model is Constituent:
            rows = rows.exclude(pk=survivor.pk)
        unique_sets = _unique_field_sets(model, fk.name)
        if not unique_sets:
            count = rows.update(**{fk.name: survivor})
            if count:
                moved[label] = count
                by_kind[kind] += count
            continue
        moved_count = dropped = 0
        for row in rows:
            collides = any(
                model._base_manager.filter(
                    **{fk.name: survivor},
                    **{name: getattr(row, model._meta.get_field(name).attname) for name in fields if name != fk.name},  # type: ignore[union-attr]  # a concrete field
                ).exists()
                for fields in unique_sets
            )
            if collides:
                row.delete()
                dropped += 1
            else:
                model._base_manager.filter(pk=row.pk).update(**{fk.name: survivor})
                moved_count += 1
        if moved_count:
            moved[label] = moved_count
            by_kind[kind] += moved_count
        if dropped:
            moved[f"{label} (duplicate links removed)"] = dropped
            by_kind[f"{kind} (duplicate links removed)"] += dropped

    # Keep what the survivor lacks (a phone number, an e-mail) rather than lose it.
    filled = []
    for name in ("email", "phone", "address_line1", "address_line2", "town", "postcode", "title"):
        if not getattr(survivor, name) and getattr(merged, name):
            setattr(survivor, name, getattr(merged, name))
            filled.append(name)
    if filled:
        if "postcode" in filled:
            survivor.ward = ward_for_postcode(office=survivor.office, postcode=survivor.postcode)
            geography.constituent_place_lookup(survivor)
            filled += ["ward", *geography.PLACE_FIELDS]
        survivor.save(update_fields=[*filled, "updated_at"])
    Constituent.objects.filter(pk=merged.pk).update(merged_into=survivor, updated_at=timezone.now())
    merged.merged_into = survivor
    merge = ConstituentMerge.objects.create(
        office_id=survivor.office_id, survivor=survivor, merged=merged, merged_by=by, moved=moved
    )
    # The moves are bulk updates, which auditlog does not see: one entry records the merge on
    # the survivor's trail (which also shows the merged record's own entries).
    if filled:
        by_kind["details filled in from the duplicate: " + ", ".join(filled)] = len(filled)
    audit.event_record(
        obj_model=Constituent,
        obj_pk=survivor.pk,
        office_id=survivor.office_id,
        by=by,
        event="merge",
        summary=f"Merged {merged.display_name} (#{merged.pk}) into {survivor.display_name} (#{survivor.pk})",
        merged_id=merged.pk,
        survivor_id=survivor.pk,
        moved=dict(by_kind),
    )
    return merge


@dataclass
class PostcodeImportResult:
    created: int = 0
    updated: int = 0
    constituents_updated: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, column, message)

    @property
    def ok(self) -> bool:
        return not self.errors


POSTCODE_CSV_COLUMNS = ("postcode", "ward")


@transaction.atomic
def postcode_wards_import(*, office: Office, rows: Iterable[dict[str, str]]) -> PostcodeImportResult:
    """Fill the office's postcode-to-ward table; all or nothing.

    ``rows`` are dicts with ``postcode`` and ``ward``; rows are numbered from 2 (the header is
    row 1). Every row is checked before anything is written; one bad row saves nothing.
    Constituents at an imported postcode get the ward.
    """
    result = PostcodeImportResult()
    wards = {ward.name.casefold(): ward for ward in Ward.objects.for_office(office)}
    wanted: dict[str, Ward] = {}
    for number, row in enumerate(rows, start=2):
        raw_postcode = (row.get("postcode") or "").strip()
        ward_name = (row.get("ward") or "").strip()
        try:
            postcode = postcode_normalise(raw_postcode)
        except ValidationError:
            result.errors.append((number, "postcode", f"{raw_postcode!r} is not a UK postcode such as MK9 3HQ."))
            continue
        ward = wards.get(ward_name.casefold())
        if ward is None:
            result.errors.append(
                (
                    number,
                    "ward",
                    f"{ward_name!r} is not one of this office's wards ({', '.join(w.name for w in wards.values())}).",
                )
            )
            continue
        wanted[postcode] = ward
    if result.errors:
        return result
    existing = {link.postcode: link for link in PostcodeWard.objects.for_office(office).filter(postcode__in=wanted)}
    to_create, to_update = [], []
    for postcode, ward in wanted.items():
        link = existing.get(postcode)
        if link is None:
            to_create.append(PostcodeWard(office=office, postcode=postcode, ward=ward))
        elif link.ward_id != ward.pk:
            link.ward = ward
            to_update.append(link)
    PostcodeWard.objects.bulk_create(to_create, batch_size=1000)
    PostcodeWard.objects.bulk_update(to_update, ["ward"], batch_size=1000)
    result.created, result.updated = len(to_create), len(to_update)
    result.constituents_updated = (
        Constituent.objects.for_office(office)
        .filter(postcode__in=list(wanted))
        .update(
            ward=Subquery(PostcodeWard.objects.filter(office=office, postcode=OuterRef("postcode")).values("ward")[:1])
        )
    )
    return result
