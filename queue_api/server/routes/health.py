"""Liveness for load balancers, and who-am-I for technicians checking a device token."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from queue_api import __version__
from queue_api.schema import Health, TokenInfo
from queue_api.server.auth import Caller
from queue_api.server.problems import problem, responses
from queue_api.store import StoreUnavailable

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health", response_model=Health, responses=responses(503))
async def health(request: Request) -> Health | JSONResponse:
    """``ok`` while the store answers and takes writes; 503 when it does not."""
    try:
        await run_in_threadpool(request.app.state.office.store.ping)
    except StoreUnavailable as exc:
        # Once per fault, not once per poll of a load balancer.
        if str(exc) != getattr(request.app.state, "health_fault", None):
            log.warning("health: %s", exc)
        request.app.state.health_fault = str(exc)
        return problem(
            503, "the queue database cannot be read or written: the server's log says why"
        )
    request.app.state.health_fault = None
    return Health(status="ok", version=__version__)


@router.get("/whoami", response_model=TokenInfo, responses=responses(401))
async def whoami(who: Caller) -> TokenInfo:
    """The device, role and scope of the calling token (for `turnero diag api`)."""
    return TokenInfo(
        device=who.device,
        role=who.role,
        branch=who.branch,
        counter=who.counter,
        branches=list(who.branches) or None,
    )
