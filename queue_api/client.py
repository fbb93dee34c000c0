"""The async client every app uses to reach the queue API (httpx + SSE).

Only calls that are safe to repeat are retried: reads, and ticket issue, which carries an
``Idempotency-Key`` the caller creates once per press. Counter actions are never retried
blindly: after a lost answer the caller reads the counter state again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
from httpx_sse import EventSource, ServerSentEvent, aconnect_sse
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from queue_api import __version__
from queue_api.backoff import (
    Backoff,
    Failures,
    RetryAfterWait,
    ToldToWaitOver,
    retry_after_seconds,
)
from queue_api.schema import (
    API_PREFIX,
    Appointment,
    Board,
    Branch,
    BranchSummary,
    CheckedIn,
    Counter,
    CounterLine,
    Devices,
    Event,
    EventType,
    Health,
    Kpis,
    PublicTicket,
    Queue,
    Report,
    Staffing,
    StandingAlerts,
    Stats,
    Ticket,
    TokenInfo,
)

log = logging.getLogger(__name__)

Model = TypeVar("Model", bound=BaseModel)

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=3.0)
STREAM_SILENCE = 20.0
"""Seconds without a byte after which an event stream is dead. The server sends at least a
comment every 15 s (API.md), so a live stream is never silent this long; a link or server
that vanished without closing the socket is, and only a read timeout notices it."""
KNOWN_EVENTS = frozenset(event.value for event in EventType)
REQUEST_BACKOFF = Backoff(first=0.2, cap=2.0)
"""Waits between a request's retries: 0.2, 0.4, 0.8 s... unless the server says longer."""
RETRIED_STATUSES = frozenset({429, 502, 503, 504})
REQUEST_PATIENCE = 5.0
"""The longest Retry-After a request waits out; a longer one is raised to the caller."""


class ApiError(Exception):
    """The server answered with an error; ``detail`` is its sentence for a person."""

    def __init__(
        self, status: int, title: str, detail: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail or title
        #: Seconds the server asked to wait before asking again (its ``Retry-After``).
        self.retry_after = retry_after
        #: The problem+json body as sent ({} when there was none).
        self.problem: dict[str, Any] = {}


class Unauthorized(ApiError):
    """401: no token, or one the server does not know."""


class Forbidden(ApiError):
    """403: the token may not do this."""


class NotFound(ApiError):
    """404: unknown branch, service, counter or ticket."""


class Conflict(ApiError):
    """409: the action does not fit the current state (e.g. the counter still holds a ticket)."""


class TooManyRequests(ApiError):
    """429: this device asked too often (a kiosk issuing tickets faster than people come)."""


class InvalidRequest(ApiError):
    """400/422: the request was malformed."""


class Unreachable(Exception):
    """The server could not be reached or did not answer in time."""


_ERRORS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: InvalidRequest,
    429: TooManyRequests,
}


def new_idempotency_key() -> str:
    """A fresh key for one citizen's press; reuse it for every retry of that press."""
    return secrets.token_urlsafe(18)


def _raise_for_problem(response: httpx.Response) -> None:
    if response.is_success:
        return
    body: Any = None
    try:
        body = response.json()
        title, detail = str(body.get("title", "")), str(body.get("detail", ""))
    except (ValueError, AttributeError):
        title, detail = response.reason_phrase, response.text[:200]
    error = _ERRORS.get(response.status_code, ApiError)(
        response.status_code,
        title,
        detail,
        retry_after=retry_after_seconds(response.headers.get("retry-after")),
    )
    # The problem's extension members (a refused check-in's reason and come_back_at).
    error.problem = body if isinstance(body, dict) else {}
    raise error


def _worth_retrying(error: BaseException) -> bool:
    # Only what waiting can fix: no answer, or "too many"/"not now" from the server or a proxy.
    return isinstance(error, Unreachable) or (
        isinstance(error, ApiError) and error.status in RETRIED_STATUSES
    )


def _event_of(sse: ServerSentEvent) -> Event | None:
    """The event ``sse`` carries, its data read once; None for a type a newer server added
    (older devices ignore it) and for data the contract cannot read (logged). ValueError
    when the frame is garbled."""
    if sse.event not in KNOWN_EVENTS:
        return None
    event_id, data = int(sse.id or 0), json.loads(sse.data)
    if not isinstance(data, dict):
        raise ValueError(f"event {event_id} carries no JSON object")
    try:
        return Event.model_validate({"id": event_id, "type": sse.event, "data": data})
    except ValidationError as exc:
        # Not a cut line but a server that wrote what its contract does not say: replaying
        # would bring the same event back for ever, so it is skipped, loudly.
        log.warning(
            "event %s (%s) does not fit the contract, skipped: %s", event_id, sse.event, exc
        )
        return None


class QueueClient:
    """Typed calls of API.md for one device token."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retries: int = 3,
        backoff: Backoff = REQUEST_BACKOFF,
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # The server keeps each device's app and version from it (GET .../devices).
        headers["User-Agent"] = user_agent or f"turnero/{__version__}"
        self.base_url = base_url.rstrip("/")
        self._retries = retries
        self._backoff = backoff
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> QueueClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        retry: bool = False,
    ) -> httpx.Response:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retries + 1 if retry else 1)
            | ToldToWaitOver(REQUEST_PATIENCE),
            wait=RetryAfterWait(self._backoff),
            retry=retry_if_exception(_worth_retrying),
            sleep=asyncio.sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                try:
                    response = await self._http.request(
                        method, path, json=json_body, headers=headers
                    )
                except httpx.TransportError as exc:
                    raise Unreachable(f"{self.base_url} did not answer: {exc!r}") from exc
                _raise_for_problem(response)
                return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def _get(self, path: str, model: type[Model]) -> Model:
        response = await self._request("GET", path, retry=True)
        return model.model_validate(response.json())

    # Reads -----------------------------------------------------------------------------

    async def health(self) -> Health:
        """The server's health and version (no token needed)."""
        return await self._get(f"{API_PREFIX}/health", Health)

    async def whoami(self) -> TokenInfo:
        """The device, role and scope of this client's token."""
        return await self._get(f"{API_PREFIX}/whoami", TokenInfo)

    async def branches(self) -> list[BranchSummary]:
        """The branches this token may see."""
        response = await self._request("GET", f"{API_PREFIX}/branches", retry=True)
        return [BranchSummary.model_validate(item) for item in response.json()]

    async def branch(self, branch: str) -> Branch:
        """A branch with its services and counters."""
        return await self._get(f"{API_PREFIX}/branches/{branch}", Branch)

    async def queue(self, branch: str) -> Queue:
        """Per service: waiting count and estimated wait."""
        return await self._get(f"{API_PREFIX}/branches/{branch}/queue", Queue)

    async def board(self, branch: str) -> Board:
        """What a lobby shows: counters, last calls, waiting counts, last event id."""
        return await self._get(f"{API_PREFIX}/branches/{branch}/board", Board)

    async def standing_alerts(self, branch: str) -> StandingAlerts:
        """The device faults of the branch that have not been cleared."""
        return await self._get(f"{API_PREFIX}/branches/{branch}/alerts", StandingAlerts)

    async def counter(self, branch: str, counter: str) -> Counter:
        """A counter's state, services and current ticket."""
        return await self._get(f"{API_PREFIX}/branches/{branch}/counters/{counter}", Counter)

    async def public_ticket(self, ticket_id: str) -> PublicTicket:
        """The public view of a ticket, as the QR code's page shows it."""
        return await self._get(f"{API_PREFIX}/tickets/{ticket_id}", PublicTicket)

    async def stats(self, branch: str) -> Stats:
        """Today's KPIs of a branch (admin token)."""
        return await self._get(f"{API_PREFIX}/branches/{branch}/stats", Stats)

    async def kpis(self, branch: str, charts: bool = False) -> Kpis:
        """The branch's operations now (supervisor or admin token); with ``charts``, today in
        15-minute slots against the usual same weekday."""
        query = "?detail=charts" if charts else ""
        return await self._get(f"{API_PREFIX}/branches/{branch}/kpis{query}", Kpis)

    async def staffing(self, branch: str, day: date | None = None) -> Staffing:
        """The desks each hour of ``day`` (default: tomorrow) needs, by Erlang C."""
        query = f"?date={day.isoformat()}" if day else ""
        return await self._get(f"{API_PREFIX}/branches/{branch}/staffing{query}", Staffing)

    async def devices(self, branch: str) -> Devices:
        """Every configured device of the branch: last seen, app, version, faults."""
        return await self._get(f"{API_PREFIX}/branches/{branch}/devices", Devices)

    # Writes ----------------------------------------------------------------------------

    async def issue_ticket(
        self,
        branch: str,
        service: str,
        *,
        idempotency_key: str,
        priority: bool = False,
        language: str = "es",
    ) -> Ticket:
        """Issue a ticket; retried safely because the server dedupes on ``idempotency_key``."""
        response = await self._request(
            "POST",
            f"{API_PREFIX}/branches/{branch}/tickets",
            json_body={"service": service, "priority": priority, "language": language},
            headers={"Idempotency-Key": idempotency_key},
            retry=True,
        )
        return Ticket.model_validate(response.json())

    async def _counter_action(
        self, branch: str, counter: str, action: str, body: Any = None
    ) -> httpx.Response:
        path = f"{API_PREFIX}/branches/{branch}/counters/{counter}/{action}"
        return await self._request("POST", path, json_body=body)

    async def call_next(self, branch: str, counter: str) -> Ticket | None:
        """Finish the current ticket and call the next; None when nobody waits."""
        response = await self._counter_action(branch, counter, "next")
        return None if response.status_code == 204 else Ticket.model_validate(response.json())

    async def _ticket_action(
        self, branch: str, counter: str, action: str, body: Any = None
    ) -> Ticket:
        response = await self._counter_action(branch, counter, action, body)
        return Ticket.model_validate(response.json())

    async def recall(self, branch: str, counter: str) -> Ticket:
        """Call the current ticket again."""
        return await self._ticket_action(branch, counter, "recall")

    async def start(self, branch: str, counter: str) -> Ticket:
        """The citizen arrived: the current ticket is being served."""
        return await self._ticket_action(branch, counter, "start")

    async def finish(self, branch: str, counter: str) -> Ticket:
        """The current ticket is done; nobody is called."""
        return await self._ticket_action(branch, counter, "finish")

    async def no_show(self, branch: str, counter: str) -> Ticket:
        """The called citizen never came."""
        return await self._ticket_action(branch, counter, "no-show")

    async def transfer(self, branch: str, counter: str, service: str) -> Ticket:
        """Send the current ticket back to waiting in ``service``."""
        return await self._ticket_action(branch, counter, "transfer", {"service": service})

    async def set_counter_state(
        self, branch: str, counter: str, action: str, *, clerk: str | None = None
    ) -> Counter:
        """``action`` is ``open`` (naming the ``clerk`` at the desk, if given), ``pause`` or
        ``close``."""
        if action not in ("open", "pause", "close"):
            raise ValueError(f"unknown counter action {action!r}")
        body = {"clerk": clerk} if clerk and action == "open" else None
        response = await self._counter_action(branch, counter, action, body)
        return Counter.model_validate(response.json())

    async def report_alert(self, branch: str, device: str, kind: str, detail: str = "") -> None:
        """Tell the server (and so the staff) about a device fault."""
        await self._request(
            "POST",
            f"{API_PREFIX}/branches/{branch}/alerts",
            json_body={"device": device, "kind": kind, "detail": detail},
            retry=True,
        )

    # Events ----------------------------------------------------------------------------

    async def events(
        self,
        branch: str,
        *,
        last_event_id: int | None = None,
        max_backoff: float = 10.0,
        on_connection: Callable[[bool], object] | None = None,
        silence: float = STREAM_SILENCE,
    ) -> AsyncIterator[Event]:
        """Follow the branch's events for ever, reconnecting with backoff.

        Resumes from the last event seen. A ``resync`` event means events were lost: the
        caller fetches ``/board`` again. ``on_connection`` hears True once the stream is up
        and False when it drops, or when nothing came for ``silence`` seconds. Raises
        Unauthorized/Forbidden/NotFound, which retrying cannot fix.
        """
        path = f"{API_PREFIX}/branches/{branch}/events"
        failures = Failures(Backoff(first=0.2, cap=max_backoff))
        heard = on_connection or _nobody
        while True:
            connected = False
            try:
                async with self._event_source(path, last_event_id, silence) as source:
                    failures.reset()
                    connected = True
                    heard(True)
                    async for sse in source.aiter_sse():
                        event = _event_of(sse)
                        if event is None:
                            continue
                        if event.id:
                            last_event_id = event.id
                        yield event
                error: Exception | None = None
            except (Unauthorized, Forbidden, NotFound):
                raise
            except (httpx.TransportError, ApiError) as exc:
                error = exc
            except ValueError as exc:
                # A garbled event (a proxy cutting lines): reconnect and replay from the last
                # good id rather than hand the caller something the server never said.
                log.warning("malformed event on %s (%s); reconnecting", path, exc)
                error = None
            if connected:
                heard(False)
            delay = failures.next_delay(error)
            if error is not None:
                log.info("event stream to %s lost (%r); reconnecting in %.1fs", path, error, delay)
            await asyncio.sleep(delay)

    @contextlib.asynccontextmanager
    async def _event_source(
        self, path: str, last_event_id: int | None, silence: float
    ) -> AsyncIterator[EventSource]:
        """The stream of ``path`` from after ``last_event_id``; raises the server's refusal."""
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
        async with aconnect_sse(
            self._http, "GET", path, headers=headers, timeout=httpx.Timeout(5.0, read=silence)
        ) as source:
            if not source.response.is_success:
                await source.response.aread()  # the problem body, to raise with it
            _raise_for_problem(source.response)
            yield source

    # Desk actions of API.md v1 additions --------------------------------------------------

    async def call_ticket(self, branch: str, counter: str, ticket_id: str) -> Ticket:
        """Finish the current ticket, then call ``ticket_id`` out of order (its ``why`` says so)."""
        return await self._ticket_action(branch, counter, "call", {"ticket": ticket_id})

    async def finish_with(self, branch: str, counter: str, outcome: str | None) -> Ticket:
        """The current ticket is done, with ``outcome`` (a code of its service) if not None."""
        body = {"outcome": outcome} if outcome is not None else None
        return await self._ticket_action(branch, counter, "finish", body)

    async def transfer_to(
        self,
        branch: str,
        counter: str,
        *,
        service: str | None = None,
        to_counter: str | None = None,
    ) -> Ticket:
        """Send the current ticket to ``service``, or to wait for ``to_counter`` only, or both."""
        body = {
            key: value for key, value in (("service", service), ("counter", to_counter)) if value
        }
        return await self._ticket_action(branch, counter, "transfer", body)

    async def return_ticket(self, branch: str, ticket_id: str) -> Ticket:
        """A no-show of today back to waiting, placed by the branch policy."""
        path = f"{API_PREFIX}/branches/{branch}/tickets/{ticket_id}/return"
        return Ticket.model_validate((await self._request("POST", path)).json())

    async def counter_line(self, branch: str, counter: str) -> CounterLine:
        """The tickets ``counter`` may call, in the order the policy calls them, with why."""
        return await self._get(
            f"{API_PREFIX}/branches/{branch}/counters/{counter}/waiting", CounterLine
        )

    # Reports (supervisor or admin) -------------------------------------------------------

    def _report_path(
        self, first: date | str, last: date | str, by: str, branch: str | None, format: str
    ) -> str:
        query = {"from": str(first), "to": str(last), "by": by, "format": format}
        if branch is not None:
            query["branch"] = branch
        return f"{API_PREFIX}/reports?{urlencode(query)}"

    async def report(
        self, first: date | str, last: date | str, by: str, *, branch: str | None = None
    ) -> Report:
        """KPIs over business days ``first`` to ``last`` grouped by branch and ``by``; every
        branch the token may read unless ``branch`` names one."""
        path = self._report_path(first, last, by, branch, "json")
        return await self._get(path, Report)

    async def report_csv(
        self, first: date | str, last: date | str, by: str, *, branch: str | None = None
    ) -> bytes:
        """The same report as CSV, ready to save: UTF-8 with a byte order mark."""
        path = self._report_path(first, last, by, branch, "csv")
        response = await self._request("GET", path, retry=True)
        return response.content

    async def check_in(self, branch: str, code: str, *, idempotency_key: str) -> CheckedIn:
        """Check in the booking with ``code`` (kiosk): its ticket, a walk-in one when late
        (``late``). CheckInRefused when too early (``come_back_at``), cancelled or used;
        NotFound for an unknown code. Retried safely: the server dedupes on the key."""
        try:
            response = await self._request(
                "POST",
                f"{API_PREFIX}/branches/{branch}/check-in",
                json_body={"code": code},
                headers={"Idempotency-Key": idempotency_key},
                retry=True,
            )
        except Conflict as exc:
            raise CheckInRefused.of(exc) from None
        return CheckedIn.model_validate(response.json())

    async def appointments(self, branch: str, day: date | None = None) -> list[Appointment]:
        """The bookings of ``day`` (default: the office's today) by start, without their codes
        (supervisor or admin token)."""
        query = f"?date={day.isoformat()}" if day else ""
        path = f"{API_PREFIX}/branches/{branch}/appointments{query}"
        response = await self._request("GET", path, retry=True)
        return [Appointment.model_validate(item) for item in response.json()]


class CheckInRefused(Conflict):
    """409 on check-in: ``reason`` is ``early`` (then ``come_back_at``), ``cancelled``,
    ``checked_in`` or ``closed``."""

    reason: str = ""
    come_back_at: datetime | None = None

    @classmethod
    def of(cls, conflict: Conflict) -> CheckInRefused:
        """The refusal a check-in's 409 says."""
        refused = cls(conflict.status, conflict.title, conflict.detail)
        refused.problem = conflict.problem
        refused.reason = str(conflict.problem.get("reason", ""))
        when = conflict.problem.get("come_back_at")
        with contextlib.suppress(TypeError, ValueError):
            refused.come_back_at = datetime.fromisoformat(when) if when else None
        return refused


def _nobody(up: bool) -> None:
    """Nobody listens to the stream going up and down."""
