"""The citizen's phone (public, no token): a ticket's own event stream, tickets taken from a
phone, and feedback once served. Limited per client address (429 with ``Retry-After``)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from starlette.datastructures import State

from queue_api.phone import Phone
from queue_api.schema import Feedback, FeedbackIn, RemoteTicket, RemoteTicketIn
from queue_api.server.citizen_limits import refuse_over
from queue_api.server.hub import EventHub
from queue_api.server.limits import StreamQuota
from queue_api.server.problems import responses
from queue_api.server.routes import office
from queue_api.server.routes.events import EventStream, take_stream
from queue_api.server.ticket_watch import TicketWatch

router = APIRouter(tags=["phone"])

REMOTE_TICKETS_PER_MINUTE = 10
"""Per client address: a family joining together passes, a script emptying the day's tickets
does not. Mobile networks put many phones behind one address, hence not fewer."""
FEEDBACK_PER_MINUTE = 10
"""Per client address: each ticket takes feedback once anyway; this only slows probing."""


def phone(request: Request) -> Phone:
    return Phone(office(request))


@router.get(
    "/api/v1/tickets/{ticket_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "ticket.updated events: the ticket's public view, first the current "
            "one, then each change (a reconnect gets the current view first: no Last-Event-ID)",
        },
        **responses(404, 429, 503),
    },
)
async def ticket_events(ticket_id: str, request: Request) -> StreamingResponse:
    """Follow one ticket: ``ticket.updated`` with its public view now and on every change."""
    hub: EventHub = request.app.state.hub
    if hub.closing:
        raise HTTPException(503, "the server is shutting down: reconnect in a moment")
    branch = await run_in_threadpool(phone(request).branch_of, ticket_id)
    quota: StreamQuota = request.app.state.stream_quota
    address = take_stream(request, "your network")
    watch: TicketWatch = request.app.state.ticket_watch
    stream = watch.follow(branch, ticket_id)

    def ended() -> None:
        watch.unfollow(branch, ticket_id, stream)
        quota.give_back(address)

    return EventStream(stream.frames(), on_close=ended)


@router.post(
    "/api/v1/branches/{b}/remote-tickets",
    status_code=201,
    response_model=RemoteTicket,
    responses=responses(400, 404, 409, 422, 429),
)
def remote_ticket(b: str, body: RemoteTicketIn, request: Request) -> RemoteTicket:
    """A ticket without paper (``channel`` remote) for a service with ``remote_join``; 409 when
    the service is closed, the office closed today, today's phone tickets are all given, or
    the service does not take them."""
    refuse_over(request, "remote_tickets", REMOTE_TICKETS_PER_MINUTE, 60.0, "remote tickets")
    ticket_id, view = phone(request).issue_remote(b, body)
    base = office(request).config.server.public_url or str(request.base_url).rstrip("/")
    return RemoteTicket(**view.model_dump(), id=ticket_id, status_url=f"{base}/t/{ticket_id}")


@router.post(
    "/api/v1/tickets/{ticket_id}/feedback",
    status_code=201,
    response_model=Feedback,
    responses=responses(400, 404, 409, 422, 429),
)
def feedback(ticket_id: str, body: FeedbackIn, request: Request) -> Feedback:
    """How the visit went (score 1 to 5, an optional comment): once per ticket, after it was
    served; 409 otherwise."""
    refuse_over(request, "feedbacks", FEEDBACK_PER_MINUTE, 60.0, "feedbacks")
    return phone(request).give_feedback(ticket_id, body)


def install(state: State, hub: EventHub, phone: Phone) -> None:
    """Set up what these routes keep on the app's ``state``."""
    state.ticket_watch = TicketWatch(hub, phone)
