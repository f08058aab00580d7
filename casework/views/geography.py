"""The boundary-change report: the office's constituents and open cases whose postcode the
current postcode directory puts in another constituency, and which; and recording the release."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from casework import geography
from casework.selectors import cases_for, constituents_for
from casework.views import STAFF_ONLY
from geography import selectors as geo
from mpoffice.access import OfficeRequest, office_required
from mpoffice.models import Role


@require_GET
@office_required(Role.STAFF, Role.MP)
def boundary_report(request: OfficeRequest) -> HttpResponse:
    code = geo.office_constituency_code(request.office)
    rows = geography.boundary_report(
        membership=request.membership,
        constituents=constituents_for(membership=request.membership),
        cases=cases_for(membership=request.membership),
    )
    return render(
        request,
        "casework/boundary_report.html",
        {
            "title": "Boundary change report",
            "rows": rows,
            "constituency_code": code,
            "constituency_name": geo.area_name(code) if code else "",
            "release": geo.current_release(),
            "open_case_count": sum(len(row.open_cases) for row in rows),
            "is_staff": request.membership.has_role(*STAFF_ONLY),
        },
    )


@require_POST
@office_required(*STAFF_ONLY)
def boundary_record(request: OfficeRequest) -> HttpResponse:
    count = geography.constituents_geography_refresh(office=request.office)
    messages.success(request, f"Recorded the current postcode directory on {count} constituents.")
    return redirect("casework:boundary-report")
