"""Reports over a date range for supervisors and admins (API.md v1 additions), as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response

from queue_api.office_reports import report_figures, wire_report
from queue_api.reports import (
    GROUPINGS,
    BadReport,
    check_grouping,
    check_range,
    csv_name,
    parse_day,
    to_csv,
)
from queue_api.schema import Report
from queue_api.server.auth import Principal, Supervisor
from queue_api.server.problems import responses
from queue_api.server.routes import office

router = APIRouter(prefix="/api/v1", tags=["reports"], responses=responses(401, 403))

CSV = "text/csv"
FORMATS = ("json", "csv")


def _branches(request: Request, who: Principal, branch: str | None) -> list[str]:
    """The branch asked for (404 unknown, 403 outside the token's scope), else all it sees."""
    config = office(request).config
    if branch is None:
        return [b.id for b in config.branches if who.sees(b.id)]
    office(request).branch_config(branch)  # NotFound: a 404 saying which branches exist
    if not who.sees(branch):
        raise HTTPException(
            403, f"device {who.device!r} ({who.role}) may not read branch {branch!r}"
        )
    return [branch]


def _wants_csv(request: Request, format: str | None) -> bool:
    if format is not None:
        if format not in FORMATS:
            raise BadReport(f"format: expected csv or json, got {format!r}")
        return format == "csv"
    return CSV in request.headers.get("accept", "")


CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report; as CSV (UTF-8 with a byte order mark) with format=csv or"
        " Accept: text/csv",
        "content": {CSV: {"schema": {"type": "string"}}},
    }
}


@router.get("/reports", response_model=Report, responses={**CSV_ANSWER, **responses(404, 422)})
def get_report(
    request: Request,
    who: Supervisor,
    first: Annotated[str, Query(alias="from", description="First business day, YYYY-MM-DD")],
    to: Annotated[str, Query(description="Last business day (inclusive), YYYY-MM-DD")],
    by: Annotated[str, Query(description=f"One of {', '.join(GROUPINGS)}")],
    branch: Annotated[
        str | None, Query(description="One branch; all the token may read when left out")
    ] = None,
    format: Annotated[str | None, Query(description="csv or json (default: json)")] = None,
) -> Any:
    """KPIs over a range of business days grouped by branch and ``by``: issued, served,
    no-shows, cancelled, waits, service times, share within target, feedback."""
    try:
        start, end = parse_day("from", first), parse_day("to", to)
        check_range(start, end)
        check_grouping(by)
        as_csv = _wants_csv(request, format)
    except BadReport as exc:
        raise HTTPException(422, str(exc)) from None
    branches = _branches(request, who, branch)
    found = report_figures(office(request), branches, start, end, by)
    if not as_csv:
        return wire_report(office(request), branches, start, end, by, found)
    return Response(
        to_csv(start, end, by, *found).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{csv_name(start, end, by)}"'},
    )
