"""Read-side queries of letters. Each takes the acting membership and returns a queryset
already scoped to it: permission is a filter in the query, never a loop over rows."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from django.db.models import Avg, Count, Max, Min, Model, Prefetch, Q, QuerySet
from django.utils import timezone

from casework.models import Case, Constituent
from casework.selectors import cases_for, without_hidden
from geography.selectors import area_name
from letters.models import (
    Letter,
    LetterCase,
    LetterSignatory,
    LetterTemplate,
    Organisation,
    Post,
    PostHolder,
    Reply,
    Status,
)
from mpoffice.models import Membership

# A letter is derived from the cases it is about, the constituent it is to, and the reply it
# forwards: the sensitive-case rule (casework.selectors.without_hidden) reaches it through
# these paths. The rule concerns the member's own office: a co-signing office never sees the
# drafting office's cases at all (``letter_cases_visible``, and redacted documents).
LETTER_CASE_PATHS = ("letter_cases__case", "encloses_reply__letter__letter_cases__case")
LETTER_CONSTITUENT_PATHS = ("recipient_constituent",)


RowT = TypeVar("RowT", bound=Model)


def _visible_letters(letters: QuerySet[RowT], membership: Membership, prefix: str = "") -> QuerySet[RowT]:
    return without_hidden(
        letters,
        membership=membership,
        case_paths=tuple(prefix + path for path in LETTER_CASE_PATHS),
        constituent_paths=tuple(prefix + path for path in LETTER_CONSTITUENT_PATHS),
    )


def letters_for(*, membership: Membership) -> QuerySet[Letter]:
    """Letters drafted in the member's office, and joint letters their MP co-signs, less
    those about a case (or to a person) the member may not see."""
    office = membership.office
    co_signed = LetterSignatory.objects.filter(office=office).values("letter_id")
    return _visible_letters(Letter.objects.filter(Q(office=office) | Q(pk__in=co_signed)), membership)


def letters_drafted_by(*, membership: Membership) -> QuerySet[Letter]:
    """Only the office's own letters: what it may edit, send and record replies on."""
    return _visible_letters(Letter.objects.for_office(membership.office), membership)


def letter_list(*, membership: Membership, status: str = "") -> QuerySet[Letter]:
    letters = (
        letters_for(membership=membership)
        .select_related("office", "recipient_post__organisation", "recipient_constituent")
        .prefetch_related(  # type: ignore[type-var]  # Prefetch objects and lookups mixed
            Prefetch("signatories", queryset=LetterSignatory.objects.order_by("position", "pk")),
            # A co-signing office's rows withhold the case's merge values (letters.cosigning).
            Prefetch("letter_cases", queryset=LetterCase.objects.select_related("case").order_by("pk")),
            Prefetch("letter_cases__case__constituents"),
        )
    )
    if status:
        letters = letters.filter(status=status)
    return letters.order_by("-updated_at", "-pk")


def letters_waiting_for_mp(*, membership: Membership) -> QuerySet[Letter]:
    """Letters awaiting approval whose signature for this office is still pending."""
    pending = LetterSignatory.objects.filter(office=membership.office, state=LetterSignatory.State.PENDING)
    return letter_list(membership=membership, status=Status.AWAITING_APPROVAL).filter(
        pk__in=pending.values("letter_id")
    )


def letter_detail_queryset(*, membership: Membership) -> QuerySet[Letter]:
    return (
        letters_for(membership=membership)
        .select_related(
            "office",
            "recipient_post__organisation",
            "recipient_constituent",
            "campaign",
            "encloses_reply",
            "created_by",
            "updated_by",
            "sent_by",
        )
        .prefetch_related(  # type: ignore[type-var]  # Prefetch objects and lookups mixed
            Prefetch("signatories", queryset=LetterSignatory.objects.select_related("approved_by", "office")),
            "transitions__by",
            Prefetch("replies", queryset=Reply.objects.select_related("recorded_by")),
            Prefetch(
                "letter_cases",
                queryset=LetterCase.objects.select_related("case").prefetch_related("case__constituents"),
            ),
        )
    )


def letter_cases_visible(*, letter: Letter, membership: Membership) -> QuerySet[Case]:
    """The linked cases this member may see: none for a co-signing office, and never a
    sensitive case a caseworker may not read."""
    if letter.office_id != membership.office_id:
        return cases_for(membership=membership).none()
    return cases_for(membership=membership).filter(letter_links__letter=letter).order_by("reference")


def replies_awaiting(*, membership: Membership) -> QuerySet[Letter]:
    """Sent letters that expect a reply (to an organisation) and have none yet, soonest due first."""
    return (
        letters_drafted_by(membership=membership)
        .filter(status=Status.SENT, reply_due_on__isnull=False)
        .select_related("recipient_post__organisation")
        .order_by("reply_due_on", "pk")
    )


def replies_overdue(*, membership: Membership, today: date | None = None) -> QuerySet[Letter]:
    today = today or timezone.localdate()
    return replies_awaiting(membership=membership).filter(reply_due_on__lt=today)


def reply_times_by_organisation(*, membership: Membership) -> QuerySet[Reply, Any]:
    """Average, fastest and slowest reply (calendar days) per organisation, computed in the database."""
    rows: QuerySet[Reply, Any] = (
        Reply.objects.for_office(membership.office)
        .filter(letter__recipient_post__isnull=False)
        .values("letter__recipient_post__organisation__name")
        .annotate(
            replies=Count("pk"),
            average_days=Avg("days_to_reply"),
            fastest_days=Min("days_to_reply"),
            slowest_days=Max("days_to_reply"),
        )
        .order_by("letter__recipient_post__organisation__name")
    )
    return rows


def organisations_for(*, membership: Membership) -> QuerySet[Organisation]:
    return Organisation.objects.for_office(membership.office)


def posts_for(*, membership: Membership) -> QuerySet[Post]:
    return Post.objects.for_office(membership.office).select_related("organisation")


def post_for_area(*, membership: Membership, role: str, constituent: Constituent) -> tuple[Post | None, str]:
    """The office's post responsible for the constituent's area in ``role`` (council: their local
    authority; police or PCC: their police force area), or None and why not, for the person."""
    code = constituent.local_authority_code if role == Post.AreaRole.COUNCIL else constituent.police_force_area_code
    what = "council" if role == Post.AreaRole.COUNCIL else "police force area"
    if not code:
        return None, (
            f"{constituent.display_name}'s postcode is not in the postcode directory, so their {what} is not known: "
            "choose the post above."
        )
    post = posts_for(membership=membership).filter(area_role=role, area_code=code).order_by("pk").first()
    if post is None:
        return None, (
            f"No post in the address book is tied to {area_name(code)} ({code}) as "
            f"{Post.AreaRole(role).label.lower()}: add the area to the post on its organisation's page."
        )
    return post, ""


def post_holders_for(*, membership: Membership) -> QuerySet[PostHolder]:
    return PostHolder.objects.for_office(membership.office)


def templates_for(*, membership: Membership) -> QuerySet[LetterTemplate]:
    return LetterTemplate.objects.for_office(membership.office)


def replies_for(*, membership: Membership) -> QuerySet[Reply]:
    """Replies to the office's letters, less those to letters the member may not see."""
    replies = _visible_letters(Reply.objects.for_office(membership.office), membership, prefix="letter__")
    return replies.select_related("letter")
