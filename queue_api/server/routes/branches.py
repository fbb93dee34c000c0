"""Branches and what is read from them: the branch, its queue, the lobby board, stats, alerts."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request

from queue_api.schema import (
    Alert,
    AlertIn,
    Board,
    Branch,
    BranchSummary,
    Queue,
    StandingAlerts,
    Stats,
)
from queue_api.server.auth import Admin, BranchReader, Caller
from queue_api.server.problems import responses
from queue_api.server.routes import office
from queue_api.server.ticket_allowance import TicketAllowance, refuse_when_over

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/branches", tags=["branches"], responses=responses(401, 403))


@router.get("", response_model=list[BranchSummary])
def list_branches(request: Request, who: Caller) -> list[BranchSummary]:
    """The branches visible to the token."""
    return [
        BranchSummary(id=b.id, name=b.name)
        for b in office(request).config.branches
        if who.sees(b.id)
    ]


@router.get("/{b}", response_model=Branch, responses=responses(404))
def get_branch(b: str, request: Request, who: BranchReader) -> Branch:
    """The branch with its services and counters."""
    return office(request).branch(b)


@router.get("/{b}/queue", response_model=Queue, responses=responses(404))
def get_queue(b: str, request: Request, who: BranchReader) -> Queue:
    """Per service: how many wait, the estimated wait and the longest wait so far."""
    return office(request).queue(b)


@router.get("/{b}/board", response_model=Board, responses=responses(404))
def get_board(b: str, request: Request, who: BranchReader) -> Board:
    """What a lobby shows: counters, the last calls, waiting counts, last event id."""
    return office(request).board(b)


@router.get("/{b}/stats", response_model=Stats, responses=responses(404))
def get_stats(b: str, request: Request, who: Admin) -> Stats:
    """Today's KPIs per service and counter (admin only)."""
    return office(request).stats(b)


ALERTS_PER_MINUTE = 30
"""Per device: far above what a printer or LED board reports, far below a flood."""


@router.post(
    "/{b}/alerts", status_code=202, response_model=Alert, responses=responses(400, 404, 422, 429)
)
def post_alert(b: str, alert: AlertIn, request: Request, who: BranchReader) -> Alert:
    """A device fault; it goes out to the branch as a ``device.alert`` event. The device is
    the token's own (else one device could clear another's fault); an admin may name one."""
    if not who.is_admin:
        alert = alert.model_copy(update={"device": who.device})
    allowance: TicketAllowance = request.app.state.alert_allowance
    refuse_when_over(
        allowance,
        who.device,
        "alert",
        "device {device!r} sent {per_minute} alerts within a minute: "
        "send the next in {seconds} s, and only when a part's state changes",
        log,
    )
    return office(request).alert(b, who.role, alert)


@router.get("/{b}/alerts", response_model=StandingAlerts, responses=responses(404))
def get_alerts(b: str, request: Request, who: BranchReader) -> StandingAlerts:
    """The device faults that stand: reported, and not yet cleared by ``<part>.ok``."""
    return office(request).standing_alerts(b)
