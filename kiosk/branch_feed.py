"""The branch as the kiosk knows it: read on demand and whenever its events say it changed.

Results reach the screen as messages (:class:`QueueRead`, :class:`ServerLost`), from workers
the screen owns, so they stop with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from textual.widget import Widget

from device.once_more import OnceMore
from kiosk.messages import QueueRead, ServerLost
from queue_api.client import ApiError, QueueClient, Unreachable
from queue_api.schema import EventType

log = logging.getLogger(__name__)

#: Events after which the waiting counts on the home screen are stale.
_QUEUE_EVENTS = {
    EventType.TICKET_ISSUED,
    EventType.TICKET_CALLED,
    EventType.TICKET_COMPLETED,
    EventType.TICKET_NO_SHOW,
    EventType.TICKET_TRANSFERRED,
    EventType.TICKET_CANCELLED,
}
#: Events after which the branch itself (services open, counters) must be read again.
_BRANCH_EVENTS = {EventType.COUNTER_UPDATED, EventType.RESYNC}


class BranchFeed:
    """Reads ``branch`` and its queue for ``screen``; never two reads at once."""

    def __init__(
        self, screen: Widget, client: QueueClient, branch: str, *, max_backoff: float
    ) -> None:
        self.screen = screen
        self.client = client
        self.branch = branch
        self.max_backoff = max_backoff
        self._reads = OnceMore()

    def read(self) -> None:
        """Read the branch and its queue again, soon (once more, if a read is in flight)."""
        if self._reads.ask():
            self.screen.run_worker(self._read(), group="refresh", exit_on_error=False)

    async def _read(self) -> None:
        try:
            while self._reads.more():
                await self._read_once()
        finally:
            self._reads.done()

    async def _read_once(self) -> None:
        try:
            branch = await self.client.branch(self.branch)
            queue = await self.client.queue(self.branch)
        except Unreachable as exc:
            self.screen.post_message(ServerLost(str(exc)))
        except ApiError as exc:
            # A wrong token or branch in the device file: retrying will not fix it.
            log.error("the server refused the kiosk: %s %s", exc.status, exc.detail)
            self.screen.post_message(ServerLost(exc.detail))
        else:
            self.screen.post_message(QueueRead(branch, queue))

    def follow(self, stale: Callable[[], None]) -> None:
        """Call ``stale`` whenever an event (or a reconnection) makes what was read stale."""
        self.screen.run_worker(self._follow(stale), group="events", exit_on_error=False)

    async def _follow(self, stale: Callable[[], None]) -> None:
        def connection(up: bool) -> None:
            if up:
                stale()

        try:
            async for event in self.client.events(
                self.branch, max_backoff=self.max_backoff, on_connection=connection
            ):
                if event.type in _QUEUE_EVENTS or event.type in _BRANCH_EVENTS:
                    stale()
        except ApiError as exc:
            # Not allowed to follow events: the refresh timer keeps the counts fresh anyway.
            log.warning("no event stream for the kiosk: %s", exc.detail)
