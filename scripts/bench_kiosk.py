"""Kiosk benchmark: touch to last byte at the printer, startup to first paint, memory.

    .venv/bin/python -m scripts.bench_kiosk [--tickets 200] [--total 500]

Runs a real queue server on 127.0.0.1 (the example office on a temporary SQLite file), the
kiosk headless with Textual's Pilot, and a real serial printer driver on a socat pty whose far
end answers DLE EOT like a healthy printer and timestamps each job's cut (its last bytes).
Targets (issue #4): touch-to-print p99 <= 150 ms, first paint <= 1.0 s, RSS <= 80 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from queue_api.stats import percentile

STATUS_OK = b"\x12"
CUT = b"\x1dV"
CHILD_FLAG = "--first-paint-child"


class PtyPrinter:
    """The far end of a socat pty pair: answers status queries, timestamps every cut."""

    def __init__(self) -> None:
        if shutil.which("socat") is None:
            raise SystemExit("socat is needed: apt install socat")
        self.folder = Path(tempfile.mkdtemp(prefix="bench-kiosk-"))
        self.near, far = self.folder / "near", self.folder / "far"
        self.process = subprocess.Popen(
            ["socat", f"pty,raw,echo=0,link={self.near}", f"pty,raw,echo=0,link={far}"],
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while not (self.near.exists() and far.exists()):
            if time.monotonic() > deadline:
                raise SystemExit("socat did not create the pty pair")
            time.sleep(0.01)  # a one-off wait for socat's links, outside any measurement
        self.fd = os.open(far, os.O_RDWR | os.O_NOCTTY)
        #: perf_counter() when each job's cut arrived, in order.
        self.cuts: list[float] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"serial://{self.near}?baudrate=115200"

    def _serve(self) -> None:
        tail = b""
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            now = time.perf_counter()
            data = tail + chunk
            replies = data.count(b"\x10\x04")
            if replies:
                os.write(self.fd, STATUS_OK * replies)
            cuts = data.count(CUT)
            self.cuts.extend([now] * cuts)
            tail = data[-2:]
            # Do not count a query or a cut twice when it straddled two reads.
            if b"\x10\x04" in tail or CUT in tail:
                tail = b""

    def close(self) -> None:
        os.close(self.fd)
        self.process.terminate()
        self.process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)


def tap(app, selector: str) -> None:
    """A touch as the terminal driver delivers it: mouse down and up on the widget's centre.

    Pilot.click paces its events with pauses (~100 ms in all), which a real touch does not.
    """
    from textual import events

    x, y = app.screen.query_one(selector).region.center
    place = {"x": x, "y": y, "delta_x": 0, "delta_y": 0, "button": 1, "shift": False}
    place |= {"meta": False, "ctrl": False, "screen_x": x, "screen_y": y}
    app.post_message(events.MouseDown(None, **place))
    app.post_message(events.MouseUp(None, **place))


async def wait(pilot, predicate, within: float = 10.0) -> None:
    """Run the app until ``predicate()`` holds; a stuck kiosk fails the benchmark."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"the kiosk got stuck waiting for {predicate.__doc__}")
        # A plain sleep, not pilot.pause(): the pilot's idle checks would load the very loop
        # being measured.
        await asyncio.sleep(0.002)


def rss_mb() -> float:
    """Resident memory of this process, in MB."""
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text)[1]) / 1024  # type: ignore[index]


def device(url: str, printer_url: str):
    from device.config import DeviceConfig

    return DeviceConfig.model_validate(
        {
            "server": {"url": url, "token": "demo-kiosk-centro", "branch": "centro"},
            "device": {"name": "kiosk-bench"},
            "printer": {"url": printer_url},
        }
    )


async def touch_to_print(url: str, printer: PtyPrinter, timed: int, total: int) -> dict:
    from kiosk.app import KioskApp
    from kiosk.kiosk_screen import KioskScreen
    from kiosk.timings import KioskTimings

    timings = KioskTimings(idle=600, ticket=600, refresh=5, printer_poll=10, tap_guard=0)
    app = KioskApp(device(url, printer.url), timings=timings)
    latencies: list[float] = []
    async with app.run_test(size=(100, 32)) as pilot:
        screen = app.screen
        assert isinstance(screen, KioskScreen)
        await wait(pilot, lambda: screen.available and screen.query("ServiceTile"))
        for n in range(total):
            # Alternate services so both the one-touch and the priority answer are measured.
            await pilot.pause()  # laid out and idle: the tap lands on what is drawn
            if n % 2:
                tap(app, "#service-pagos")
                await wait(pilot, lambda: screen.step == "priority")
                await pilot.pause()
                start = time.perf_counter()
                tap(app, "#priority-no")
            else:
                start = time.perf_counter()
                tap(app, "#service-registro")
            await wait(pilot, lambda n=n: len(printer.cuts) > n)
            if n < timed:
                latencies.append(printer.cuts[n] - start)
            await wait(pilot, lambda: screen.step == "ticket")
            await pilot.pause()
            tap(app, "#ticket")
            await wait(pilot, lambda: screen.step == "home")
        rss = rss_mb()
    return {
        "tickets_timed": len(latencies),
        "touch_to_print_p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "touch_to_print_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "touch_to_print_max_ms": round(max(latencies) * 1000, 1),
        "tickets_total": total,
        "rss_mb_after_total": round(rss, 1),
    }


async def first_paint_child(url: str, printer_url: str, spawned: float) -> None:
    """In a fresh interpreter: when the first frame and the services appear."""
    from kiosk.app import KioskApp
    from kiosk.kiosk_screen import KioskScreen

    app = KioskApp(device(url, printer_url))
    async with app.run_test(size=(100, 32)) as pilot:
        first_frame = time.time() - spawned
        screen = app.screen
        assert isinstance(screen, KioskScreen)
        while not (screen.available and screen.query("ServiceTile")):
            await pilot.pause(0.005)
        await pilot.pause()
        services = time.time() - spawned
    print(json.dumps({"first_frame_s": round(first_frame, 3), "services_s": round(services, 3)}))


def first_paint(url: str, printer: PtyPrinter, runs: int = 3) -> dict:
    results = []
    for _ in range(runs):
        spawned = time.time()
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "scripts.bench_kiosk",
                CHILD_FLAG,
                url,
                printer.url,
                str(spawned),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    return {
        "startup_to_first_frame_s": max(r["first_frame_s"] for r in results),
        "startup_to_services_shown_s": max(r["services_s"] for r in results),
        "startup_runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200, help="tickets timed")
    parser.add_argument("--total", type=int, default=500, help="tickets before reading RSS")
    args = parser.parse_args()
    from turnero.demo import demo_server

    printer = PtyPrinter()
    try:
        with (
            tempfile.TemporaryDirectory() as folder,
            demo_server(Path(folder), kiosk_tickets_per_minute=0) as url,
        ):
            figures = first_paint(url, printer)
            figures |= asyncio.run(touch_to_print(url, printer, args.tickets, args.total))
    finally:
        printer.close()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == CHILD_FLAG:
        asyncio.run(first_paint_child(sys.argv[2], sys.argv[3], float(sys.argv[4])))
    else:
        main()
