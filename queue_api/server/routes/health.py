"""Liveness for load balancers, and who-am-I for technicians checking a device token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from queue_api import __version__
from queue_api.schema import Health, TokenInfo
from queue_api.server.auth import Caller
from queue_api.server.problems import problem, responses
from queue_api.store import StoreUnavailable

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health", response_model=Health, responses=responses(503))
async def health(request: Request) -> Health | JSONResponse:
    """``ok`` while the store answers; 503 when it does not."""
    try:
        await run_in_threadpool(request.app.state.office.store.ping)
    except StoreUnavailable:
        return problem(503, "the queue database does not answer")
    return Health(status="ok", version=__version__)


@router.get("/whoami", response_model=TokenInfo, responses=responses(401))
async def whoami(who: Caller) -> TokenInfo:
    """The device, role and scope of the calling token (for `turnero diag api`)."""
    return TokenInfo(device=who.device, role=who.role, branch=who.branch, counter=who.counter)
