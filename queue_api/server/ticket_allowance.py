"""How fast one kiosk may issue tickets (API.md's 429).

A key stuck on a kiosk's keypad, or a script holding a kiosk's token, would otherwise issue a
ticket a second: the paper roll empties and the queue fills with people who do not exist.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from fastapi import HTTPException


class TicketAllowance:
    """A token bucket per device: ``per_minute`` tickets a minute, in bursts of as many.

    ``per_minute`` 0 means no limit. Thread-safe: ticket issue runs in the server's threads.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # device → (tickets left, when)
        self._lock = threading.Lock()

    def take(self, device: str) -> float:
        """Use one of ``device``'s tickets: 0 when allowed, else seconds until one is back."""
        if not self.per_minute:
            return 0.0
        rate = self.per_minute / 60.0
        with self._lock:
            now = self._clock()
            left, when = self._buckets.get(device, (float(self.per_minute), now))
            left = min(float(self.per_minute), left + (now - when) * rate)
            if left >= 1.0:
                self._buckets[device] = (left - 1.0, now)
                return 0.0
            self._buckets[device] = (left, now)
            return (1.0 - left) / rate


def refuse_when_over(
    allowance: TicketAllowance, device: str, what: str, detail: str, log: logging.Logger
) -> None:
    """Take one of ``device``'s ``what`` from ``allowance``, else 429 with ``Retry-After``;
    ``detail`` is formatted with ``device``, ``per_minute`` and ``seconds``."""
    wait = allowance.take(device)
    if wait:
        seconds = math.ceil(wait)
        log.warning("%s refused to %s: over %s a minute", what, device, allowance.per_minute)
        raise HTTPException(
            429,
            detail.format(device=device, per_minute=allowance.per_minute, seconds=seconds),
            headers={"Retry-After": str(seconds)},
        )
