"""Finding things again years later: constituents by what a caller gives on the phone (name,
postcode, e-mail, phone number or a case reference), and cases and contacts by their words.

Full-text search uses PostgreSQL's own (a stored ``tsvector`` per case and contact, kept by a
trigger and indexed with GIN; see migration casework 0002); on SQLite, the zero-setup local
database, it falls back to case-insensitive LIKE on every word. Every function returns a
queryset already scoped to the acting member, so permission is a filter in the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Upper

from casework.models import Case, Constituent, Contact
from casework.phones import phone_normalise
from casework.postcodes import postcode_normalise
from casework.selectors import cases_for, constituents_for, contacts_for
from mpoffice.models import Membership

SEARCH_CONFIG = "english"
QUERY_MAX_LENGTH = 200

_REFERENCE = re.compile(r"^\[?\s*([A-Za-z]{2,6})-(\d{4})-(\d{1,6})\s*\]?$")
_OUTWARD_CODE = re.compile(r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{7,}$")

ConstituentMatch = Literal["reference", "email", "phone", "postcode", "district", "name", "none"]


@dataclass(frozen=True)
class ConstituentSearch:
    """What the query was taken to be (shown to the user) and the matching constituents."""

    match: ConstituentMatch
    results: QuerySet[Constituent]

    @property
    def explanation(self) -> str:
        return {
            "reference": "constituents on the case with this reference",
            "email": "constituents with this e-mail address",
            "phone": "constituents with this phone number",
            "postcode": "constituents at this postcode",
            "district": "constituents in this postcode district",
            "name": "constituents whose name starts with these words",
            "none": "",
        }[self.match]


def _clean(query: str) -> str:
    return " ".join((query or "").split())[:QUERY_MAX_LENGTH]


def constituent_search(*, membership: Membership, query: str) -> ConstituentSearch:
    """Constituents matching a name, postcode, e-mail, phone number or case reference.

    The shape of the query decides which column is searched, so that each search is one
    indexed lookup (see the pattern indexes in migration casework 0002) whatever the number
    of constituents.
    """
    query = _clean(query)
    constituents = constituents_for(membership=membership).select_related("ward")
    if not query:
        return ConstituentSearch("none", constituents.none())

    if reference := _REFERENCE.match(query):
        prefix, year, number = reference.groups()
        reference_text = f"{prefix.upper()}-{year}-{int(number):05d}"
        cases = cases_for(membership=membership).filter(reference=reference_text)
        return ConstituentSearch("reference", constituents.filter(case_links__case__in=cases).distinct())

    if "@" in query:
        return ConstituentSearch("email", constituents.filter(email=query.lower()))

    if _PHONE_LIKE.match(query):
        try:
            phone = phone_normalise(query)
        except ValidationError:
            return ConstituentSearch("phone", constituents.none())
        return ConstituentSearch("phone", constituents.filter(phone=phone))

    try:
        postcode = postcode_normalise(query)
    except ValidationError:
        postcode = ""
    if postcode:
        return ConstituentSearch("postcode", constituents.filter(postcode=postcode))
    if _OUTWARD_CODE.match(query) and any(ch.isdigit() for ch in query):
        return ConstituentSearch("district", constituents.filter(postcode__startswith=f"{query.upper()} "))

    words = query.split()
    if len(words) == 1:
        (word,) = words
        condition = (
            Q(last_name__istartswith=word) | Q(first_name__istartswith=word) | Q(organisation_name__istartswith=word)
        )
    else:
        condition = Q(first_name__istartswith=words[0], last_name__istartswith=words[-1]) | Q(
            organisation_name__istartswith=query
        )
    # Ordered case-insensitively by expressions no index provides, so that PostgreSQL reads
    # the few matches through the prefix indexes and sorts them, rather than walking the
    # whole name index in order until 25 matches turn up (slow for "Smith", near the end).
    ordering = (Upper("last_name"), Upper("first_name"), Upper("organisation_name"), "pk")
    return ConstituentSearch("name", constituents.filter(condition).order_by(*ordering))


# --- Full text ---------------------------------------------------------------------------


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def _words(query: str) -> list[str]:
    return [word for word in re.split(r"[^\w'-]+", query) if word][:10]


def cases_matching(*, membership: Membership, query: str) -> QuerySet[Case]:
    """Cases whose reference, summary or description contain the words, newest first."""
    query = _clean(query)
    cases = cases_for(membership=membership).select_related("topic__parent", "assignee").defer("search")
    if not query:
        return cases.none()
    if uses_postgres():
        search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        return cases.filter(search=search).order_by("-opened_at", "-pk")
    condition = Q()
    for word in _words(query):
        condition &= Q(summary__icontains=word) | Q(description__icontains=word) | Q(reference__icontains=word)
    return cases.filter(condition).order_by("-opened_at", "-pk")


def contacts_matching(*, membership: Membership, query: str) -> QuerySet[Contact]:
    """Contacts whose summary or full text contain the words, newest first, with a snippet.

    On PostgreSQL each row carries ``snippet``: the matching words in context, marked with
    <mark> by ts_headline (the only markup in it; the text itself is escaped by the template
    filter ``search_snippet``).
    """
    query = _clean(query)
    contacts = contacts_for(membership=membership).select_related("case", "constituent").defer("search")
    if not query:
        return contacts.none()
    if uses_postgres():
        search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        return (
            contacts.filter(search=search)
            .annotate(
                snippet=SearchHeadline(
                    "body",
                    search,
                    config=SEARCH_CONFIG,
                    start_sel=SNIPPET_START,
                    stop_sel=SNIPPET_STOP,
                    max_words=30,
                    min_words=10,
                    max_fragments=2,
                )
            )
            .order_by("-occurred_at", "-pk")
        )
    condition = Q()
    for word in _words(query):
        condition &= Q(summary__icontains=word) | Q(body__icontains=word)
    return contacts.filter(condition).order_by("-occurred_at", "-pk")


# ts_headline marks matches with these; the template escapes the text and then turns them
# into <mark> (control characters never occur in typed text and cannot inject markup).
SNIPPET_START = "\x02"
SNIPPET_STOP = "\x03"


def snippet_fallback(text: str, query: str, *, width: int = 200) -> str:
    """The SQLite counterpart of ts_headline: text around the first matching word, marked."""
    words = _words(query)
    if not text:
        return ""
    lowered = text.lower()
    positions = [lowered.find(word.lower()) for word in words]
    positions = [p for p in positions if p >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    excerpt = text[start : start + width]
    for word in words:
        excerpt = re.sub(
            re.escape(word), lambda m: f"{SNIPPET_START}{m.group(0)}{SNIPPET_STOP}", excerpt, flags=re.IGNORECASE
        )
    return ("…" if start else "") + excerpt + ("…" if start + width < len(text) else "")


@dataclass
class ResultPage:
    """One page of results without counting them all: a count over a million contacts would
    cost more than the page, and "next" is all a searcher needs."""

    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def page_of(queryset: QuerySet, *, page: str | int | None, size: int = 25, max_page: int = 200) -> ResultPage:
    try:
        number = min(max(int(page or 1), 1), max_page)
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return ResultPage(rows=rows[:size], number=number, has_next=len(rows) > size)


def text_search_page(*, membership: Membership, query: str, scope: str, page: str | int | None) -> ResultPage:
    """One page of cases or contacts matching the words; contacts carry a marked ``snippet``."""
    if scope == "contacts":
        # Two steps: the page's ids from the contacts alone (the only part that grows with the
        # number of matches), then those few rows with their case, constituent and snippet;
        # in one query PostgreSQL would join every match before keeping 26.
        matching = contacts_matching(membership=membership, query=query)
        ids = page_of(matching.select_related(None).values_list("pk", flat=True), page=page)
        rows = {row.pk: row for row in matching.filter(pk__in=ids.rows)}
        results = ResultPage(rows=[rows[pk] for pk in ids.rows if pk in rows], number=ids.number, has_next=ids.has_next)
        if not uses_postgres():
            for contact in results.rows:
                contact.snippet = snippet_fallback(contact.body, query)
        return results
    return page_of(cases_matching(membership=membership, query=query), page=page)
