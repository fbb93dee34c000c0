"""The supervisor's reads (API.md v1 additions): a branch's KPIs, staffing plan and devices."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from queue_api.operations import Operations
from queue_api.schema import Devices, Kpis, Staffing
from queue_api.server.auth import BranchSupervisor
from queue_api.server.presence import PresenceBook
from queue_api.server.problems import responses

router = APIRouter(
    prefix="/api/v1/branches", tags=["operations"], responses=responses(401, 403, 404)
)

PLAN_DAYS_AHEAD = 366
PLAN_DAYS_BACK = 3660


def operations(request: Request) -> Operations:
    """The supervisor's use cases of this server's office."""
    return request.app.state.operations


@router.get("/{b}/kpis", response_model=Kpis)
def get_kpis(
    b: str,
    request: Request,
    who: BranchSupervisor,
    detail: Annotated[
        Literal["charts"] | None,
        Query(description="`charts`: also today in 15-minute slots against the usual weekday"),
    ] = None,
) -> Kpis:
    """Per service: waiting, longest wait against the target, EWT, share within target today,
    served and no-shows; per counter its state and ticket; the KPI alerts that stand."""
    return operations(request).kpis(b, charts=detail == "charts")


@router.get("/{b}/staffing", response_model=Staffing, responses=responses(422))
def get_staffing(
    b: str,
    request: Request,
    who: BranchSupervisor,
    date_: Annotated[
        date | None, Query(alias="date", description="YYYY-MM-DD; default: tomorrow")
    ] = None,
) -> Staffing:
    """Per hour and service: expected arrivals and desk time from the same weekday's history,
    and the desks needed to call 80% within the target wait (Erlang C)."""
    ops = operations(request)
    today = ops.office.today()
    day = date_ or today + timedelta(days=1)
    if not today - timedelta(days=PLAN_DAYS_BACK) <= day <= today + timedelta(days=PLAN_DAYS_AHEAD):
        raise HTTPException(
            422,
            f"date {day} is too far from today ({today}): plan at most {PLAN_DAYS_AHEAD} days"
            " ahead",
        )
    return ops.staffing(b, day)


@router.get("/{b}/devices", response_model=Devices)
def get_devices(b: str, request: Request, who: BranchSupervisor) -> Devices:
    """Every configured device of the branch: last seen, app and version, standing faults."""
    ops = operations(request)
    book: PresenceBook = request.app.state.presence
    return ops.devices(b, book.view(ops.stored_presence(ops.office.branch_config(b).id)))
