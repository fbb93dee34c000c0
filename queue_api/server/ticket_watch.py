"""Ticket streams (``GET /api/v1/tickets/{id}/events``): each phone gets its own ticket's
public view whenever that view changes, and nothing else.

Cheap by construction, since one call moves everybody behind it: per branch with followed
tickets there is ONE subscription to the hub and ONE task. Each batch of the branch's events
becomes one read of the branch (``Phone.views``: today's open tickets once, people ahead from
one sort), shared by every ticket stream of the branch; a view is encoded once per ticket and
sent only to the streams of tickets whose view changed. A stream holds at most one frame: on a
snapshot stream an older view is worth nothing once a newer one waits.

No replay: the first message of every stream is the ticket's current view, so a client that
reconnects is up to date without ``Last-Event-ID`` (frames carry no ``id:``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from queue_api.phone import SETTLED, Known, Phone
from queue_api.schema import EventType, PublicTicket, TicketUpdate
from queue_api.server.hub import CLOSED, KEEP_ALIVE, EventHub, Frame, StreamQueue
from queue_api.server.status_page import wait_texts

log = logging.getLogger("turnero.server")

POKE = Frame(-1, b"")
"""Put on a branch's queue to make its task look at newly opened streams."""
RETRY_SECONDS = 1.0
HANDOVER_BATCH = 100
"""Views handed from the reading thread to the loop at a time: one wake-up per view cost more
than sending it."""
_UPDATED = f"event: {EventType.TICKET_UPDATED.value}\ndata: ".encode()
"""After a failed read (database unavailable), when to read again."""


def update_frame(view: PublicTicket) -> bytes:
    """A ``ticket.updated`` event carrying ``view``, as it goes on the wire."""
    data = TicketUpdate(ticket=view, wait_text=wait_texts(view), at=datetime.now(UTC))
    return _UPDATED + data.model_dump_json().encode() + b"\n\n"


class TicketStream:
    """One phone's stream: the newest frame waiting to go out, if any."""

    __slots__ = ("closed", "pending", "wake")

    def __init__(self) -> None:
        self.pending: bytes | None = None
        self.wake = asyncio.Event()
        self.closed = False

    def put(self, text: bytes) -> None:
        """Send ``text`` next, instead of whatever still waited to go."""
        self.pending = text
        self.wake.set()

    def keep_alive(self) -> None:
        if self.pending is None:
            self.put(KEEP_ALIVE.text)

    def close(self) -> None:
        self.closed = True
        self.wake.set()

    async def frames(self) -> AsyncIterator[bytes]:
        """The bytes of the answer: a greeting, then each frame as it comes, until closed."""
        yield b": connected\n\n"
        while True:
            await self.wake.wait()
            self.wake.clear()
            if self.pending is not None:
                text, self.pending = self.pending, None
                yield text
            if self.closed:
                return


@dataclass
class _Followed:
    """A ticket some streams follow: its streams, those still owed a first view, and the last
    view sent (its JSON, to tell a change, and its frame, for streams that open later)."""

    streams: set[TicketStream] = field(default_factory=set)
    fresh: set[TicketStream] = field(default_factory=set)
    view: str | None = None
    frame: bytes | None = None
    settled: bool = False
    made: PublicTicket | None = None


@dataclass
class _Branch:
    queue: StreamQueue
    tickets: dict[str, _Followed] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None
    stale: bool = False  # an event came that the views may not show yet
    known: Known = field(default_factory=dict)  # what each view was made from (Phone.views)


class _Handover:
    """Views made in the reading thread, handed to the event loop as they come: the first at
    once (tickets that moved come first: the one called, say), then in batches, each of which
    wakes the loop once."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        deliver: Callable[[list[tuple[str, PublicTicket]]], None],
    ) -> None:
        self.loop, self.deliver = loop, deliver
        self.batch: list[tuple[str, PublicTicket]] = []
        self.handed = 0

    def __call__(self, ticket_id: str, view: PublicTicket) -> None:
        self.batch.append((ticket_id, view))
        if not self.handed or len(self.batch) >= HANDOVER_BATCH:
            batch, self.batch = self.batch, []
            self.handed += 1
            self.loop.call_soon_threadsafe(self.deliver, batch)

    def rest(self) -> list[tuple[str, PublicTicket]]:
        """What is left once the thread is done (call it on the loop)."""
        batch, self.batch = self.batch, []
        return batch


class TicketWatch:
    """Every open ticket stream of this server, by branch; used on the event loop only."""

    def __init__(self, hub: EventHub, phone: Phone) -> None:
        self.hub = hub
        self.phone = phone
        self._branches: dict[str, _Branch] = {}

    def follow(self, branch: str, ticket_id: str) -> TicketStream:
        """A new stream of ``ticket_id`` (of ``branch``); its first frame is the current view."""
        watched = self._branches.get(branch)
        if watched is None:
            watched = self._branches[branch] = _Branch(self.hub.subscribe(branch))
            watched.task = asyncio.create_task(self._run(branch, watched))
        followed = watched.tickets.setdefault(ticket_id, _Followed())
        stream = TicketStream()
        followed.streams.add(stream)
        followed.fresh.add(stream)
        with contextlib.suppress(asyncio.QueueFull):  # full: a read is due anyway
            watched.queue.put_nowait(POKE)
        return stream

    def unfollow(self, branch: str, ticket_id: str, stream: TicketStream) -> None:
        """Forget a stream that ended; a branch nobody follows any more is let go."""
        watched = self._branches.get(branch)
        if watched is None:
            return
        followed = watched.tickets.get(ticket_id)
        if followed is not None:
            followed.streams.discard(stream)
            followed.fresh.discard(stream)
            if not followed.streams:
                del watched.tickets[ticket_id]
        if not watched.tickets:
            del self._branches[branch]
            self.hub.unsubscribe(branch, watched.queue)
            if watched.task is not None:
                watched.task.cancel()

    async def _run(self, branch: str, watched: _Branch) -> None:
        while True:
            items = [await watched.queue.get()]
            while not watched.queue.empty():
                items.append(watched.queue.get_nowait())
            if CLOSED in items:
                if self.hub.closing:
                    self._close(watched)
                    return
                # It fell behind and the hub dropped it: follow again, and read everything.
                watched.queue = self.hub.subscribe(branch)
                watched.stale = True
            watched.stale |= any(item is not None and item.id > 0 for item in items)
            if watched.stale or any(f.fresh for f in watched.tickets.values()):
                await self._refresh(branch, watched)
            elif KEEP_ALIVE in items:
                for followed in watched.tickets.values():
                    for stream in followed.streams:
                        stream.keep_alive()

    async def _refresh(self, branch: str, watched: _Branch) -> None:
        """Read the views due and send each changed one (and every owed first view)."""
        while True:
            everything, watched.stale = watched.stale, False
            owed = {tid: set(f.fresh) for tid, f in watched.tickets.items() if f.fresh}
            for followed in watched.tickets.values():
                followed.fresh.clear()
            due = list(watched.tickets) if everything else list(owed)
            settled = [tid for tid in due if watched.tickets[tid].settled]
            # From the reading thread, each view goes out as soon as it is made.
            deliver = partial(self._made, watched, owed)
            handover = _Handover(asyncio.get_running_loop(), deliver)
            try:
                views = await asyncio.to_thread(
                    self.phone.views, branch, due, settled, watched.known, handover
                )
            except Exception:
                log.exception("could not read the followed tickets of %s; trying again", branch)
                watched.stale |= everything
                for tid, streams in owed.items():
                    if tid in watched.tickets:
                        watched.tickets[tid].fresh |= streams & watched.tickets[tid].streams
                await asyncio.sleep(RETRY_SECONDS)
                continue
            # The views handed over were sent as they came (their callbacks ran before this);
            # then the last batch; the tickets left out (settled) still owe new streams their
            # last view.
            deliver(handover.rest())
            for tid in due:
                if tid not in views and (current := watched.tickets.get(tid)) is not None:
                    self._send(current, None, owed.get(tid, set()))
            for tid in [tid for tid in watched.known if tid not in watched.tickets]:
                del watched.known[tid]  # nobody follows it any more
            return

    def _made(
        self,
        watched: _Branch,
        owed: dict[str, set[TicketStream]],
        batch: list[tuple[str, PublicTicket]],
    ) -> None:
        for tid, view in batch:
            if (current := watched.tickets.get(tid)) is not None:
                self._send(current, view, owed.get(tid, set()))

    @staticmethod
    def _send(followed: _Followed, view: PublicTicket | None, owed: set[TicketStream]) -> None:
        if view is not None and view is not followed.made:  # Phone.views kept it: unchanged
            followed.made = view
            text = view.model_dump_json()
            if text != followed.view:
                followed.view, followed.frame = text, update_frame(view)
                followed.settled = view.status in SETTLED
                owed = followed.streams
                # Streams opened during the read get this view now: they are owed nothing more,
                # since any later change comes as an event, and so as another read.
                followed.fresh.clear()
        if followed.frame is not None:
            for stream in owed & followed.streams:
                stream.put(followed.frame)

    def _close(self, watched: _Branch) -> None:
        for followed in watched.tickets.values():
            for stream in followed.streams:
                stream.close()
