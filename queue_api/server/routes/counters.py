"""A clerk's counter: its state, and the actions on its current ticket."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from queue_api.schema import Counter, CounterState, FinishTicket, OpenCounter, Ticket, Transfer
from queue_api.server.auth import BranchReader, CounterActor
from queue_api.server.problems import responses
from queue_api.server.routes import desk_actions, office

router = APIRouter(
    prefix="/api/v1/branches/{b}/counters/{c}",
    tags=["counters"],
    responses=responses(401, 403, 404),
)


@router.get("", response_model=Counter)
def get_counter(b: str, c: str, request: Request, who: BranchReader) -> Counter:
    """The counter's state, its services and its current ticket."""
    return office(request).counter(b, c)


@router.post(
    "/next",
    response_model=Ticket,
    responses={204: {"description": "Nobody is waiting"}, **responses(409)},
)
def call_next(b: str, c: str, request: Request, who: CounterActor) -> Ticket | Response:
    """Finish the current ticket, then call the next one."""
    ticket = office(request).call_next(b, c)
    return ticket if ticket is not None else Response(status_code=204)


@router.post("/recall", response_model=Ticket, responses=responses(409))
def recall(b: str, c: str, request: Request, who: CounterActor) -> Ticket:
    """Call the current ticket again."""
    return office(request).recall(b, c)


@router.post("/start", response_model=Ticket, responses=responses(409))
def start(b: str, c: str, request: Request, who: CounterActor) -> Ticket:
    """The citizen arrived: the current ticket is being served."""
    return office(request).start(b, c)


@router.post("/finish", response_model=Ticket, responses=responses(400, 409, 422))
def finish(
    b: str, c: str, request: Request, who: CounterActor, body: FinishTicket | None = None
) -> Ticket:
    """The current ticket is done, optionally with an outcome of its service; nobody is called."""
    return desk_actions.finish(b, c, request, body)


@router.post("/no-show", response_model=Ticket, responses=responses(409))
def no_show(b: str, c: str, request: Request, who: CounterActor) -> Ticket:
    """The called citizen never came."""
    return office(request).no_show(b, c)


@router.post("/transfer", response_model=Ticket, responses=responses(400, 409, 422))
def transfer(b: str, c: str, body: Transfer, request: Request, who: CounterActor) -> Ticket:
    """Send the current ticket back to waiting in another service, or for one counter only."""
    return desk_actions.transfer(b, c, request, body)


@router.post("/open", response_model=Counter, responses=responses(400, 409, 422))
def open_counter(
    b: str, c: str, request: Request, who: CounterActor, body: OpenCounter | None = None
) -> Counter:
    """Open the counter; the optional body names the clerk, whose tickets the stats count."""
    clerk = body.clerk if body else None
    return office(request).set_counter_state(b, c, CounterState.OPEN, clerk)


@router.post("/pause", response_model=Counter, responses=responses(409))
def pause_counter(b: str, c: str, request: Request, who: CounterActor) -> Counter:
    """Pause the counter; refused while it holds a ticket."""
    return office(request).set_counter_state(b, c, CounterState.PAUSED)


@router.post("/close", response_model=Counter, responses=responses(409))
def close_counter(b: str, c: str, request: Request, who: CounterActor) -> Counter:
    """Close the counter; refused while it holds a ticket."""
    return office(request).set_counter_state(b, c, CounterState.CLOSED)
