"""Feeds the event hub from a shared store's log, for servers that share one database.

Every server's writes land in the one ``events`` table; ``NOTIFY`` only says "branch X has new
events". The follower reads each woken branch's log from the last id it delivered, so events
reach the hub in id order whichever server wrote them, and a lost notification costs at most
one ``CATCH_UP_SECONDS`` of delay: the follower reads every branch that often anyway.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Protocol

from queue_api.store import SharedStore, StoredEvent, StoreUnavailable

log = logging.getLogger("turnero.server")

CATCH_UP_SECONDS = 1.0
WAKE_SECONDS = 0.25
"""How long stopping may wait for the follower."""
PAGE = 1000


class Publisher(Protocol):
    """What the follower feeds: ``EventHub.publish``."""

    def publish(self, events: Sequence[StoredEvent]) -> None: ...


class LogFollower:
    """One thread per server: waits for notifications, reads the log, publishes in order.

    It also stands in for the hub as the office's publisher: a local commit's events are read
    back from the log like anyone else's, so they can never overtake an earlier event of
    another server that this one has not delivered yet.
    """

    def __init__(self, store: SharedStore, hub: Publisher, branches: Iterable[str]) -> None:
        self.store = store
        self.hub = hub
        self.delivered: dict[str, int] = {}
        self._branches = list(branches)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def publish(self, events: Sequence[StoredEvent]) -> None:
        """A local commit: its NOTIFY wakes this follower too, so nothing to do here."""

    def start(self) -> None:
        """Deliver from the log's current top on: older events are the streams' replay."""
        for branch in self._branches:
            with self.store.read() as tx:
                self.delivered[branch] = tx.last_event_id(branch)
        self._thread = threading.Thread(target=self._run, name="log-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        last_full = time.monotonic()
        failing = False
        while not self._stop.is_set():
            try:
                woken = self.store.wait_for_events(WAKE_SECONDS)
                if time.monotonic() - last_full >= CATCH_UP_SECONDS or failing:
                    woken = set(self._branches)
                    last_full = time.monotonic()
                for branch in woken:
                    if branch in self.delivered:
                        self.catch_up(branch)
                if failing:
                    log.info("the event log is readable again: streams follow it")
                failing = False
            except StoreUnavailable as exc:
                if not failing:
                    log.warning("cannot follow the event log: %s; retrying", exc)
                failing = True
                self._stop.wait(CATCH_UP_SECONDS)
            except Exception:
                log.exception("following the event log failed; retrying")
                self._stop.wait(CATCH_UP_SECONDS)

    def catch_up(self, branch: str) -> None:
        """Publish every event of ``branch`` after the last one delivered."""
        while True:
            page = self.store.events_after(branch, self.delivered[branch], PAGE)
            if not page:
                return
            self.hub.publish(page)
            self.delivered[branch] = page[-1].id
            if len(page) < PAGE:
                return
