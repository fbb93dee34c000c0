"""Injectable clocks: programs take one, so tests, snapshots and benchmarks can freeze time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

Clock = Callable[[], datetime]
"""Returns the current time, with a zone."""


class FrozenClock:
    """A clock that only moves when told to: setting ``now`` or ``advance`` is time passing,
    ``step`` is someone setting the machine's clock (real time, ``monotonic``, stays)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.stepped = 0.0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(seconds=seconds)

    def step(self, seconds: float) -> None:
        """Set the wall clock ``seconds`` forward (or back, when negative) without time passing."""
        self.now += timedelta(seconds=seconds)
        self.stepped += seconds

    def monotonic(self) -> float:
        """Seconds of real time, as ``time.monotonic`` counts them: steps do not move it."""
        return self.now.timestamp() - self.stepped
