"""Read-side queries of casework. Every function takes the acting membership (or office) and
returns a queryset already scoped to it: permission is a filter in the query."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Lower, Substr

from casework.models import Attachment, Case, Constituent, Contact, TimelineEntry, Topic
from casework.timeline import register_source_queryset, source_querysets
from mpoffice.models import Membership, Role

TIMELINE_PAGE_SIZE = 50
DUPLICATE_GROUPS_MAX = 50

register_source_queryset(
    Contact, Contact.objects.select_related("staff", "constituent").prefetch_related("attachments")
)


# --- What a member may see --------------------------------------------------------------
#
# The sensitive-case rule, written once. A sensitive case is visible only to its assignee,
# office staff and the MP; everything derived from it (its contacts, their attachments, the
# e-mails attached to it, letters about it, their replies, a person known only through it)
# is hidden with it. Derived querysets compose the rule through their relation path with
# ``without_hidden``; nothing else may write it again.


def _hides_sensitive_cases(membership: Membership) -> bool:
    # Office staff and the MP read every case of the office; a caseworker, their own.
    return membership.role == Role.CASEWORKER


def _hidden_case(membership: Membership) -> Q:
    return Q(is_sensitive=True) & ~Q(assignee_id=membership.user_id)


def cases_hidden_from(*, membership: Membership) -> QuerySet[Case]:
    """The office's sensitive cases this member may not read (few: a small ``NOT IN``)."""
    if not _hides_sensitive_cases(membership):
        return Case.objects.none()
    return Case.objects.for_office(membership.office).filter(_hidden_case(membership))


def cases_for(*, membership: Membership) -> QuerySet[Case]:
    """Cases this member may see: the office's, less sensitive cases they may not read."""
    cases = Case.objects.for_office(membership.office)
    if _hides_sensitive_cases(membership):
        cases = cases.exclude(_hidden_case(membership))
    return cases


def constituents_hidden_from(*, membership: Membership) -> QuerySet[Constituent]:
    """People this member knows of only through cases hidden from them: on (or writing for)
    a hidden case and on no case they may see. Their name and address would tell what the
    sensitive case is about; a person with a case the member may see stays visible."""
    if not _hides_sensitive_cases(membership):
        return Constituent.objects.none()
    hidden = cases_hidden_from(membership=membership)
    seen_elsewhere = Exists(
        Case.objects.filter(Q(case_constituents__constituent=OuterRef("pk")) | Q(correspondent=OuterRef("pk"))).exclude(
            _hidden_case(membership)
        )
    )
    return (
        Constituent.objects.for_office(membership.office)
        .filter(Q(case_links__case__in=hidden) | Q(cases_as_correspondent__in=hidden))
        .exclude(seen_elsewhere)
        .distinct()
    )


def without_hidden(
    queryset: QuerySet,
    *,
    membership: Membership,
    case_paths: tuple[str, ...] = (),
    constituent_paths: tuple[str, ...] = (),
) -> QuerySet:
    """``queryset`` less the rows reached through a case or a person hidden from the member.

    Each path names a relation from the queryset's model to a case (``"case"``,
    ``"contact__case"``, ``"letter_cases__case"``) or to a constituent. A row whose path is
    empty stays; a row with any hidden case or person on a many-valued path goes. Written as
    ``NOT IN`` the few hidden rows, so that a list of thousands is not joined to its cases.
    """
    if not _hides_sensitive_cases(membership):
        return queryset
    hidden_cases = cases_hidden_from(membership=membership).values("pk")
    for path in case_paths:
        queryset = queryset.exclude(**{f"{path}__in": hidden_cases})
    if constituent_paths:
        hidden_people = constituents_hidden_from(membership=membership).values("pk")
        for path in constituent_paths:
            queryset = queryset.exclude(**{f"{path}__in": hidden_people})
    return queryset


def constituents_for(*, membership: Membership) -> QuerySet[Constituent]:
    """The office's constituents, without records that were merged away or people known only
    through cases hidden from the member."""
    constituents = Constituent.objects.for_office(membership.office).filter(merged_into=None)
    return without_hidden(constituents, membership=membership, constituent_paths=("pk",))


def contacts_for(*, membership: Membership) -> QuerySet[Contact]:
    """The office's contacts, less those about cases (or people) this member may not see."""
    return without_hidden(
        Contact.objects.for_office(membership.office),
        membership=membership,
        case_paths=("case",),
        constituent_paths=("constituent",),
    )


def attachments_for(*, membership: Membership) -> QuerySet[Attachment]:
    return without_hidden(
        Attachment.objects.for_office(membership.office),
        membership=membership,
        case_paths=("contact__case",),
        constituent_paths=("contact__constituent",),
    )


def topics_for(*, membership: Membership, active_only: bool = False) -> QuerySet[Topic]:
    topics = Topic.objects.for_office(membership.office).select_related("parent")
    if active_only:
        topics = topics.filter(is_active=True).filter(Q(parent=None) | Q(parent__is_active=True))
    return topics


def case_list(*, membership: Membership) -> QuerySet[Case]:
    """The case list's rows with everything a row shows, in a fixed number of queries."""
    return (
        cases_for(membership=membership)
        .select_related("topic__parent", "assignee")
        .prefetch_related(
            Prefetch("constituents", queryset=Constituent.objects.select_related("ward").order_by("pk")),
            "tags",
        )
    )


def constituent_list(*, membership: Membership) -> QuerySet[Constituent]:
    open_cases = Case.objects.filter(case_constituents__constituent=OuterRef("pk"), status__in=Case.OPEN_STATUSES)
    return constituents_for(membership=membership).select_related("ward").annotate(has_open_case=Exists(open_cases))


def constituent_duplicates(
    *,
    membership: Membership,
    kind: str = Constituent.Kind.PERSON,
    email: str = "",
    phone: str = "",
    postcode: str = "",
    first_name: str = "",
    last_name: str = "",
    organisation_name: str = "",
    exclude_pk: int | None = None,
    limit: int = 10,
) -> list[Constituent]:
    """Likely duplicates: the same e-mail, the same phone, or a similar name at the same postcode.

    "Similar name" is the same surname and the same first initial (Jo / Joanne Smith), or the
    same organisation name; all case-insensitive, all in one indexed query.
    """
    match = Q()
    if email:
        match |= Q(email__iexact=email)
    if phone:
        match |= Q(phone=phone)
    if postcode:
        if kind == Constituent.Kind.ORGANISATION and organisation_name:
            match |= Q(postcode=postcode, organisation_name__iexact=organisation_name)
        elif last_name:
            same_name = Q(postcode=postcode, last_name__iexact=last_name)
            if first_name:
                same_name &= Q(first_name__istartswith=first_name[0])
            match |= same_name
    if not match:
        return []
    candidates = constituents_for(membership=membership).filter(match).select_related("ward")
    if exclude_pk:
        candidates = candidates.exclude(pk=exclude_pk)
    return list(candidates[:limit])


@dataclass
class DuplicateGroup:
    reason: str
    key: str
    members: list[Constituent]


def suspected_duplicates(*, membership: Membership, limit: int = DUPLICATE_GROUPS_MAX) -> list[DuplicateGroup]:
    """Groups of the office's constituents that share an e-mail, a phone, or a name key at one
    postcode. A bounded number of queries: one GROUP BY per rule, one fetch per rule."""
    live = constituents_for(membership=membership)
    groups: list[DuplicateGroup] = []

    def collect(reason: str, key_fields: dict, base: QuerySet, describe) -> None:
        keys = list(
            base.annotate(**key_fields)
            .values(*key_fields)
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .order_by(*key_fields)[:limit]
        )
        if not keys:
            return
        match = Q()
        for key in keys:
            match |= Q(**{name: key[name] for name in key_fields})
        members: dict[tuple, list[Constituent]] = {}
        for constituent in base.annotate(**key_fields).filter(match).select_related("ward").order_by("pk"):
            members.setdefault(tuple(getattr(constituent, name) for name in key_fields), []).append(constituent)
        for key in keys:
            values = tuple(key[name] for name in key_fields)
            groups.append(DuplicateGroup(reason=reason, key=describe(values), members=members.get(values, [])))

    collect("Same e-mail", {"k_email": Lower("email")}, live.exclude(email=""), lambda v: v[0])
    collect("Same phone", {"k_phone": Lower("phone")}, live.exclude(phone=""), lambda v: v[0])
    collect(
        "Similar name at the same postcode",
        {"k_postcode": Lower("postcode"), "k_last": Lower("last_name"), "k_initial": Lower(Substr("first_name", 1, 1))},
        live.filter(kind=Constituent.Kind.PERSON).exclude(postcode="").exclude(last_name=""),
        lambda v: f"{v[2].upper()}. {v[1].title()}, {v[0].upper()}",
    )
    return groups[:limit]


def timeline_page(*, case: Case, page_number) -> Page:
    """One page of a case's timeline, newest first, with each entry's source prefetched: one
    query per source model whatever the number of entries (contacts, and letters' rows)."""
    entries = (
        case.timeline.select_related("actor", "source_type")
        .prefetch_related(GenericPrefetch("source", source_querysets()))
        .order_by("-occurred_at", "-pk")
    )
    return Paginator(entries, TIMELINE_PAGE_SIZE).get_page(page_number)


def office_members(*, office) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(office=office, is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__last_name")
    )


__all__ = [
    "TimelineEntry",
    "attachments_for",
    "case_list",
    "cases_for",
    "cases_hidden_from",
    "constituents_hidden_from",
    "without_hidden",
    "constituent_duplicates",
    "constituent_list",
    "constituents_for",
    "contacts_for",
    "office_members",
    "suspected_duplicates",
    "timeline_page",
    "topics_for",
]
