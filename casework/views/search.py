"""Constituent search, full-text search, and CSV exports of filtered lists."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from casework import exports, search
from casework.filters import CaseFilter
from casework.selectors import cases_for, constituents_for
from mpoffice.access import OfficeRequest, office_required
from mpoffice.models import Role

EXPORTERS = (Role.STAFF, Role.MP)  # a whole list leaving the system: not every caseworker's call
PAGE_SIZE = 25


@require_GET
@office_required()
def constituent_search(request: OfficeRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    found = search.constituent_search(membership=request.membership, query=query)
    page = Paginator(found.results, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "casework/search/constituents.html",
        {
            "title": "Find a constituent",
            "query": query,
            "found": found,
            "page": page,
            "querystring": urlencode({"q": query}) if query else "",
            "can_export": request.membership.has_role(*EXPORTERS),
        },
    )


@require_GET
@office_required()
def text_search(request: OfficeRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    scope = "contacts" if request.GET.get("in") == "contacts" else "cases"
    page = search.text_search_page(
        membership=request.membership, query=query, scope=scope, page=request.GET.get("page")
    )
    return render(
        request,
        "casework/search/text.html",
        {
            "title": "Search cases and contacts",
            "query": query,
            "scope": scope,
            "page": page,
            "querystring": urlencode({"q": query, "in": scope}),
        },
    )


def _csv_response(filename: str, header, rows) -> StreamingHttpResponse:
    response = StreamingHttpResponse(exports.csv_stream(header, rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@office_required(*EXPORTERS)
def case_export(request: OfficeRequest) -> HttpResponseBase:
    """The case list as filtered on screen (same query parameters), as CSV."""
    data = request.GET.copy()
    data.pop("page", None)
    case_filter = CaseFilter(data, queryset=cases_for(membership=request.membership), membership=request.membership)
    return _csv_response("cases", exports.CASE_COLUMNS, exports.case_rows(case_filter.qs))


@require_GET
@office_required(*EXPORTERS)
def constituent_export(request: OfficeRequest) -> HttpResponseBase:
    """The constituents found by a search (or all of them without one), as CSV."""
    query = request.GET.get("q", "")
    if query.strip():
        constituents = search.constituent_search(membership=request.membership, query=query).results
    else:
        constituents = constituents_for(membership=request.membership)
    return _csv_response("constituents", exports.CONSTITUENT_COLUMNS, exports.constituent_rows(constituents))
