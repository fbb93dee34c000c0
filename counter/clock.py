"""The counter's sense of time: an injectable clock, and how durations read on screen.

Times on screen come from a clock the app is given, so snapshots and tests can freeze it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from device.clock import Clock, FrozenClock
from queue_api.i18n import wait_minutes

__all__ = ["Clock", "FrozenClock", "duration", "minutes", "system_clock"]


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


def duration(since: datetime | None, until: datetime) -> str:
    """``m:ss`` (or ``h:mm:ss``) from ``since`` to ``until``; ``-`` when unknown."""
    if since is None:
        return "-"
    seconds = max(0, int((until - since).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def minutes(seconds: float | None, *, round_up: bool = False) -> str:
    """Whole minutes for the queue overview (estimates round up); ``-`` when unknown."""
    if seconds is None:
        return "-"
    whole = wait_minutes(seconds) if round_up else int(seconds // 60)
    return f"{whole} min"
