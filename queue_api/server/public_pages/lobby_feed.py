"""The public lobby stream: calls and waiting counts only, one hub subscription per branch.

Every lobby screen of a branch shares one subscription to the branch's events and one read of
the waiting counts per burst of events, so an open screen costs a queue and a connection, not a
process nor a database read per event.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi.concurrency import run_in_threadpool

from queue_api.office import Office
from queue_api.schema import Board, EventType
from queue_api.server.hub import CLOSED, KEEP_ALIVE, EventHub, Frame, StreamQueue

log = logging.getLogger(__name__)

SCREEN_BACKLOG = 200
"""Frames a slow screen may have pending; past that it is dropped and reconnects."""
WAITING_SETTLE = 0.3
"""Seconds a burst of events settles before the waiting counts are read once for all."""

CALLS = {EventType.TICKET_CALLED.value, EventType.TICKET_RECALLED.value}
WAITING = {
    EventType.TICKET_ISSUED.value,
    EventType.TICKET_CALLED.value,
    EventType.TICKET_TRANSFERRED.value,
    EventType.TICKET_CANCELLED.value,
    EventType.TICKET_RETURNED.value,
    EventType.APPOINTMENT_CHECKED_IN.value,
}
"""Events after which the number of people waiting may have changed."""


def lobby_frame(type: str, data: dict[str, Any]) -> bytes:
    """One event of the lobby stream (no ``id:``: a reconnecting screen gets a fresh board)."""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event: {type}\ndata: {payload}\n\n".encode()


def board_data(board: Board) -> dict[str, Any]:
    """What a lobby screen starts from: the last calls and the waiting counts, nothing else."""
    return {
        "calls": [
            {
                "id": call.event_id,
                "number": call.number,
                "service": call.service,
                "counter": call.counter_label,
                "recall": call.recall,
            }
            for call in board.calls
        ],
        "waiting": {entry.service: entry.waiting for entry in board.waiting},
        "as_of": board.last_event_id,
    }


def _parse(text: bytes) -> tuple[int, str, dict[str, Any]]:
    """The id, type and data of one frame the hub encoded (``hub.sse_frame``)."""
    event_id, type, data = 0, "", "{}"
    for line in text.decode().split("\n"):
        name, _, value = line.partition(": ")
        if name == "id":
            event_id = int(value)
        elif name == "event":
            type = value
        elif name == "data":
            data = value
    return event_id, type, json.loads(data)


class LobbyFeeds:
    """The open lobby screens per branch, fed from one hub subscription per branch."""

    def __init__(self, office: Office, hub: EventHub) -> None:
        self.office, self.hub = office, hub
        self._screens: dict[str, set[StreamQueue]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._waiting_reads: dict[str, asyncio.Task[None]] = {}
        self._read_again: set[str] = set()
        self._newest: dict[str, int] = {}

    def subscribe(self, branch: str) -> StreamQueue:
        """A new screen's queue of frames for ``branch``; starts the branch's feed if needed."""
        queue: StreamQueue = asyncio.Queue(SCREEN_BACKLOG)
        self._screens.setdefault(branch, set()).add(queue)
        if branch not in self._tasks:
            self._tasks[branch] = asyncio.create_task(self._follow(branch))
        return queue

    def unsubscribe(self, branch: str, queue: StreamQueue) -> None:
        """Forget a screen that left; the branch's feed stops with its last screen."""
        screens = self._screens.get(branch, set())
        screens.discard(queue)
        if not screens:
            self._screens.pop(branch, None)
            task = self._tasks.pop(branch, None)
            if task is not None:
                task.cancel()

    def screens(self, branch: str) -> int:
        """How many lobby screens follow ``branch`` now."""
        return len(self._screens.get(branch, ()))

    async def board(self, branch: str) -> bytes:
        """The ``board`` frame a screen starts from."""
        board = await run_in_threadpool(self.office.board, branch)
        return lobby_frame("board", board_data(board))

    def _send(self, branch: str, frame: Frame | None) -> None:
        for queue in list(self._screens.get(branch, ())):
            if frame is KEEP_ALIVE and not queue.empty():
                continue
            try:
                queue.put_nowait(frame)
            except asyncio.QueueFull:
                # A screen that cannot keep up starts again from a fresh board.
                self._screens[branch].discard(queue)
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(CLOSED)

    async def _follow(self, branch: str) -> None:
        source = self.hub.subscribe(branch)
        try:
            while True:
                frame = await source.get()
                if frame is CLOSED:
                    if self.hub.closing:
                        self._send(branch, CLOSED)
                        return
                    # The hub dropped us for falling behind: everyone starts again.
                    source = self.hub.subscribe(branch)
                    self._send(branch, Frame(0, await self.board(branch)))
                elif frame is KEEP_ALIVE:
                    self._send(branch, KEEP_ALIVE)
                else:
                    self._on_event(branch, frame)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the lobby feed of %s failed; its screens reconnect", branch)
            self._send(branch, CLOSED)
        finally:
            self.hub.unsubscribe(branch, source)
            task = self._waiting_reads.pop(branch, None)
            if task is not None:
                task.cancel()

    def _on_event(self, branch: str, frame: Frame) -> None:
        event_id, type, data = _parse(frame.text)
        ticket = data.get("ticket") or {}
        if type in CALLS and ticket.get("number") and ticket.get("counter"):
            counter = data.get("counter") or {}
            call = {
                "id": event_id,
                "number": ticket["number"],
                "service": ticket.get("service", ""),
                "counter": counter.get("label") or self._label(branch, ticket["counter"]),
                "recall": type == EventType.TICKET_RECALLED.value,
            }
            self._send(branch, Frame(event_id, lobby_frame("call", call)))
        elif type == EventType.TICKET_TRANSFERRED.value and ticket.get("number"):
            # Nobody should walk to the desk that sent this ticket back to waiting.
            moved = {"id": event_id, "number": ticket["number"]}
            self._send(branch, Frame(event_id, lobby_frame("transfer", moved)))
        if type in WAITING:
            self._newest[branch] = max(self._newest.get(branch, 0), event_id)
            self._waiting_changed(branch)

    def _label(self, branch: str, counter: str) -> str:
        config = self.office.config.branch(branch)
        found = config.counter(counter) if config else None
        return found.label if found else counter

    def _waiting_changed(self, branch: str) -> None:
        running = self._waiting_reads.get(branch)
        if running is not None and not running.done():
            self._read_again.add(branch)
            return
        self._waiting_reads[branch] = asyncio.create_task(self._read_waiting(branch))

    async def _read_waiting(self, branch: str) -> None:
        """Read the waiting counts once per burst and send them to every screen, with
        ``as_of``: the newest event they are known to include (read after it committed)."""
        while True:
            self._read_again.discard(branch)
            await asyncio.sleep(WAITING_SETTLE)
            as_of = self._newest.get(branch, 0)
            try:
                queue = await run_in_threadpool(self.office.queue, branch)
            except Exception:
                # The database is out of reach: the screens keep their last counts, and the
                # next event asks again.
                log.warning("could not read the waiting counts of %s", branch, exc_info=True)
                return
            counts = {entry.service: entry.waiting for entry in queue.services}
            frame = lobby_frame("waiting", {"waiting": counts, "as_of": as_of})
            self._send(branch, Frame(as_of, frame))
            if branch not in self._read_again:
                return
