"""Waiting on a running Textual app for something to become true, without blind sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.errors import NoWidget
from textual.pilot import Pilot
from textual.widget import Widget

WAIT = 10.0


async def until(pilot: Pilot, predicate: Callable[[], object], within: float = WAIT) -> None:
    """Let the app run until ``predicate()`` holds (checked after each short pause)."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate.__doc__ or predicate}")
        await pilot.pause(0.02)


def on_screen(widget: Widget) -> bool:
    """The widget is laid out and nothing covers its top-left cell, where the Pilot clicks.

    Mounting or showing a widget takes effect at the next layout, a moment later: until then
    a click aimed at it lands on whatever was there before.
    """
    region = widget.region
    if not region.area:
        return False
    try:
        under, _ = widget.screen.get_widget_at(region.x, region.y)
    except NoWidget:
        return False
    return under is widget or widget in under.ancestors


async def touch(pilot: Pilot, selector: str, within: float = WAIT) -> None:
    """Touch a widget as a person does: once it shows, and fail if the touch missed it."""
    widget = pilot.app.screen.query_one(selector)
    deadline = time.monotonic() + within
    # A layout change (a banner shown or hidden) moves widgets at the next refresh: until
    # then their regions are where they were. So each look comes after a refresh.
    while True:
        await asyncio.wait_for(widget.wait_for_refresh(), within)
        if on_screen(widget):
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} never showed")
        await pilot.pause(0.02)
    assert await pilot.click(widget), f"the touch missed {selector}"
