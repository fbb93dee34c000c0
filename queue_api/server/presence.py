"""Which device called when, and with which app: kept in memory, written to the store in batches.

Every authenticated call and every open event stream counts as the device being seen. A write
per call would cost more than most calls, so calls only touch a dict; ``flush`` writes what
changed since (the server does it every few seconds), and open streams count as seen at each.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from queue_api.operations import NO_BRANCH, Presence
from queue_api.server.auth import Principal
from queue_api.store import DeviceSeen, Store

FLUSH_EVERY_SECONDS = 5.0
"""The most a device's last-seen time in the store lags behind its last call."""

_AGENT = re.compile(r"^\s*([A-Za-z0-9._-]{1,40})/([A-Za-z0-9.+_-]{1,40})")


def parse_agent(header: str | None) -> tuple[str | None, str | None]:
    """The app and version in a ``User-Agent``: ``turnero-kiosk/0.1.0`` is ``kiosk``, ``0.1.0``;
    anything else readable as ``name/version`` is kept as such; (None, None) otherwise."""
    found = _AGENT.match(header or "")
    if found is None:
        return None, None
    name, version = found.groups()
    return name.removeprefix("turnero-") or name, version


def _key(who: Principal) -> tuple[str, str]:
    return (who.branch or NO_BRANCH, who.device)


class PresenceBook:
    """Last calls and open streams per device; thread-safe (calls come from many threads)."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], DeviceSeen] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._streams: Counter[tuple[str, str]] = Counter()

    def seen(self, who: Principal, agent: str | None) -> None:
        """``who`` called now, saying ``agent`` (its User-Agent header)."""
        app, version = parse_agent(agent)
        key = _key(who)
        with self._lock:
            old = self._seen.get(key)
            self._seen[key] = DeviceSeen(
                branch=key[0],
                device=key[1],
                app=app or (old.app if old else None),
                version=version or (old.version if old else None),
                seen_at=self._clock(),
            )
            self._dirty.add(key)

    def stream_opened(self, who: Principal) -> None:
        with self._lock:
            self._streams[_key(who)] += 1

    def stream_closed(self, who: Principal) -> None:
        key = _key(who)
        with self._lock:
            self._streams[key] -= 1
            if self._streams[key] <= 0:
                del self._streams[key]
            self._touch(key)

    def _touch(self, key: tuple[str, str]) -> None:
        old = self._seen.get(key)
        if old is not None:
            self._seen[key] = DeviceSeen(
                old.branch, old.device, old.app, old.version, self._clock()
            )
            self._dirty.add(key)

    def flush(self, store: Store) -> int:
        """Write what changed since the last flush (streaming devices count as seen now);
        the number of devices written. What fails to write is kept for the next flush."""
        with self._lock:
            for key in self._streams:
                self._touch(key)
            batch = [self._seen[key] for key in self._dirty]
            self._dirty.clear()
        if not batch:
            return 0
        try:
            with store.write() as tx:
                for seen in batch:
                    tx.save_device_seen(seen)
        except BaseException:
            with self._lock:
                self._dirty.update((s.branch, s.device) for s in batch)
            raise
        return len(batch)

    def view(self, stored: list[DeviceSeen]) -> dict[str, Presence]:
        """Per device name: the later of the stored and the remembered last call, and whether
        a stream of it is open on this server."""
        with self._lock:
            mine = {key[1]: seen for key, seen in self._seen.items()}
            streaming = {key[1] for key in self._streams}
        result: dict[str, Presence] = {}
        for seen in stored:
            result[seen.device] = Presence(seen, seen.device in streaming)
        for name, seen in mine.items():
            old = result.get(name)
            if old is None or old.seen is None or old.seen.seen_at < seen.seen_at:
                result[name] = Presence(seen, name in streaming)
        for name in streaming - set(result):
            result[name] = Presence(None, True)
        return result
