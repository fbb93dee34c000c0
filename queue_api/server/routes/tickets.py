"""Tickets: issuing one at a kiosk, and the public view a citizen follows on a phone."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from queue_api.i18n import languages
from queue_api.office import NotFound
from queue_api.phone import Phone
from queue_api.schema import IssueTicket, PublicTicket, Ticket
from queue_api.server.auth import Principal, TicketIssuer
from queue_api.server.problems import responses
from queue_api.server.routes import office
from queue_api.server.status_page import browser_language, render_status_page
from queue_api.server.ticket_allowance import TicketAllowance, refuse_when_over

log = logging.getLogger(__name__)
router = APIRouter(tags=["tickets"])

MAX_KEY_LENGTH = 128


def allowance_check(request: Request, who: Principal) -> Callable[[], None]:
    """What issuing a new ticket must pass first: a kiosk within its tickets a minute (admins
    are not limited); else 429. A replayed Idempotency-Key issues nothing and skips it."""
    allowance: TicketAllowance = request.app.state.ticket_allowance

    def check() -> None:
        if not who.is_admin:
            refuse_when_over(
                allowance,
                who.device,
                "ticket",
                "device {device!r} issued {per_minute} tickets within a minute: "
                "try again in {seconds} s (is a key stuck?)",
                log,
            )

    return check


IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "One fresh key per press; the same key within 24 h returns the same ticket.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}
"""Declared by hand: the handler reads the header itself so that a missing one gets the 400
that says what to send, while the spec still says it is required."""


@router.post(
    "/api/v1/branches/{b}/tickets",
    status_code=201,
    response_model=Ticket,
    responses={
        200: {"description": "This Idempotency-Key already issued this ticket", "model": Ticket},
        **responses(400, 401, 403, 404, 409, 422, 429),
    },
    openapi_extra={"parameters": [IDEMPOTENCY_KEY_PARAMETER]},
)
def issue_ticket(
    b: str,
    body: IssueTicket,
    request: Request,
    response: Response,
    who: TicketIssuer,
) -> Ticket:
    """Issue a ticket; the same Idempotency-Key within 24 h returns the same ticket (200)."""
    key = request.headers.get("idempotency-key", "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise HTTPException(
            400, "send an Idempotency-Key header of 1 to 128 characters, one per press"
        )
    ticket, created = office(request).issue(b, body, key, allowance_check(request, who))
    response.status_code = 201 if created else 200
    # Phones outside the office cannot open the kiosk's LAN address: the QR needs public_url.
    base = office(request).config.server.public_url or str(request.base_url).rstrip("/")
    return ticket.model_copy(update={"status_url": f"{base}/t/{ticket.id}"})


@router.get("/api/v1/tickets/{ticket_id}", response_model=PublicTicket, responses=responses(404))
def public_ticket(ticket_id: str, request: Request) -> PublicTicket:
    """The public view of a ticket: where it stands, nothing personal."""
    return Phone(office(request)).public_ticket(ticket_id)


@router.get(
    "/t/{ticket_id}", response_class=HTMLResponse, responses={404: {"description": "Unknown"}}
)
def status_page(ticket_id: str, request: Request) -> HTMLResponse:
    """The small page the ticket's QR code opens on a phone, live over the ticket's stream
    (reloading itself where streams do not get through); ``?lang=`` switches its language,
    else the browser's is used, else the ticket's."""
    try:
        ticket, branch, given = Phone(office(request)).page_view(ticket_id)
    except NotFound:
        return HTMLResponse(render_status_page(None, "es"), status_code=404)
    requested = request.query_params.get("lang")
    lang = (
        requested
        if requested in languages("queue_api")
        else browser_language(request.headers.get("accept-language")) or ticket.language
    )
    page = render_status_page(
        ticket,
        lang,
        ticket_id=ticket_id,
        near={service.id: service.near_turn_ahead for service in branch.services},
        feedback_given=given,
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})
