"""The display's sense of time, injectable so that tests and snapshots can freeze it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

Clock = Callable[[], datetime]
"""Returns the current time, with a zone."""


def system_clock() -> datetime:
    """The real time, in the machine's zone (the lobby reads local time)."""
    return datetime.now().astimezone()


class FrozenClock:
    """A clock that only moves when told to: for tests, snapshots and benchmarks."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(seconds=seconds)


class ShiftedClock:
    """The real time plus an offset: lets a test age the calls without sleeping."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset = timedelta(seconds=offset_seconds)

    def __call__(self) -> datetime:
        return system_clock() + self.offset
