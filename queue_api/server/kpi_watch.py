"""KPI alerts checked on every change and every minute; presence written every few seconds.

``KpiWatch`` stands between the office and its event sink: each committed ticket or counter
event marks its branch for a check, done by a background task (never on the request path), and
each committed ``kpi.*`` event goes to the alert webhook. A check with no crossing only reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Sequence

from queue_api.office import EventSink
from queue_api.operations import Operations
from queue_api.schema import EventType
from queue_api.server.presence import FLUSH_EVERY_SECONDS, PresenceBook
from queue_api.server.webhook import Webhook
from queue_api.store import StoredEvent

log = logging.getLogger("turnero.kpi")

CHECK_EVERY_SECONDS = 60.0
"""Waits grow with no event at all: every branch is checked at least this often."""
KPI_EVENTS = (EventType.KPI_ALERT, EventType.KPI_CLEARED)


def check_every_seconds() -> float:
    """``TURNERO_KPI_CHECK_SECONDS`` if set (tests shorten it), else a minute."""
    raw = os.environ.get("TURNERO_KPI_CHECK_SECONDS", "").strip()
    try:
        value = float(raw) if raw else CHECK_EVERY_SECONDS
    except ValueError:
        return CHECK_EVERY_SECONDS
    return value if 0 < value <= CHECK_EVERY_SECONDS else CHECK_EVERY_SECONDS


class KpiWatch:
    """The office's event sink around the real one (the hub, or the log follower)."""

    def __init__(
        self,
        operations: Operations,
        inner: EventSink | None,
        webhook: Webhook | None = None,
    ) -> None:
        self.operations = operations
        self.inner = inner
        self.webhook = webhook
        self.branches = [b.id for b in operations.office.config.branches]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()

    def publish(self, events: Sequence[StoredEvent]) -> None:
        """Thread-safe: pass ``events`` on, then mark their branches for a check."""
        if self.inner is not None:
            self.inner.publish(events)
        kpi = [e for e in events if e.type in KPI_EVENTS]
        if kpi and self.webhook is not None:
            self.webhook.send(kpi)
        changed = {e.branch for e in events if e.type not in KPI_EVENTS}
        if changed and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._mark, changed)

    def _mark(self, branches: set[str]) -> None:
        self._dirty |= branches
        self._wake.set()

    async def run(self, every: float | None = None) -> None:
        """Check marked branches as they come, and every branch each ``every`` seconds."""
        self._loop = asyncio.get_running_loop()
        period = every or check_every_seconds()
        loop = self._loop
        due = loop.time() + period
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(due - loop.time(), 0))
            self._wake.clear()
            if loop.time() >= due:
                branches, due = list(self.branches), loop.time() + period
            else:
                branches = sorted(self._dirty)
            self._dirty.clear()
            for branch in branches:
                try:
                    await asyncio.to_thread(self.operations.check_kpis, branch)
                except Exception:
                    log.exception("KPI check of branch %s failed; will try again", branch)


async def flush_presence(book: PresenceBook, operations: Operations) -> None:
    """Write devices' last calls to the store every few seconds, for ever."""
    store = operations.office.store
    while True:
        await asyncio.sleep(FLUSH_EVERY_SECONDS)
        try:
            await asyncio.to_thread(book.flush, store)
        except Exception:
            log.exception("writing devices' last calls failed; will try again")
