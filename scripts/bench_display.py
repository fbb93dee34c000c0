"""Benchmark of the lobby display: event received to screen updated, and memory over time.

Runs a real server (the example office on a temporary SQLite file) and the display app
headless in this process; the clerks call tickets over HTTP from a process of their own, so
their work does not count as the display's.

    .venv/bin/python -m scripts.bench_display [--calls 500] [--rate 20] [--events 10000]
                                              [--size 160x48]

Prints p50/p99 of the time from a call's event reaching the display to the screen having
been refreshed with it (target p99 <= 50 ms), and the process RSS every 1,000 events (it
must stay flat: the board keeps a bounded number of calls).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from pathlib import Path

from device.config import DeviceConfig
from display.app import DisplayApp
from display.board_screen import BoardScreen
from display.sound import SilentPlayer
from queue_api.client import QueueClient, new_idempotency_key
from queue_api.stats import percentile
from turnero.demo import demo_server

LICENCIAS_COUNTERS = "124"
"""Counters of the example office that serve ``licencias``."""


def rss_mib() -> float:
    """Resident memory of this process, in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load() -> str:
    """The machine's 1-minute load average against its cores: other work skews latencies."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


async def until(condition: Callable[[], bool], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the display did not catch up")
        await asyncio.sleep(0.01)


class Clerks:
    """The kiosk and three counters, in a process of their own (their work, GIL included,
    must not count as the display's); told what to do through a pipe."""

    def __init__(self, url: str) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=clerks_process, args=(url, child), daemon=True
        )
        self.process.start()

    async def do(self, *command: object) -> None:
        """Send ``command`` and wait until the clerks have done it."""
        self.conn.send(command)
        reply = await asyncio.to_thread(self.conn.recv)
        if reply != "done":
            raise RuntimeError(f"the clerks failed: {reply}")

    def close(self) -> None:
        self.conn.send(("quit",))
        self.process.join(10)


def clerks_process(url: str, conn: Connection) -> None:
    asyncio.run(clerks_loop(url, conn))


class Desks:
    """The kiosk and the Licencias counters the benchmark's clerks drive."""

    def __init__(self, url: str) -> None:
        self.kiosk = QueueClient(url, "demo-kiosk-centro")
        self.counters = {
            c: QueueClient(url, f"demo-counter-centro-{c}") for c in LICENCIAS_COUNTERS
        }

    async def issue(self, count: int) -> None:
        for _ in range(count):
            key = new_idempotency_key()
            await self.kiosk.issue_ticket("centro", "licencias", idempotency_key=key)

    async def call(self, count: int, rate: float) -> None:
        started = time.monotonic()
        for index in range(count):
            counter = LICENCIAS_COUNTERS[index % len(LICENCIAS_COUNTERS)]
            await self.counters[counter].call_next("centro", counter)
            if rate:
                await asyncio.sleep(max(0.0, started + (index + 1) / rate - time.monotonic()))

    async def busy(self, count: int) -> None:
        """Issue and call ``count`` tickets per counter: three events per ticket."""
        for _ in range(count):
            await self.issue(len(self.counters))
            await asyncio.gather(
                *(client.call_next("centro", c) for c, client in self.counters.items())
            )

    async def aclose(self) -> None:
        for client in [self.kiosk, *self.counters.values()]:
            await client.aclose()


async def clerks_loop(url: str, conn: Connection) -> None:
    desks = Desks(url)
    actions: dict[str, Callable[..., Awaitable[None]]] = {
        "issue": desks.issue,
        "call": desks.call,
        "busy": desks.busy,
    }
    while (command := await asyncio.to_thread(conn.recv))[0] != "quit":
        try:
            await actions[command[0]](*command[1:])
        except Exception as error:
            conn.send(repr(error))
        else:
            conn.send("done")
    await desks.aclose()


async def bench(url: str, calls: int, rate: float, events: int, size: tuple[int, int]) -> None:
    device = DeviceConfig.model_validate(
        {"server": {"url": url, "token": "demo-display-centro", "branch": "centro"}}
    )
    app = DisplayApp(device, player=SilentPlayer())
    clerks = Clerks(url)
    async with app.run_test(size=size):
        screen = app.screen
        assert isinstance(screen, BoardScreen)
        await until(lambda: screen.connection == "live")

        await clerks.do("issue", calls)
        await until(lambda: screen.events_seen >= calls)
        screen.latencies.clear()
        started, cpu = time.monotonic(), time.process_time()
        await clerks.do("call", calls, rate)
        await until(lambda: len(screen.latencies) >= calls)
        pace = calls / (time.monotonic() - started)
        cpu_per_call = (time.process_time() - cpu) / calls * 1000
        latencies = [seconds * 1000 for seconds in list(screen.latencies)[-calls:]]
        print(f"{calls} calls at {pace:.0f} calls/s, display on a {size[0]}x{size[1]} terminal:")
        print(
            f"  event received -> screen updated: p50 {percentile(latencies, 0.5):.1f} ms, "
            f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms, "
            f"mean {statistics.mean(latencies):.1f} ms"
        )
        print(f"  display CPU per call: {cpu_per_call:.1f} ms; load average {load()}")

        print(f"RSS while the display receives {events} events:")
        print(f"  {screen.events_seen:>6} events: {rss_mib():6.1f} MiB", flush=True)
        for checkpoint in range((screen.events_seen // 1000 + 1) * 1000, events + 1, 1000):
            while screen.events_seen < checkpoint:
                await clerks.do("busy", 20)  # 60 tickets, 180 events
            await until(lambda: screen.announcer.pending == 0)
            print(f"  {screen.events_seen:>6} events: {rss_mib():6.1f} MiB", flush=True)
        print(
            f"  kept: {len(screen.calls)} calls on the board, {len(screen.announcer.heard)}"
            f" heard announcements, {screen.announcer.pending} pending"
        )
    clerks.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="calls measured for latency")
    parser.add_argument("--rate", type=float, default=20.0, help="calls a second (0: flat out)")
    parser.add_argument("--events", type=int, default=10_000, help="events for the RSS run")
    parser.add_argument("--size", default="160x48", help="terminal size, COLSxROWS")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="turnero-bench-") as folder,
        demo_server(Path(folder), kiosk_tickets_per_minute=0) as url,
    ):
        columns, rows = (int(n) for n in args.size.lower().split("x"))
        asyncio.run(bench(url, args.calls, args.rate, args.events, (columns, rows)))


if __name__ == "__main__":
    main()
