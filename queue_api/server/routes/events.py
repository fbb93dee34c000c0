"""The branch's Server-Sent Events stream: replay from Last-Event-ID, then live, with heartbeats."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from queue_api.office import Office
from queue_api.schema import EventType
from queue_api.server.auth import BranchReader
from queue_api.server.hub import CLOSED, EventHub
from queue_api.server.problems import responses
from queue_api.store import StoredEvent

router = APIRouter(tags=["events"])

HEARTBEAT_SECONDS = 15.0
REPLAY_PAGE = 500


def sse(event_id: int, type: str, data: dict) -> str:
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"id: {event_id}\nevent: {type}\ndata: {payload}\n\n"


@router.get(
    "/api/v1/branches/{b}/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The event stream"},
        **responses(400, 401, 403, 404),
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
    resume: int | None = None
    if last_event_id is not None and last_event_id.strip():
        if not last_event_id.strip().isdigit():
            raise HTTPException(400, "Last-Event-ID must be the id of an event (an integer)")
        resume = int(last_event_id)
    if hub.closing:
        raise HTTPException(503, "the server is shutting down: reconnect in a moment")
    queue = hub.subscribe(b)
    # Subscribed before reading the log, so nothing committed in between is missed.
    top = await run_in_threadpool(_last_event_id, office, b)

    async def stream() -> AsyncIterator[str]:
        last = top
        try:
            yield ": connected\n\n"
            if resume is not None:
                horizon = await run_in_threadpool(office.store.replay_horizon, b)
                if resume < horizon or resume > top:
                    at = datetime.now(UTC).isoformat()
                    yield sse(top, EventType.RESYNC.value, {"at": at, "last_event_id": top})
                else:
                    last = resume
                    while last < top:
                        page: list[StoredEvent] = await run_in_threadpool(
                            office.store.events_after, b, last, REPLAY_PAGE
                        )
                        if not page:
                            break
                        for event in page:
                            yield sse(event.id, event.type.value, event.data)
                        last = page[-1].id
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if event is CLOSED:
                    return
                if event.id > last:
                    yield sse(event.id, event.type.value, event.data)
                    last = event.id
        finally:
            hub.unsubscribe(b, queue)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _last_event_id(office: Office, branch: str) -> int:
    with office.store.read() as tx:
        return tx.last_event_id(branch)
