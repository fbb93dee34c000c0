"""Redraw the README's screenshots: the demo, driven headless through one citizen's visit.

Run ``.venv/bin/python -m scripts.screenshots``; it writes ``docs/screenshots/*.svg``.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TypeVar

from textual.screen import Screen

from counter.screen import CounterScreen
from device.config import load_device_config
from display.board_screen import BoardScreen
from kiosk.kiosk_screen import KioskScreen
from tests.pilot_wait import until
from turnero.demo import demo_server, device_file
from turnero.demo_app import DemoApp

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SIZE = (140, 42)

S = TypeVar("S", bound=Screen)


def shown(app: DemoApp, kind: type[S]) -> S:
    """The screen on show, which must be a ``kind``."""
    screen = app.screen
    assert isinstance(screen, kind), f"{kind.__name__} expected, {type(screen).__name__} shown"
    return screen


async def visit(folder: Path, url: str) -> None:
    devices = {
        role: load_device_config(device_file(folder, role, url))
        for role in ("kiosk", "counter", "display")
    }
    app = DemoApp(devices)
    async with app.run_test(size=SIZE) as pilot:
        # Tiles appear a moment before the kiosk takes touches: wait for both.
        await until(
            pilot, lambda: shown(app, KioskScreen).available and app.screen.query("ServiceTile")
        )
        app.save_screenshot("kiosk-home.svg", str(OUT))
        await pilot.press("3")
        await until(pilot, lambda: shown(app, KioskScreen).step == "ticket" and app.printer.printed)
        await pilot.pause(0.5)
        app.save_screenshot("kiosk-ticket.svg", str(OUT))
        await pilot.press("f11")
        await until(pilot, lambda: shown(app, CounterScreen).online)
        await pilot.press("n")
        await until(
            pilot, lambda: bool((desk := shown(app, CounterScreen).counter) and desk.current)
        )
        await pilot.press("s")
        await until(
            pilot,
            lambda: (
                (desk := shown(app, CounterScreen).counter) is not None
                and desk.current is not None
                and desk.current.status == "serving"
            ),
        )
        app.save_screenshot("counter.svg", str(OUT))
        await pilot.press("f12")
        await until(pilot, lambda: bool(shown(app, BoardScreen).calls))
        await pilot.pause(0.5)
        app.save_screenshot("display.svg", str(OUT))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="turnero-shots-") as tmp, demo_server(Path(tmp)) as url:
        asyncio.run(visit(Path(tmp), url))
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
