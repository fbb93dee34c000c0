"""Redraw the README's screenshots: the demo, driven headless through one citizen's visit.

Run ``.venv/bin/python -m scripts.screenshots``; it writes ``docs/screenshots/*.svg``.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from device.config import load_device_config
from tests.pilot_wait import until
from turnero.demo import demo_server, device_file
from turnero.demo_app import DemoApp

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SIZE = (140, 42)


async def visit(folder: Path, url: str) -> None:
    devices = {
        role: load_device_config(device_file(folder, role, url))
        for role in ("kiosk", "counter", "display")
    }
    app = DemoApp(devices)
    async with app.run_test(size=SIZE) as pilot:
        # Tiles appear a moment before the kiosk takes touches: wait for both.
        await until(pilot, lambda: app.screen.available and app.screen.query("ServiceTile"))
        app.save_screenshot("kiosk-home.svg", str(OUT))
        await pilot.press("3")
        await until(pilot, lambda: app.screen.step == "ticket" and app.printer.printed)
        await pilot.pause(0.5)
        app.save_screenshot("kiosk-ticket.svg", str(OUT))
        await pilot.press("f11")
        await until(pilot, lambda: app.screen.online)
        await pilot.press("n")
        await until(pilot, lambda: app.screen.counter and app.screen.counter.current)
        await pilot.press("s")
        await until(pilot, lambda: app.screen.counter.current.status == "serving")
        app.save_screenshot("counter.svg", str(OUT))
        await pilot.press("f12")
        await until(pilot, lambda: bool(app.screen.calls))
        await pilot.pause(0.5)
        app.save_screenshot("display.svg", str(OUT))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="turnero-shots-") as tmp, demo_server(Path(tmp)) as url:
        asyncio.run(visit(Path(tmp), url))
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
