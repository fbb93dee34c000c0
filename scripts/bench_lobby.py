"""Benchmark of the lobby page for TVs (``/b/{b}/lobby``): what N open screens cost the server.

    .venv/bin/python -m scripts.bench_lobby [--screens 50] [--calls 20]

Starts ``turnero server`` (the example office on a temporary SQLite file), then opens N lobby
screens as a TV's browser does (the page, then its stream ``/b/{b}/lobby/events``), each from
an address of its own on the loopback network (127.0.0.2, .3, ...: one TV, one address, as in
an office), and prints:

- the server's resident memory (VmRSS) with 0 screens and with N, and the cost of one screen
  (``turnero display --web`` costs about 58 MiB per open tab: one display process each);
- the time from a counter's ``next`` sent to every screen having the call, p50/p99;
- that every screen received every call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from queue_api.client import QueueClient, new_idempotency_key
from queue_api.stats import percentile
from turnero.local_server import ServerProcess, office_file

B = "centro"
WEB_TAB_MIB = 58.0
"""Server memory per open tab of ``turnero display --web`` (one display process per tab)."""


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` from /proc, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Screen:
    """One TV: its own address, its page, its open stream, and the calls it has seen."""

    def __init__(self, url: str, address: str) -> None:
        transport = httpx.AsyncHTTPTransport(local_address=address)
        self.http = httpx.AsyncClient(base_url=url, transport=transport, timeout=30)
        self.calls: dict[str, float] = {}
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        page = await self.http.get(f"/b/{B}/lobby")
        page.raise_for_status()
        self.task = asyncio.create_task(self._follow())
        await self.ready.wait()

    async def _follow(self) -> None:
        async with self.http.stream("GET", f"/b/{B}/lobby/events") as response:
            response.raise_for_status()
            kind = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    if kind == "board":
                        self.ready.set()
                    elif kind == "call":
                        self.calls[json.loads(line[6:])["number"]] = time.perf_counter()

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.http.aclose()


async def run(screens: int, calls: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-lobby-") as folder:
        config = office_file(Path(folder), Path(folder) / "turnero.db", kiosk_tickets_per_minute=0)
        server = ServerProcess(config).start()
        assert server.process is not None
        pid = server.process.pid
        try:
            # Warm up: one screen opened and closed, so that code loaded once is not counted.
            warm = Screen(server.url, "127.0.0.250")
            await warm.open()
            await warm.close()
            await asyncio.sleep(1.0)  # let the server notice the closed stream
            before = rss_mib(pid)
            open_screens = [Screen(server.url, f"127.0.0.{2 + i % 240}") for i in range(screens)]
            await asyncio.gather(*(screen.open() for screen in open_screens))
            with_screens = rss_mib(pid)
            delays = await deliver(server.url, open_screens, calls)
            after_calls = rss_mib(pid)
            missing = sum(calls - len(screen.calls) for screen in open_screens)
            for screen in open_screens:
                await screen.close()
        finally:
            server.stop()
    per_screen_kib = (with_screens - before) * 1024 / screens
    print(f"lobby screens open: {screens} (each its own address), calls: {calls}")
    print(f"server RSS with 0 screens:  {before:8.1f} MiB")
    print(f"server RSS with {screens} screens: {with_screens:8.1f} MiB")
    print(f"server RSS after {calls} calls: {after_calls:8.1f} MiB")
    print(
        f"per screen: {per_screen_kib:.0f} KiB"
        f" (turnero display --web: about {WEB_TAB_MIB:.0f} MiB per tab,"
        f" {WEB_TAB_MIB * screens:.0f} MiB for {screens})"
    )
    print(
        f"next sent -> call on every screen: p50 {statistics.median(delays) * 1000:.1f} ms,"
        f" p99 {percentile(delays, 0.99) * 1000:.1f} ms"
    )
    print(f"calls missed by a screen: {missing}")


async def deliver(url: str, screens: list[Screen], calls: int) -> list[float]:
    """Issue and call ``calls`` tickets; for each, the time from ``next`` sent to the call
    having reached every screen (the event goes out before ``next``'s answer does)."""
    delays = []
    async with (
        QueueClient(url, "demo-kiosk-centro") as kiosk,
        QueueClient(url, "demo-counter-centro-2") as desk,
    ):
        for _ in range(calls):
            await kiosk.issue_ticket(B, "licencias", idempotency_key=new_idempotency_key())
            sent = time.perf_counter()
            ticket = await desk.call_next(B, "2")
            assert ticket is not None
            deadline = sent + 10
            while not all(ticket.number in screen.calls for screen in screens):
                if time.perf_counter() > deadline:
                    break
                await asyncio.sleep(0.001)
            arrived = [s.calls.get(ticket.number, deadline) for s in screens]
            delays.append(max(arrived) - sent)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screens", type=int, default=50)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.screens, args.calls))


if __name__ == "__main__":
    main()
