"""Device tokens: who is calling, and may they touch this branch or counter (API.md roles)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from queue_api.config import OfficeConfig


@dataclass(frozen=True, slots=True)
class Principal:
    """The device behind a token: its name, role and scope."""

    device: str
    role: str
    branch: str | None
    counter: str | None
    #: A supervisor's branches; ``("*",)`` for all of them.
    branches: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def sees(self, branch: str) -> bool:
        """Whether this device may read ``branch``."""
        if self.is_admin or self.branch == branch:
            return True
        return self.role == "supervisor" and ("*" in self.branches or branch in self.branches)


class TokenBook:
    """Known devices by the sha256 of their token: tokens themselves are never kept."""

    def __init__(self, config: OfficeConfig) -> None:
        self._by_digest = {
            device.digest: Principal(
                device.name,
                device.role,
                device.branch,
                device.counter,
                tuple(device.branches or ()),
            )
            for device in config.devices
        }

    def lookup(self, token: str) -> Principal | None:
        """The device holding ``token``, or None if no device has it."""
        return self._by_digest.get(hashlib.sha256(token.encode()).hexdigest())


# The checks are async on purpose: FastAPI runs a plain ``def`` dependency in the thread pool,
# one hop per dependency and request, which cost more than the checks (scripts/bench_api.py).


# auto_error=False: FastAPI's own 401 ("Not authenticated") would not say what to send; the
# scheme is still declared in /openapi.json, so clients and fuzzers know how to authenticate.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="DeviceToken",
    description="The device token from the device file (server.token)",
)


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The calling device; 401 without a known bearer token."""
    if credentials is None:
        raise HTTPException(401, "send the device token as 'Authorization: Bearer <token>'")
    found = request.app.state.tokens.lookup(credentials.credentials)
    if found is None:
        raise HTTPException(401, "this token is not known to the server: check the device file")
    presence = getattr(request.app.state, "presence", None)
    if presence is not None:
        presence.seen(found, request.headers.get("user-agent"))
    return found


Caller = Annotated[Principal, Depends(principal)]


def _forbid(who: Principal, what: str) -> HTTPException:
    return HTTPException(403, f"device {who.device!r} ({who.role}) may not {what}")


def _in_branch(b: str, who: Principal) -> Principal:
    if not who.sees(b):
        raise _forbid(who, f"read branch {b!r}")
    return who


async def branch_reader(b: str, who: Caller) -> Principal:
    """Any role, within its branch (a supervisor within its branches)."""
    return _in_branch(b, who)


async def branch_supervisor(b: str, who: Caller) -> Principal:
    """A supervisor within its branches, or an admin: operations' reads (KPIs, reports)."""
    if who.role not in ("supervisor", "admin"):
        raise _forbid(who, "read operations data (supervisor or admin only)")
    return _in_branch(b, who)


async def supervisor(who: Caller) -> Principal:
    """A supervisor or an admin; the branch scope is checked by the call itself."""
    if who.role not in ("supervisor", "admin"):
        raise _forbid(who, "read operations data (supervisor or admin only)")
    return who


async def ticket_issuer(b: str, who: Caller) -> Principal:
    """A kiosk (or admin) within its branch."""
    if who.role not in ("kiosk", "admin"):
        raise _forbid(who, "issue tickets")
    return _in_branch(b, who)


async def counter_actor(b: str, c: str, who: Caller) -> Principal:
    """A counter terminal acts on its own counter only; admin on any."""
    if who.is_admin:
        return who
    if who.role != "counter" or who.branch != b or who.counter != c:
        raise _forbid(who, f"act on counter {c!r} of branch {b!r}")
    return who


async def admin(who: Caller) -> Principal:
    """Only an admin token."""
    if not who.is_admin:
        raise _forbid(who, "read statistics")
    return who


BranchReader = Annotated[Principal, Depends(branch_reader)]
TicketIssuer = Annotated[Principal, Depends(ticket_issuer)]
CounterActor = Annotated[Principal, Depends(counter_actor)]
Admin = Annotated[Principal, Depends(admin)]
BranchSupervisor = Annotated[Principal, Depends(branch_supervisor)]
Supervisor = Annotated[Principal, Depends(supervisor)]
