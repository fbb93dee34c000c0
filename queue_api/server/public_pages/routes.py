"""The office's public pages: ``/b/{b}`` (the branch today), ``/b/{b}/lobby`` (the lobby board
for a TV's browser) and its stream ``/b/{b}/lobby/events`` (calls and waiting counts only).

No token: anyone may open them (branch ids are printed on the entrance's poster), so they show
nothing personal, are limited per client address, and the stream counts in the address's
``streams_per_address`` like every other stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from queue_api.office import Office
from queue_api.server.citizen_limits import refuse_over
from queue_api.server.hub import CLOSED, StreamQueue
from queue_api.server.limits import StreamQuota
from queue_api.server.problems import MEDIA_TYPE, PROBLEM_REF, TITLES, responses
from queue_api.server.public_pages.lobby_feed import LobbyFeeds
from queue_api.server.public_pages.render import (
    choose_language,
    render_branch,
    render_lobby,
    render_unknown_branch,
)
from queue_api.server.routes.events import EventStream, take_stream

router = APIRouter(tags=["public pages"])

PAGES_PER_MINUTE = 60
"""Page loads and stream connections per client address a minute, in bursts of as many: a
phone or TV needs a few; many phones behind one carrier address still fit."""

HTML_ANSWERS: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/html": {}}, "description": "The page"},
    404: {"content": {"text/html": {}}, "description": "No such branch (an HTML page)"},
    # Spelled out: with a model, FastAPI would document them as text/html like the page.
    **{
        code: {"description": TITLES[code], "content": {MEDIA_TYPE: {"schema": PROBLEM_REF}}}
        for code in (429, 503)
    },
}


def _office(request: Request) -> Office:
    return request.app.state.office


def _within_allowance(request: Request) -> None:
    """429 with Retry-After past ``PAGES_PER_MINUTE`` from this address."""
    refuse_over(request, "public_pages", PAGES_PER_MINUTE, 60.0, "pages")


def _language(request: Request) -> str:
    return choose_language(request.query_params.get("lang"), request.headers.get("accept-language"))


def _headers() -> dict[str, str]:
    # The same address answers in the browser's language, and the counts change by the minute.
    return {"Vary": "Accept-Language", "Cache-Control": "no-cache"}


def _known(request: Request, b: str) -> bool:
    return _office(request).config.branch(b) is not None


@router.get("/b/{b}", response_class=HTMLResponse, responses=HTML_ANSWERS)
def branch_page(b: str, request: Request) -> HTMLResponse:
    """The branch today: services, people waiting, estimates; join the queue; book."""
    _within_allowance(request)
    lang = _language(request)
    if not _known(request, b):
        return HTMLResponse(render_unknown_branch(lang), status_code=404, headers=_headers())
    office = _office(request)
    branch, queue = office.branch(b), office.queue(b)
    now = datetime.now(office.config.zone)
    return HTMLResponse(render_branch(branch, queue, lang, now), headers=_headers())


@router.get("/b/{b}/lobby", response_class=HTMLResponse, responses=HTML_ANSWERS)
def lobby_page(b: str, request: Request) -> HTMLResponse:
    """The lobby board for a TV's browser: now serving, the last calls, waiting counts."""
    _within_allowance(request)
    lang = _language(request)
    if not _known(request, b):
        return HTMLResponse(render_unknown_branch(lang), status_code=404, headers=_headers())
    office = _office(request)
    page = render_lobby(office.branch(b), office.board(b), lang)
    return HTMLResponse(page, headers=_headers())


@router.get(
    "/b/{b}/lobby/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The lobby's stream"},
        **responses(404, 429, 503),
    },
)
async def lobby_events(b: str, request: Request) -> StreamingResponse:
    """Server-Sent Events for a lobby screen: ``board`` first (the last calls and waiting
    counts), then ``call``, ``transfer`` and ``waiting`` as they happen. Nothing else."""
    if not _known(request, b):
        raise HTTPException(404, "there is no branch with this id: check the address")
    _within_allowance(request)
    if request.app.state.hub.closing:
        raise HTTPException(503, "the server is shutting down: reconnect in a moment")
    quota: StreamQuota = request.app.state.stream_quota
    address = take_stream(request, "this address")
    feeds: LobbyFeeds = request.app.state.lobby_feeds
    # Subscribed before the board is read: no call between the two is missed (the page
    # drops calls it already has by their event id).
    queue = feeds.subscribe(b)

    def ended() -> None:
        feeds.unsubscribe(b, queue)
        quota.give_back(address)

    try:
        first = await feeds.board(b)
    except BaseException:
        ended()
        raise
    return EventStream(_frames(first, queue), on_close=ended)


async def _frames(first: bytes, queue: StreamQueue) -> AsyncIterator[bytes]:
    yield b"retry: 5000\n\n" + first
    while True:
        frames = [await queue.get()]
        while not queue.empty():
            frames.append(queue.get_nowait())
        out: list[bytes] = []
        for frame in frames:
            if frame is CLOSED:
                if out:
                    yield b"".join(out)
                return
            out.append(frame.text)
        yield b"".join(out)
