"""How often one client address may use the public calls (API.md v1 additions: 429 with
``Retry-After``). A citizen has no token, so the address is all there is to count by; a whole
office behind one NAT shares it, hence the generous bounds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from fastapi import HTTPException, Request

log = logging.getLogger("turnero.server")

READS_PER_MINUTE = 120
"""Public reads (slots, a booking, its pages) a minute per address, in bursts of as many."""
BOOKINGS_PER_HOUR = 10
"""Bookings and cancellations an hour per address, in bursts of as many: a family books a
few; a script holding every slot of a day is stopped."""
MAX_ADDRESSES = 100_000
"""Addresses remembered at most: past that the fullest buckets are forgotten (a flood from
many addresses must not grow the server)."""


class AddressAllowance:
    """A token bucket per client address: ``burst`` calls, refilled over ``per_seconds``."""

    def __init__(
        self, burst: int, per_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.rate = burst / per_seconds
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, address: str) -> float:
        """Use one call of ``address``: 0 when allowed, else seconds until one is back."""
        with self._lock:
            now = self._clock()
            left, when = self._buckets.get(address, (float(self.burst), now))
            left = min(float(self.burst), left + (now - when) * self.rate)
            if left >= 1.0:
                self._buckets[address] = (left - 1.0, now)
                self._forget_full(now)
                return 0.0
            self._buckets[address] = (left, now)
            return (1.0 - left) / self.rate

    def _forget_full(self, now: float) -> None:
        if len(self._buckets) <= MAX_ADDRESSES:
            return
        # A bucket refilled to the brim is the same as none.
        self._buckets = {
            address: (left, when)
            for address, (left, when) in self._buckets.items()
            if left + (now - when) * self.rate < self.burst
        }


_made = threading.Lock()


def _allowance(request: Request, name: str, burst: int, per_seconds: float) -> AddressAllowance:
    """The app's allowance ``name``, made on first use (kept on ``app.state``)."""
    state = request.app.state
    with _made:
        found = getattr(state, name, None)
        if found is None:
            found = AddressAllowance(burst, per_seconds)
            setattr(state, name, found)
    return found


def client_address(request: Request) -> str:
    """The address the request came from (a proxy's, behind one)."""
    return request.client.host if request.client else "unknown"


def refuse_over(request: Request, name: str, burst: int, per_seconds: float, what: str) -> None:
    """Count one ``what`` of the caller's address in the app's allowance ``name`` (``burst``
    of them per ``per_seconds``); 429 with ``Retry-After`` past it. The address is not
    logged: it is the one personal thing a public call brings."""
    wait = _allowance(request, name, burst, per_seconds).take(client_address(request))
    if wait:
        seconds = math.ceil(wait)
        log.warning("%s refused: over %d in %.0f s from one address", what, burst, per_seconds)
        raise HTTPException(
            429,
            f"too many {what} from this address: try again in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )


def public_read(request: Request) -> None:
    """Count one public read of the caller's address; 429 past ``READS_PER_MINUTE``."""
    refuse_over(request, "citizen_reads", READS_PER_MINUTE, 60.0, "requests")


def public_booking(request: Request) -> None:
    """Count one booking (or cancellation) of the caller's address; 429 past
    ``BOOKINGS_PER_HOUR``."""
    refuse_over(request, "citizen_bookings", BOOKINGS_PER_HOUR, 3600.0, "bookings")
