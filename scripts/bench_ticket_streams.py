"""Benchmark of the phones' ticket streams (issue #16): 2,000 phones, each following its own
ticket, on one server (SQLite), while counters call.

    .venv/bin/python -m scripts.bench_ticket_streams [--streams 2000] [--calls 20] [--gap 1]

Two fresh servers, one after the other, on the bench office of ``scripts.bench_api``
(one branch, three services, 20 counters):

- baseline: ``--streams`` branch event streams (``/api/v1/branches/{b}/events``, what lobby
  displays open), and the delay from each call to its ``ticket.called`` on every stream;
- phones: as many waiting tickets, one ticket stream (``/api/v1/tickets/{id}/events``) on each,
  and the delay from each call to every ``ticket.updated`` it causes (every waiting ticket of
  the called service has one person less ahead, and the called one is called).

For each: the server's RSS before and with the streams open, p50/p99/max delivery delay from
the call sent and from its answer, frames delivered, and the server's CPU per call. Calls come
``--gap`` seconds apart so that each call's deliveries are timed on their own: a delivery counts
against the last call sent before it arrived (the script counts those slower than the gap). The
streams are read by a separate process with raw sockets, so that parsing does not slow the server.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import tempfile
import time
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from queue_api.server.limits import raise_open_files_limit
from queue_api.stats import percentile
from scripts.bench_api import (
    ADMIN_TOKEN,
    BRANCH,
    COUNTERS,
    SERVICES,
    cpu_seconds,
    display_token,
    kiosk_token,
    office_toml,
    rss_mb,
)
from turnero.local_server import ServerProcess

FRAME = {
    "branch": re.compile(rb"event: ticket\.called\n"),
    "ticket": re.compile(rb"event: ticket\.updated\n"),
}
LIVE = {"branch": b": connected\n\n", "ticket": b"event: ticket.updated\n"}
"""A branch stream is live at its greeting; a ticket stream once its first view (the snapshot,
not a delivery) has come."""


def read_streams(
    url: str, kind: str, targets: list[str], results: Any, ready: Any, stop: Any
) -> None:
    """Child process: one stream per target (a branch id, or a ticket id); once every stream is
    live, note when each frame that counts arrives (monotonic clock, shared by processes on
    Linux) until ``stop`` is set, then put the arrival times on ``results``."""
    raise_open_files_limit()
    asyncio.run(_read_streams(url, kind, targets, results, ready, stop))


async def _read_streams(
    url: str, kind: str, targets: list[str], results: Any, ready: Any, stop: Any
) -> None:
    host, port = url.removeprefix("http://").split(":")
    arrivals: list[float] = []
    live = 0
    all_live = asyncio.Event()
    pattern, greeting = FRAME[kind], LIVE[kind]

    async def follow(target: str) -> None:
        nonlocal live
        if kind == "branch":
            path = f"/api/v1/branches/{target}/events"
            auth = f"Authorization: Bearer {display_token(0)}\r\n"
        else:
            path, auth = f"/api/v1/tickets/{target}/events", ""
        reader, writer = await asyncio.open_connection(host, int(port))
        head = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Accept: text/event-stream\r\n\r\n"
        writer.write(head.encode())
        buffer = b""
        greeted = False
        while chunk := await reader.read(65536):
            now = time.monotonic()
            buffer += chunk
            if not greeted:
                at = buffer.find(greeting)
                if at < 0:
                    continue
                greeted = True
                buffer = buffer[at + len(greeting) :]
                live += 1
                if live == len(targets):
                    all_live.set()
            arrivals.extend(now for _ in pattern.finditer(buffer))
            buffer = buffer[-64:]  # a frame's name split between two reads

    tasks = [asyncio.create_task(follow(target)) for target in targets]
    await all_live.wait()
    ready.set()
    await asyncio.to_thread(stop.wait)
    for task in tasks:
        task.cancel()
    results.put(arrivals)


@dataclass
class Figures:
    name: str
    streams: int
    calls: int
    frames: int
    from_sent: list[float]
    from_answer: list[float]
    late: int
    rss_before: float
    rss_open: float
    cpu_per_call_ms: float

    def lines(self) -> list[str]:
        s, a = self.from_sent, self.from_answer
        return [
            f"{self.name}: {self.streams} streams, {self.calls} calls, {self.frames} frames"
            f" delivered ({self.frames / max(self.calls, 1):.0f} per call)",
            f"  delivery from the call sent:  p50 {percentile(s, 0.5):6.1f} ms"
            f"  p99 {percentile(s, 0.99):6.1f} ms  max {max(s):6.1f} ms"
            f"  ({self.late} slower than the gap)",
            f"  delivery from its answer:     p50 {percentile(a, 0.5):6.1f} ms"
            f"  p99 {percentile(a, 0.99):6.1f} ms",
            f"  server RSS: {self.rss_before:.1f} MB before, {self.rss_open:.1f} MB with the"
            f" streams open (+{(self.rss_open - self.rss_before) * 1024 / self.streams:.1f} KB"
            " per stream)",
            f"  server CPU per call, its deliveries included: {self.cpu_per_call_ms:.1f} ms",
        ]


async def run(kind: str, streams: int, calls: int, gap: float) -> Figures:
    """One fresh server, ``streams`` streams of ``kind``, ``calls`` calls: the figures."""
    with tempfile.TemporaryDirectory(prefix="turnero-bench-phones-") as folder:
        config = Path(folder) / "office.toml"
        config.write_text(office_toml(Path(folder) / "turnero.db"), encoding="utf-8")
        server = ServerProcess(config).start()
        try:
            assert server.process is not None
            pid = server.process.pid
            tickets = await _issue(server.url, streams + calls)
            targets = [BRANCH] * streams if kind == "branch" else tickets[:streams]
            rss_before = rss_mb(pid)
            context = multiprocessing.get_context("spawn")
            results, ready, stop = context.Queue(), context.Event(), context.Event()
            reader = context.Process(
                target=read_streams,
                args=(server.url, kind, targets, results, ready, stop),
                daemon=True,
            )
            reader.start()
            if not await asyncio.to_thread(ready.wait, 300):
                raise SystemExit(f"the {kind} streams did not all open")
            rss_open = rss_mb(pid)
            cpu_start = cpu_seconds(pid)
            sent, answered = await _calls(server.url, calls, gap)
            await asyncio.sleep(max(gap, 1.0))  # the last call's deliveries
            cpu = cpu_seconds(pid) - cpu_start
            stop.set()
            arrivals: list[float] = await asyncio.to_thread(results.get, True, 120)
            reader.join(10)
        finally:
            server.stop()
    from_sent, from_answer = [], []
    for at in arrivals:
        call = bisect_right(sent, at) - 1
        if call >= 0:
            from_sent.append((at - sent[call]) * 1000)
            from_answer.append(max(at - answered[call], 0.0) * 1000)
    name = "baseline, branch streams" if kind == "branch" else "phones, ticket streams"
    return Figures(
        name=name,
        streams=streams,
        calls=calls,
        frames=len(from_sent),
        from_sent=from_sent,
        from_answer=from_answer,
        late=sum(1 for ms in from_sent if ms > gap * 1000),
        rss_before=rss_before,
        rss_open=rss_open,
        cpu_per_call_ms=cpu * 1000 / calls,
    )


async def _issue(url: str, count: int) -> list[str]:
    """``count`` waiting tickets dealt round the services; their ids."""
    ids = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for i in range(count):
            response = await http.post(
                f"/api/v1/branches/{BRANCH}/tickets",
                json={"service": SERVICES[i % len(SERVICES)][0]},
                headers={
                    "Authorization": f"Bearer {kiosk_token(0)}",
                    "Idempotency-Key": f"bench-{i}",
                },
            )
            response.raise_for_status()
            ids.append(response.json()["id"])
    return ids


async def _calls(url: str, calls: int, gap: float) -> tuple[list[float], list[float]]:
    """``calls`` calls ``gap`` seconds apart, the counters taking turns (admin acts on any):
    when each was sent and answered."""
    sent: list[float] = []
    answered: list[float] = []
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    turn = 0
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for _ in range(calls):
            while True:
                counter = 1 + turn % COUNTERS
                turn += 1
                begun = time.monotonic()
                response = await http.post(
                    f"/api/v1/branches/{BRANCH}/counters/{counter}/next", headers=admin
                )
                if response.status_code == 200:
                    break
            sent.append(begun)
            answered.append(time.monotonic())
            await asyncio.sleep(gap)
    return sent, answered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between two calls")
    args = parser.parse_args()
    raise_open_files_limit()
    for kind in ("branch", "ticket"):
        figures = asyncio.run(run(kind, args.streams, args.calls, args.gap))
        print("\n".join(figures.lines()), flush=True)


if __name__ == "__main__":
    main()
