"""Appointments (API.md v1 additions): free slots, booking, a booking's view and calendar file,
cancelling, the day's bookings, check-in at the kiosk; and the citizen's booking pages."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Annotated
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import ValidationError

from queue_api.bookings import Bookings, CheckInRefused, InvalidBooking
from queue_api.office import Conflict, NotFound
from queue_api.schema import Appointment, BookAppointment, CheckedIn, CheckIn, Problem, Slots
from queue_api.server import booking_page
from queue_api.server.auth import BranchSupervisor, TicketIssuer
from queue_api.server.citizen_limits import public_booking, public_read
from queue_api.server.problems import MEDIA_TYPE, TITLES, responses
from queue_api.server.routes import office
from queue_api.server.routes.tickets import MAX_KEY_LENGTH, allowance_check

log = logging.getLogger(__name__)
router = APIRouter(tags=["appointments"])

PublicRead = Depends(public_read)


def bookings(request: Request) -> Bookings:
    """The appointment calls over the server's office."""
    return Bookings(office(request))


async def _is_admin(request: Request) -> bool:
    """Whether an admin's token came with this public call: admins are not rate-limited.

    Read by hand, not declared: the call is public, and a citizen never sends a token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    found = request.app.state.tokens.lookup(token.strip())
    return bool(found is not None and found.is_admin)


AdminOrCitizen = Annotated[bool, Depends(_is_admin)]


def _limit_booking(request: Request, admin: bool) -> None:
    if not admin:
        public_booking(request)


@router.get(
    "/api/v1/branches/{b}/slots",
    response_model=Slots,
    responses=responses(404, 409, 422, 429),
    dependencies=[PublicRead],
)
def get_slots(
    b: str,
    request: Request,
    service: Annotated[str, Query(description="a service that takes appointments")],
    date: Annotated[date, Query(description="the day, YYYY-MM-DD")],
) -> Slots:
    """The free appointment slots of that day (public)."""
    return bookings(request).slots(b, service, date)


@router.post(
    "/api/v1/branches/{b}/appointments",
    status_code=201,
    response_model=Appointment,
    responses=responses(400, 404, 409, 422, 429),
)
def book(b: str, body: BookAppointment, request: Request, admin: AdminOrCitizen) -> Appointment:
    """Book a free slot (public: limited per client address; admin)."""
    _limit_booking(request, admin)
    try:
        return bookings(request).book(b, body)
    except InvalidBooking as exc:
        raise HTTPException(422, str(exc)) from None


@router.get(
    "/api/v1/appointments/{appointment_id}.ics",
    responses={200: {"content": {"text/calendar": {}}}, **responses(404, 429)},
    response_class=Response,
    dependencies=[PublicRead],
)
def appointment_calendar(appointment_id: str, request: Request) -> Response:
    """The booking as an iCalendar file (public)."""
    appointment = bookings(request).appointment(appointment_id)
    base = _base_url(request)
    return Response(
        booking_page.calendar_file(appointment, f"{base}/a/{appointment.id}"),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="cita.ics"'},
    )


@router.get(
    "/api/v1/appointments/{appointment_id}",
    response_model=Appointment,
    responses=responses(404, 429),
    dependencies=[PublicRead],
)
def get_appointment(appointment_id: str, request: Request) -> Appointment:
    """The booking's public view (public)."""
    return bookings(request).appointment(appointment_id)


@router.delete(
    "/api/v1/appointments/{appointment_id}",
    response_model=Appointment,
    responses=responses(404, 409, 429),
)
def cancel(appointment_id: str, request: Request, admin: AdminOrCitizen) -> Appointment:
    """Cancel a booking that has not been checked in (public, admin)."""
    _limit_booking(request, admin)
    return bookings(request).cancel(appointment_id)


@router.get(
    "/api/v1/branches/{b}/appointments",
    response_model=list[Appointment],
    responses=responses(401, 403, 404, 422),
)
def day_bookings(
    b: str,
    request: Request,
    who: BranchSupervisor,
    date: Annotated[
        date | None, Query(description="the day, YYYY-MM-DD; today if left out")
    ] = None,
) -> list[Appointment]:
    """The day's bookings, without their codes (supervisor, admin)."""
    day = date or office(request).today()
    return bookings(request).of_day(b, day)


@router.post(
    "/api/v1/branches/{b}/check-in",
    status_code=201,
    response_model=CheckedIn,
    responses={
        200: {"description": "This Idempotency-Key already checked in", "model": CheckedIn},
        **responses(400, 401, 403, 404, 409, 422, 429),
    },
)
def check_in(
    b: str, body: CheckIn, request: Request, response: Response, who: TicketIssuer
) -> CheckedIn | JSONResponse:
    """The booking with this code becomes a ticket (kiosk, admin). Too early: 409 with
    ``reason`` ``early`` and ``come_back_at``; cancelled or used: 409 with its ``reason``."""
    key = request.headers.get("idempotency-key", "").strip() or None
    if key is not None and len(key) > MAX_KEY_LENGTH:
        raise HTTPException(400, "send an Idempotency-Key header of 1 to 128 characters")
    allowance_check(request, who)()
    try:
        ticket = bookings(request).check_in(b, body.code, key and f"check-in:{key}")
    except CheckInRefused as exc:
        log.info("check-in refused at %s by %s: %s", b, who.device, exc.reason)
        extra = {"reason": exc.reason}
        if exc.come_back_at is not None:
            extra["come_back_at"] = exc.come_back_at.isoformat()
        body_ = Problem(title=TITLES[409], status=409, detail=str(exc)).model_dump()
        return JSONResponse({**body_, **extra}, status_code=409, media_type=MEDIA_TYPE)
    except NotFound:
        log.info("check-in with an unknown code at %s by %s", b, who.device)
        raise
    base = _base_url(request)
    return ticket.model_copy(update={"status_url": f"{base}/t/{ticket.id}"})


def _base_url(request: Request) -> str:
    # Phones outside the office cannot open the server's LAN address: links need public_url.
    return office(request).config.server.public_url or str(request.base_url).rstrip("/")


# The citizen's pages -------------------------------------------------------------------


@router.get(
    "/b/{b}/book",
    response_class=Response,
    responses={
        200: {"content": {"text/html": {}}},
        404: {"description": "Unknown branch or service", "content": {"text/html": {}}},
        **responses(429),
    },
    dependencies=[PublicRead],
)
def booking_form(
    b: str,
    request: Request,
    service: str | None = None,
    date: str | None = None,
    lang: str | None = None,
) -> HTMLResponse:
    """The booking page: a service, then a day with free slots, then a slot."""
    language = booking_page.pick_language(lang, request.headers.get("accept-language"))
    return _page(lambda: booking_page.booking(bookings(request), b, service, date, language))


@router.post("/b/{b}/book", include_in_schema=False)
async def booking_sent(b: str, request: Request, admin: AdminOrCitizen) -> Response:
    """The booking form's answer: to the booking's page, or the form again saying why."""
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}
    language = booking_page.pick_language(form.get("lang"), None)
    service, start = form.get("service", ""), form.get("start", "")
    try:
        body = BookAppointment(
            service=service, start=datetime.fromisoformat(start), language=language
        )
    except (ValueError, ValidationError):
        return _back_to_form(request, b, service, None, language, "book.pick_slot")
    _limit_booking(request, admin)
    try:
        appointment = bookings(request).book(b, body)
    except (InvalidBooking, Conflict):
        day = body.start.astimezone(office(request).config.zone).date().isoformat()
        return _back_to_form(request, b, service, day, language, "book.taken")
    return RedirectResponse(f"/a/{appointment.id}?{urlencode({'lang': language})}", 303)


def _back_to_form(
    request: Request, b: str, service: str, day: str | None, language: str, why: str
) -> HTMLResponse:
    return _page(
        lambda: booking_page.booking(bookings(request), b, service, day, language, error=why),
        status=409,
    )


@router.get(
    "/a/{appointment_id}",
    response_class=Response,
    responses={
        200: {"content": {"text/html": {}}},
        404: {"description": "Unknown booking", "content": {"text/html": {}}},
        **responses(429),
    },
    dependencies=[PublicRead],
)
def appointment_page(appointment_id: str, request: Request, lang: str | None = None) -> Response:
    """A booking's page: its code, a QR of it, the calendar file, and cancelling."""
    try:
        appointment = bookings(request).appointment(appointment_id)
    except NotFound:
        language = booking_page.pick_language(lang, request.headers.get("accept-language"))
        return HTMLResponse(booking_page.unknown(language), status_code=404)
    language = booking_page.pick_language(lang, None, appointment.language)
    return HTMLResponse(booking_page.appointment(appointment, language, office(request)))


@router.post("/a/{appointment_id}/cancel", include_in_schema=False)
def cancel_from_page(appointment_id: str, request: Request, admin: AdminOrCitizen) -> Response:
    """The cancel button: cancel, then back to the booking's page."""
    _limit_booking(request, admin)
    lang = request.query_params.get("lang") or "es"
    try:
        bookings(request).cancel(appointment_id)
    except NotFound:
        return HTMLResponse(booking_page.unknown(lang), status_code=404)
    except Conflict:
        pass  # the page shows why: checked in or past
    return RedirectResponse(f"/a/{appointment_id}?{urlencode({'lang': lang})}", 303)


def _page(render: booking_page.Render, status: int = 200) -> HTMLResponse:
    try:
        return HTMLResponse(render(), status_code=status)
    except NotFound as exc:
        return HTMLResponse(booking_page.not_found(str(exc)), status_code=404)
    except Conflict as exc:  # a service that takes no appointments: none to book here
        return HTMLResponse(booking_page.not_found(str(exc)), status_code=404)
