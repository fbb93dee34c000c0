"""The display's sense of time, injectable so that tests and snapshots can freeze it."""

from __future__ import annotations

from datetime import datetime, timedelta

from device.clock import Clock, FrozenClock

__all__ = ["Clock", "FrozenClock", "ShiftedClock", "system_clock"]


def system_clock() -> datetime:
    """The real time, in the machine's zone (the lobby reads local time)."""
    return datetime.now().astimezone()


class ShiftedClock:
    """The real time plus an offset: lets a test age the calls without sleeping."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset = timedelta(seconds=offset_seconds)

    def __call__(self) -> datetime:
        return system_clock() + self.offset
