"""Live data for the supervisor's screens: the branch's event stream, and reads it triggers.

A screen follows the streams of the branches it shows; each event marks its branch stale, and a
short moment later (a burst of events is one action) the screen reads it again. Time-based
figures (waits grow with no event) come from a slow periodic read besides.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker

from queue_api.client import ApiError, QueueClient, Unreachable
from queue_api.i18n import Words
from queue_api.schema import Event

log = logging.getLogger(__name__)

T = TypeVar("T")

SETTLE_SECONDS = 0.3
"""A burst of events (a Next: completed, then called) is read once, after it settles."""


class BranchEvent(Message):
    """An event of ``branch`` arrived (None: the stream came up or dropped)."""

    def __init__(self, branch: str, event: Event | None) -> None:
        super().__init__()
        self.branch = branch
        self.event = event


class StreamState(Message):
    def __init__(self, branch: str, up: bool) -> None:
        super().__init__()
        self.branch = branch
        self.up = up


def follow(
    screen: Screen[Any], client: QueueClient, branch: str, reconnect_max: float = 10.0
) -> None:
    """Have ``screen`` receive ``BranchEvent`` messages of ``branch`` while it is mounted."""

    async def run() -> None:
        up: Callable[[bool], object] = lambda state: screen.post_message(  # noqa: E731
            StreamState(branch, state)
        )
        try:
            async for event in client.events(branch, on_connection=up, max_backoff=reconnect_max):
                screen.post_message(BranchEvent(branch, event))
        except ApiError as exc:
            log.warning("events of %s refused: %s", branch, exc.detail)

    _: Worker[None] = screen.run_worker(run, group=f"events-{branch}", exit_on_error=False)


class Stale:
    """Which branches events made stale; read once each, after ``SETTLE_SECONDS``."""

    def __init__(self, screen: Screen[Any], read: Callable[[str], object]) -> None:
        self.screen = screen
        self.read = read
        self.branches: set[str] = set()

    def mark(self, branch: str) -> None:
        if not self.branches:
            self.screen.set_timer(SETTLE_SECONDS, self._flush)
        self.branches.add(branch)

    def _flush(self) -> None:
        branches, self.branches = self.branches, set()
        for branch in sorted(branches):
            self.read(branch)


def read_into(
    screen: Screen[Any],
    group: str,
    fetch: Callable[[], Awaitable[T]],
    shown: Callable[[T], None],
    say: tuple[Words, Callable[[str], None]] | None = None,
) -> None:
    """Read with ``fetch`` in a worker of ``group`` (a newer read replaces one running) and
    hand the answer to ``shown``. Why a read failed goes to ``say``'s status line in its words
    (and an answer clears it); without ``say`` (a read that only adds to a screen), to the log."""

    def failed(exc: Exception, key: str, **values: object) -> None:
        if say is None:
            log.info("%s not read: %s", group, exc)
        else:
            say[1](say[0](key, **values))

    async def run() -> None:
        try:
            found = await fetch()
        except Unreachable as exc:
            failed(exc, "offline")
            return
        except ApiError as exc:
            failed(exc, "refused", detail=exc.detail)
            return
        if say is not None:
            say[1]("")
        shown(found)

    _: Worker[None] = screen.run_worker(run, group=group, exclusive=True, exit_on_error=False)
