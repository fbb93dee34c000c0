"""The branch's Server-Sent Events stream: replay from Last-Event-ID, then live, with heartbeats."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from queue_api.office import Office
from queue_api.schema import EventData, EventType
from queue_api.server.auth import BranchReader
from queue_api.server.hub import EventHub, StreamQueue, drain, sse_frame
from queue_api.server.limits import RETRY_AFTER_SECONDS, StreamQuota
from queue_api.server.problems import responses

router = APIRouter(tags=["events"])

HEARTBEAT_SECONDS = 15.0
"""Default gap between keep-alive comments; ``TURNERO_HEARTBEAT_SECONDS`` overrides it."""
REPLAY_PAGE = 500


def take_stream(request: Request, where: str | None = None) -> str:
    """Count one more event stream from the caller's address, and return the address (give
    it back with ``StreamQuota.give_back`` when the stream ends); 429 with ``Retry-After``
    past ``streams_per_address``. ``where`` names the address in the refusal (default: the
    address itself; public streams do not echo it)."""
    quota: StreamQuota = request.app.state.stream_quota
    address = request.client.host if request.client else ""
    if not quota.take(address):
        raise HTTPException(
            429,
            f"{quota.per_address} event streams are open from {where or address}: "
            "close the ones not in use, then retry",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return address


@router.get(
    "/api/v1/branches/{b}/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The event stream"},
        **responses(400, 401, 403, 404, 429, 503),
    },
)
async def events(
    b: str,
    request: Request,
    who: BranchReader,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Replay every event after ``Last-Event-ID`` (or ``resync``), then follow live ones."""
    office: Office = request.app.state.office
    hub: EventHub = request.app.state.hub
    office.branch_config(b)
    resume = _resume_from(last_event_id)
    if hub.closing:
        raise HTTPException(503, "the server is shutting down: reconnect in a moment")

    quota: StreamQuota = request.app.state.stream_quota
    address = take_stream(request)

    presence = request.app.state.presence
    presence.stream_opened(who)

    def ended() -> None:
        hub.unsubscribe(b, queue)
        quota.give_back(address)
        presence.stream_closed(who)

    # Subscribed before the answer's headers go out: a client counts itself connected when
    # they arrive, and must get every event committed from then on.
    queue = hub.subscribe(b)
    try:
        top = await run_in_threadpool(_last_event_id, office, b)
    except BaseException:
        ended()
        raise

    feed = _Feed(office, b, queue, top)
    return EventStream(feed.frames(resume), on_close=ended)


class _Feed:
    """One client's stream of a branch: catch up from ``Last-Event-ID``, then follow the
    hub's frames, each event once and in order."""

    def __init__(self, office: Office, branch: str, queue: StreamQueue, top: int) -> None:
        self.office, self.branch, self.queue = office, branch, queue
        self.top = top
        # The newest event this client has (sent, or before its Last-Event-ID, or covered by
        # a resync): live frames up to it are not sent again.
        self.last = top

    async def frames(self, resume: int | None) -> AsyncIterator[bytes]:
        """The bytes of the answer: a greeting, the catch-up, then live events for ever."""
        yield b": connected\n\n"
        if resume is not None:
            async for frame in self._catch_up(resume):
                yield frame
        async for frame in self._live():
            yield frame

    async def _catch_up(self, resume: int) -> AsyncIterator[bytes]:
        """Every event after ``resume`` up to the top, or ``resync`` when they are not kept."""
        horizon = await run_in_threadpool(self.office.store.replay_horizon, self.branch)
        if resume < horizon or resume > self.top:
            data = EventData(at=datetime.now(UTC), last_event_id=self.top)
            yield sse_frame(self.top, EventType.RESYNC.value, data.wire())
            return
        self.last = resume
        while self.last < self.top:
            page = await run_in_threadpool(
                self.office.store.events_after, self.branch, self.last, REPLAY_PAGE
            )
            if not page:
                break
            for event in page:
                yield sse_frame(event.id, event.type.value, event.data)
            self.last = page[-1].id

    async def _live(self) -> AsyncIterator[bytes]:
        """Frames the hub hands over as they commit, and its keep-alive comments."""
        while True:
            # What queued up meanwhile goes in the same write: one send per wake-up. The hub
            # puts the keep-alives on the queue, so an idle link is still noticed.
            text, self.last, closed = drain(self.queue, await self.queue.get(), self.last)
            if text:
                yield text
            if closed:
                return


class EventStream(StreamingResponse):
    """A ``text/event-stream`` answer that runs ``on_close`` when it ends, however it ends:
    even when the client is gone before the first byte and the body never starts."""

    def __init__(self, content: AsyncIterator[bytes], on_close: Callable[[], None]) -> None:
        super().__init__(
            content,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._on_close()


def heartbeat_seconds() -> float:
    """The keep-alive gap: ``TURNERO_HEARTBEAT_SECONDS`` if set (tests shorten it), else 15 s."""
    raw = os.environ.get("TURNERO_HEARTBEAT_SECONDS", "").strip()
    try:
        value = float(raw) if raw else HEARTBEAT_SECONDS
    except ValueError:
        return HEARTBEAT_SECONDS
    return value if 0 < value <= HEARTBEAT_SECONDS else HEARTBEAT_SECONDS


def _resume_from(header: str | None) -> int | None:
    """The id in ``Last-Event-ID``, None when absent; 400 when it is not an event id."""
    raw = (header or "").strip()
    if not raw:
        return None
    # isdigit() alone lets "²" and 5000-digit strings through to int(), which then raises.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 20):
        raise HTTPException(400, "Last-Event-ID must be the id of an event (an integer)")
    return int(raw)


def _last_event_id(office: Office, branch: str) -> int:
    with office.store.read() as tx:
        return tx.last_event_id(branch)
