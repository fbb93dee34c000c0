"""Benchmark the counter terminal: key press to LED frame on a pty, and to the screen update.

A real ``turnero server`` (SQLite, loopback), the real CounterApp driven by Textual's Pilot,
and a Modbus LED board at the far end of a socat pty that timestamps each frame it decodes.
Each round presses Next (F1) once: the server finishes the current ticket and calls the next;
the next round starts when the keys are enabled again and the frame reached the board.

Run: .venv/bin/python -m scripts.bench_counter [--calls 500] [--pause 0.1]
Needs socat. Prints p50/p99/max in milliseconds; target p99 <= 100 ms on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import select
import sys
import tempfile
import time
import tty
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as StopSignal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.* helpers

import httpx

from counter.app import CounterApp
from counter.ticket_panel import TicketPanel
from drivers.board import open_board
from drivers.board_protocols import with_crc
from queue_api.schema import Ticket
from scripts.latency import percentiles
from tests.counter.conftest import device_for
from tests.counter.led_frames import decode
from tests.drivers.fixtures import socat_pty_pair
from tests.server_process import TOKENS, ServerProcess, office_file


def serve_board(path: str, arrivals: Connection, stop: StopSignal) -> None:
    """A Modbus board at the far end of the pty, in its own process: echo each frame at once.

    It reads whatever is there as soon as it is there (select + os.read) and stamps it with
    the system's monotonic clock, so the time is when the frame reached the board; in its own
    process, it takes no interpreter time from the app being measured.
    """
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    arrivals.send("ready")
    buffer = b""
    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        buffer += os.read(fd, 512)
        while len(buffer) >= 8:
            size = 8 if buffer[1] == 0x06 else 9 + buffer[6]
            if len(buffer) < size:
                break
            frame, buffer = buffer[:size], buffer[size:]
            now = time.perf_counter()
            # FC06 echoes the frame; FC16 echoes address, function, start, quantity.
            os.write(fd, frame if frame[1] == 0x06 else with_crc(frame[:6]))
            arrivals.send((now, decode(frame).strip()))
    os.close(fd)


class TimedBoard:
    """The board process, and the frames it saw: ``(arrival time, text shown)``."""

    def __init__(self, path: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._receive, send = context.Pipe(duplex=False)
        self._stop = context.Event()
        self._process = context.Process(
            target=serve_board, args=(path, send, self._stop), daemon=True
        )
        self.arrivals: list[tuple[float, str]] = []

    def __enter__(self) -> TimedBoard:
        self._process.start()
        # Until the board listens, the app's first frames go unanswered and the driver counts
        # the board as lost: the first call would time the recovery, not the call.
        if not self._receive.poll(30) or self._receive.recv() != "ready":
            raise RuntimeError("the board process did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._process.join(5)

    def wait_for(self, number: str, since: int) -> float:
        """When ``number`` first arrived among the frames after the first ``since``."""
        deadline = time.monotonic() + 5
        while not any(shown == number for _, shown in self.arrivals[since:]):
            if not self._receive.poll(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"the board never showed {number}")
            self.arrivals.append(self._receive.recv())
        return next(at for at, shown in self.arrivals[since:] if shown == number)

    def drain(self) -> None:
        """Take in the frames that arrived so far."""
        while self._receive.poll():
            self.arrivals.append(self._receive.recv())


async def issue(url: str, count: int) -> None:
    """``count`` tickets, alternating the two services counter 1 serves (A001.., B001..)."""
    headers = {"Authorization": f"Bearer {TOKENS['kiosk']}"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as http:
        for n in range(count):
            response = await http.post(
                "/api/v1/branches/centro/tickets",
                json={"service": ("licencias", "pagos")[n % 2]},
                headers={"Idempotency-Key": f"bench-{n}"},
            )
            response.raise_for_status()


async def run(calls: int, pause: float) -> tuple[list[float], list[float], list[float]]:
    """(key -> LED frame, key -> screen, the POST /next round trip inside them), per call."""
    to_led, to_screen, server_part = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        server = ServerProcess(
            office_file(Path(folder), Path(folder) / "bench.db", kiosk_tickets_per_minute=0)
        ).start()
        try:
            await issue(server.url, calls + 1)
            with socat_pty_pair() as pair, TimedBoard(pair.far) as fake:
                board = open_board(pair.near, protocol="modbus-rtu", timeout=0.5)
                app = CounterApp(device_for(server.url, TOKENS["counter1"]), board=board)
                async with app.run_test(size=(100, 32)) as pilot:
                    screen = app.counter_screen
                    while not (screen.online and screen.counter is not None):
                        await pilot.pause(0.01)
                    panel = screen.query_one(TicketPanel)
                    shown_at: list[tuple[float, str]] = []
                    idle = asyncio.Event()

                    def on_ticket(ticket: Ticket | None) -> None:
                        # Runs right after the panel redrew its number for the new ticket.
                        if ticket is not None:
                            shown_at.append((time.perf_counter(), ticket.number))

                    def on_busy(busy: bool) -> None:
                        if not busy:
                            idle.set()

                    call_next = app.client.call_next

                    async def timed_call_next(branch: str, counter: str) -> Ticket | None:
                        began = time.perf_counter()
                        try:
                            return await call_next(branch, counter)
                        finally:
                            server_part.append(time.perf_counter() - began)

                    app.client.call_next = timed_call_next  # type: ignore[method-assign]
                    screen.watch(panel, "ticket", on_ticket, init=False)
                    screen.watch(screen, "busy", on_busy, init=False)
                    for _ in range(calls):
                        idle.clear()
                        fake.drain()
                        seen_led, seen_screen = len(fake.arrivals), len(shown_at)
                        start = time.perf_counter()
                        # The key goes in as the terminal driver's does; Pilot.press would
                        # also wait for the whole process to go idle, inside the timing.
                        app.simulate_key("f1")
                        await asyncio.wait_for(idle.wait(), 10)
                        at, number = shown_at[seen_screen]
                        to_screen.append(at - start)
                        arrived = await asyncio.to_thread(fake.wait_for, number, seen_led)
                        to_led.append(arrived - start)
                        if pause:
                            await asyncio.sleep(pause)  # a clerk's pace: events settle
                board.close()
        finally:
            server.stop()
    return to_led, to_screen, server_part


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="seconds between presses (0: back to back, the worst case)",
    )
    args = parser.parse_args()
    to_led, to_screen, server_part = asyncio.run(run(args.calls, args.pause))
    print(f"Next key -> LED frame on the pty : {percentiles(to_led)}")
    print(f"Next key -> ticket on the screen : {percentiles(to_screen)}")
    print(f"  of which POST /next round trip : {percentiles(server_part)}")
    own = [screen - post for screen, post in zip(to_screen, server_part, strict=True)]
    lit = [led - post for led, post in zip(to_led, server_part, strict=True)]
    print(f"  the app's own share, to screen : {percentiles(own)}")
    print(f"  the app's own share, to LED    : {percentiles(lit)}")
    slowest = sorted(to_led)[-5:]
    print("slowest LED rounds (ms):", ", ".join(f"{s * 1000:.1f}" for s in slowest))


if __name__ == "__main__":
    main()
