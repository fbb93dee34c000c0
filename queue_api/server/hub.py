"""In-process fan-out of committed events to the open event streams of a branch.

Writers commit in worker threads and call ``publish``; streams live on the event loop. The log
in the store stays the source of truth: a stream that falls behind is dropped and its client
replays from ``Last-Event-ID`` when it reconnects.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

from queue_api.store import StoredEvent

STREAM_BACKLOG = 1000


def sse_frame(event_id: int, type: str, data: dict[str, Any]) -> bytes:
    """One Server-Sent Event as it goes on the wire."""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"id: {event_id}\nevent: {type}\ndata: {payload}\n\n".encode()


class Frame(NamedTuple):
    """A committed event, encoded once for every stream that sends it."""

    id: int
    text: bytes


CLOSED = None
"""Put on a stream's queue to end it (server shutting down, or the stream fell behind)."""

KEEP_ALIVE = Frame(0, b": keep-alive\n\n")
"""Put on idle streams' queues by the hub's one heartbeat timer: a timeout around every
stream's wait cost more than the rest of sending an event (a timer rescheduled per frame)."""

StreamQueue = asyncio.Queue[Frame | None]


def drain(queue: StreamQueue, first: Frame | None, last: int) -> tuple[bytes, int, bool]:
    """``first`` and every frame queued behind it, as one write: the bytes to send (events up to
    id ``last`` left out), the last id sent, and whether the stream ends there."""
    frames = [first]
    while not queue.empty():
        frames.append(queue.get_nowait())
    out: list[bytes] = []
    for frame in frames:
        if frame is CLOSED:
            return b"".join(out), last, True
        if frame is KEEP_ALIVE or frame.id > last:
            out.append(frame.text)
            last = max(last, frame.id)
    return b"".join(out), last, False


class EventHub:
    """The open event streams per branch, fed with each write's events once committed."""

    def __init__(self) -> None:
        self._streams: dict[str, set[StreamQueue]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._heartbeat: asyncio.TimerHandle | None = None
        self.closing = False

    def bind(self, loop: asyncio.AbstractEventLoop, heartbeat_seconds: float | None = None) -> None:
        """Deliver on ``loop``: the one the streams run on; with ``heartbeat_seconds``, give
        every idle stream a ``KEEP_ALIVE`` that often."""
        self._loop = loop
        if heartbeat_seconds:
            self._heartbeat = loop.call_later(heartbeat_seconds, self._beat, heartbeat_seconds)

    def _beat(self, seconds: float) -> None:
        for streams in self._streams.values():
            for queue in streams:
                if queue.empty():
                    queue.put_nowait(KEEP_ALIVE)
        if self._loop is not None and not self.closing:
            self._heartbeat = self._loop.call_later(seconds, self._beat, seconds)

    def subscribe(self, branch: str) -> StreamQueue:
        """A new stream's queue of frames for ``branch``."""
        queue: StreamQueue = asyncio.Queue(STREAM_BACKLOG)
        self._streams[branch].add(queue)
        return queue

    def unsubscribe(self, branch: str, queue: StreamQueue) -> None:
        """Forget a stream that ended."""
        self._streams[branch].discard(queue)

    def publish(self, events: Sequence[StoredEvent]) -> None:
        """Thread-safe: hand committed events to the loop for delivery."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._deliver, list(events))

    def _deliver(self, events: list[StoredEvent]) -> None:
        for event in events:
            streams = self._streams[event.branch]
            if not streams:
                continue
            frame = Frame(event.id, sse_frame(event.id, event.type.value, event.data))
            for queue in list(streams):
                try:
                    queue.put_nowait(frame)
                except asyncio.QueueFull:
                    # The stream fell behind. Its client resumes after the last frame it got,
                    # so it must get no frame after a gap: drop them all, not the oldest.
                    self._streams[event.branch].discard(queue)
                    while not queue.empty():
                        queue.get_nowait()
                    queue.put_nowait(CLOSED)

    def close(self) -> None:
        """End every open stream so that the server can stop without waiting for clients."""
        self.closing = True
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._close_all)

    def _close_all(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        for streams in self._streams.values():
            for queue in streams:
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(CLOSED)
            streams.clear()
