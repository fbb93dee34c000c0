"""Waiting on a running Textual app for something to become true, without blind sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot

WAIT = 10.0


async def until(pilot: Pilot, predicate: Callable[[], object], within: float = WAIT) -> None:
    """Let the app run until ``predicate()`` holds (checked after each short pause)."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate.__doc__ or predicate}")
        await pilot.pause(0.02)
