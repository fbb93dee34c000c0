"""The clerk's desk actions of API.md v1 additions: ``call`` out of order, ``return`` of a late
no-show, the counter's line as the policy orders it; and the bodies of ``finish`` (outcome) and
``transfer`` (to a counter) that ``routes.counters`` hands over here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request

from queue_api import clerk_desk
from queue_api.schema import CallTicket, CounterLine, FinishTicket, Ticket, Transfer
from queue_api.server.auth import Caller, CounterActor, Principal
from queue_api.server.problems import responses
from queue_api.server.routes import office

router = APIRouter(tags=["counters"], responses=responses(401, 403, 404))

COUNTER = "/api/v1/branches/{b}/counters/{c}"


async def counter_of_branch(b: str, who: Caller) -> Principal:
    """A counter terminal of branch ``b`` (any of its counters), or an admin."""
    if who.is_admin or (who.role == "counter" and who.branch == b):
        return who
    raise HTTPException(
        403, f"device {who.device!r} ({who.role}) may not bring back tickets of branch {b!r}"
    )


CounterOfBranch = Annotated[Principal, Depends(counter_of_branch)]


@router.post(COUNTER + "/call", response_model=Ticket, responses=responses(400, 409, 422))
def call_ticket(b: str, c: str, body: CallTicket, request: Request, who: CounterActor) -> Ticket:
    """Finish the current ticket if any, then call this waiting ticket out of order."""
    return clerk_desk.call_ticket(office(request), b, c, body.ticket)


@router.post(
    "/api/v1/branches/{b}/tickets/{ticket_id}/return",
    response_model=Ticket,
    responses=responses(409),
)
def return_ticket(b: str, ticket_id: str, request: Request, who: CounterOfBranch) -> Ticket:
    """A no-show of today back to waiting (the citizen came late), placed by the branch policy."""
    return clerk_desk.return_ticket(office(request), b, ticket_id)


@router.get(COUNTER + "/waiting", response_model=CounterLine)
def counter_line(b: str, c: str, request: Request, who: CounterActor) -> CounterLine:
    """The tickets this counter may call, in the order the branch policy calls them, with why."""
    return clerk_desk.counter_line(office(request), b, c)


def finish(b: str, c: str, request: Request, body: FinishTicket | None) -> Ticket:
    """``finish``: the current ticket done, with an outcome of its service if the body names one."""
    try:
        return clerk_desk.finish(office(request), b, c, body.outcome if body else None)
    except clerk_desk.UnknownOutcome as exc:
        raise HTTPException(422, str(exc)) from None


def transfer(b: str, c: str, request: Request, body: Transfer) -> Ticket:
    """``transfer``: to a service, to one counter, or both."""
    return clerk_desk.transfer(office(request), b, c, body.service, body.counter)
