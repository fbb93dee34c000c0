"""Benchmark of the queue API (issue #2): one run prints every figure and checks the targets.

    .venv/bin/python scripts/bench_api.py [--seconds 5] [--streams 200] [--calls 100]

It starts ``turnero server`` as a child process on a temporary SQLite file (an office like the
example one, with 20 counters so that 20 clerks can press *Next* at once), then measures:

- ticket issue: throughput and p50/p99 latency with 8 concurrent kiosks;
- the same load on ``GET /api/v1/health`` as the baseline, and the ratio issue / baseline;
- ``next`` throughput with 20 counters calling at once;
- event delivery latency (the ``next`` call answered -> ``ticket.called`` received on a stream),
  p50/p99 over every stream, with 200 event streams open; the streams are read by a separate
  process so that their parsing does not delay the calls being timed;
- the server's resident memory (VmRSS) with those streams open.

Targets on a 2-core machine: issue >= 40 % of the baseline, event p99 <= 50 ms, RSS <= 150 MB.
The load generator shares the machine with the server, so the figures are a floor; the server's
CPU per request (from /proc) is printed too, as it does not depend on the load generator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from turnero.local_server import ServerProcess

BRANCH = "centro"
SERVICES = (("licencias", "A"), ("pagos", "B"), ("registro", "C"))
COUNTERS = 20
KIOSKS = 8
KIOSK_TOKEN = "bench-kiosk"
DISPLAY_TOKEN = "bench-display"
ADMIN_TOKEN = "bench-admin"

ISSUE_SHARE_TARGET = 0.40
EVENT_P99_TARGET_MS = 50.0
RSS_TARGET_MB = 150.0


def counter_token(n: int) -> str:
    return f"bench-counter-{n}"


def office_toml(database: Path) -> str:
    """The bench office: three services, 20 counters with their own tokens."""
    lines = [
        "[server]",
        f'database = "sqlite:///{database}"',
        "kiosk_tickets_per_minute = 0",  # the benchmark is the crowd: no per-kiosk limit
        # Every device of the crowd connects from this one machine.
        "connections_per_address = 100000",
        "streams_per_address = 100000",
        'timezone = "America/Mexico_City"',
        "[[branches]]",
        f'id = "{BRANCH}"',
        'name = "Oficina Centro"',
    ]
    for service, prefix in SERVICES:
        lines += [
            "[[branches.services]]",
            f'id = "{service}"',
            f'prefix = "{prefix}"',
            f'name = {{ es = "{service}" }}',
        ]
    names = [service for service, _ in SERVICES]
    for n in range(1, COUNTERS + 1):
        served = json.dumps([names[(n + i) % 3] for i in range(1 + n % 3)])
        lines += ["[[branches.counters]]", f'id = "{n}"', f'label = "Ventanilla {n}"']
        lines += [f"services = {served}"]
    devices = [("kiosk", "kiosk", KIOSK_TOKEN), ("display", "display", DISPLAY_TOKEN)]
    for name, role, token in devices:
        lines += ["[[devices]]", f'name = "{name}"', f'role = "{role}"', f'branch = "{BRANCH}"']
        lines += [f'token = "{token}"']
    lines += ["[[devices]]", 'name = "admin"', 'role = "admin"', f'token = "{ADMIN_TOKEN}"']
    for n in range(1, COUNTERS + 1):
        lines += ["[[devices]]", f'name = "counter-{n}"', 'role = "counter"']
        lines += [f'branch = "{BRANCH}"', f'counter = "{n}"', f'token = "{counter_token(n)}"']
    return "\n".join(lines) + "\n"


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` from /proc (VmRSS, in MB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by ``pid`` (from /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(int(-(-share * len(ordered) // 1)) - 1, 0)
    return ordered[rank]


@dataclass
class Load:
    name: str
    done: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_ms: float = float("nan")
    """Server CPU per request: what the server can sustain whatever the load generator does."""

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    def line(self) -> str:
        return (
            f"{self.name:<34} {self.rate:8.1f} req/s"
            f"   p50 {percentile(self.latencies_ms, 0.5):6.1f} ms"
            f"   p99 {percentile(self.latencies_ms, 0.99):6.1f} ms"
            f"   server CPU {self.server_cpu_ms:4.2f} ms/req   ({self.done} requests)"
        )


async def run_load(
    name: str,
    workers: int,
    seconds: float,
    request: Callable[[httpx.AsyncClient, int, int], Awaitable[bool]],
    base_url: str,
    server_pid: int,
) -> Load:
    """``workers`` loops calling ``request(http, worker, i)`` for ``seconds`` (or until it
    answers False); every answer is timed."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=workers + 4, max_keepalive_connections=workers + 4)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:
        started = time.perf_counter()
        cpu_before = cpu_seconds(server_pid)
        stop_at = started + seconds

        async def worker(n: int) -> None:
            i = 0
            while time.perf_counter() < stop_at:
                begun = time.perf_counter()
                more = await request(http, n, i)
                latencies.append((time.perf_counter() - begun) * 1000)
                i += 1
                if not more:
                    return

        await asyncio.gather(*(worker(n) for n in range(workers)))
        elapsed = time.perf_counter() - started
        cpu_ms = (cpu_seconds(server_pid) - cpu_before) * 1000 / max(len(latencies), 1)
    return Load(name, len(latencies), elapsed, latencies, cpu_ms)


async def health(http: httpx.AsyncClient, worker: int, i: int) -> bool:
    response = await http.get("/api/v1/health")
    assert response.status_code == 200, response.text
    return True


async def issue(http: httpx.AsyncClient, worker: int, i: int) -> bool:
    response = await http.post(
        f"/api/v1/branches/{BRANCH}/tickets",
        json={"service": SERVICES[(worker + i) % 3][0]},
        headers={
            "Authorization": f"Bearer {KIOSK_TOKEN}",
            "Idempotency-Key": f"bench-{worker}-{i}-{time.time_ns()}",
        },
    )
    assert response.status_code == 201, response.text
    return True


async def call_next(http: httpx.AsyncClient, worker: int, i: int) -> bool:
    counter = worker + 1
    response = await http.post(
        f"/api/v1/branches/{BRANCH}/counters/{counter}/next",
        headers={"Authorization": f"Bearer {counter_token(counter)}"},
    )
    assert response.status_code in (200, 204), response.text
    return response.status_code == 200


# Event delivery ---------------------------------------------------------------------------


def read_streams(base_url: str, streams: int, expected: int, results, ready) -> None:
    """Child process: open ``streams`` event streams, note when each ``ticket.called`` arrives
    (monotonic clock, shared by processes on Linux), and send them back."""
    asyncio.run(_read_streams(base_url, streams, expected, results, ready))


CALLED = re.compile(rb'event: ticket\.called\ndata: \{"ticket":\{"id":"([^"]+)"')


async def _read_streams(base_url: str, streams: int, expected: int, results, ready) -> None:
    # Raw sockets and a regex rather than an HTTP client: parsing 200 streams with httpx costs
    # more CPU than the server spends sending them, and the figure would measure the reader.
    host, port = base_url.removeprefix("http://").split(":")
    request = (
        f"GET /api/v1/branches/{BRANCH}/events HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {DISPLAY_TOKEN}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()
    arrivals: list[tuple[str, float]] = []
    connected = 0
    all_connected = asyncio.Event()

    async def follow() -> None:
        nonlocal connected
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(request)
        buffer = b""
        seen = 0
        greeted = False
        while seen < expected:
            chunk = await reader.read(65536)
            if not chunk:
                raise SystemExit("an event stream ended early")
            now = time.monotonic()
            buffer += chunk
            if not greeted and b": connected" in buffer:
                greeted = True
                connected += 1
                if connected == streams:
                    all_connected.set()
            end = 0
            for match in CALLED.finditer(buffer):
                arrivals.append((match.group(1).decode(), now))
                seen += 1
                end = match.end()
            buffer = buffer[end:] if end else buffer[-4096:]
        writer.close()

    tasks = [asyncio.create_task(follow()) for _ in range(streams)]
    await all_connected.wait()
    ready.set()
    await asyncio.gather(*tasks)
    results.put(arrivals)


async def event_latency(
    base_url: str, server_pid: int, streams: int, calls: int
) -> tuple[list[float], list[float], float, float]:
    """Latencies (ms) to each ``ticket.called`` on every stream, from the ``next`` answer and
    from the ``next`` sent; the server's RSS with the streams open, and before."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        for i in range(calls):  # a waiting ticket for every call to come
            await issue(http, i % KIOSKS, i)
    rss_before = rss_mb(server_pid)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    ready = context.Event()
    reader = context.Process(
        target=read_streams, args=(base_url, streams, calls, results, ready), daemon=True
    )
    reader.start()
    if not await asyncio.to_thread(ready.wait, 60):
        raise SystemExit("the event streams did not all connect")
    rss_open = rss_mb(server_pid)
    answered: dict[str, float] = {}
    sent: dict[str, float] = {}
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        # Counters 1..20 take turns (admin may act on any): one call every 25 ms, as a busy
        # office would never see, so that each delivery is measured on its own.
        made = 0
        counter = 0
        while made < calls:
            counter = counter % COUNTERS + 1
            begun = time.monotonic()
            response = await http.post(
                f"/api/v1/branches/{BRANCH}/counters/{counter}/next", headers=admin
            )
            if response.status_code == 200:
                ticket = response.json()["id"]
                answered[ticket] = time.monotonic()
                sent[ticket] = begun
                made += 1
            await asyncio.sleep(0.025)
    arrivals = await asyncio.to_thread(results.get, True, 120)
    reader.join(10)
    # The server publishes on commit, before it answers: an event often arrives before the
    # answer does, which counts as 0 here; from the call sent is the bound a clerk could see.
    after_answer = [max(at - answered[ticket], 0.0) * 1000 for ticket, at in arrivals]
    after_sent = [(at - sent[ticket]) * 1000 for ticket, at in arrivals]
    return after_answer, after_sent, rss_open, rss_before


async def bench(seconds: float, streams: int, calls: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="turnero-bench-") as folder:
        config = Path(folder) / "office.toml"
        config.write_text(office_toml(Path(folder) / "turnero.db"), encoding="utf-8")
        server_process = ServerProcess(config).start(timeout=30.0)
        base_url = server_process.url
        assert server_process.process is not None
        server = server_process.process
        try:
            print(f"turnero server pid {server.pid} on {base_url}, {os.cpu_count()} CPUs")
            print(f"RSS at start: {rss_mb(server.pid):.1f} MB\n")
            baseline = await run_load(
                f"GET /health, {KIOSKS} clients", KIOSKS, seconds, health, base_url, server.pid
            )
            print(baseline.line())
            issued = await run_load(
                f"POST tickets, {KIOSKS} kiosks", KIOSKS, seconds, issue, base_url, server.pid
            )
            print(issued.line())
            share = issued.rate / baseline.rate
            print(
                f"{'issue / baseline':<34} {share:8.0%}   by server CPU per request:"
                f" {baseline.server_cpu_ms / issued.server_cpu_ms:.0%}"
            )
            nexts = await run_load(
                f"POST next, {COUNTERS} counters",
                COUNTERS,
                seconds,
                call_next,
                base_url,
                server.pid,
            )
            print(nexts.line())
            latencies, from_sent, rss_open, rss_before = await event_latency(
                base_url, server.pid, streams, calls
            )
            p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
            early = sum(1 for value in latencies if value == 0.0)
            print(
                f"{'event after the answer, ' + str(streams) + ' streams':<34} p50 {p50:6.1f} ms"
                f"   p99 {p99:6.1f} ms   max {max(latencies):6.1f} ms"
                f"   ({len(latencies)} deliveries of {calls} calls, {early} before the answer)"
            )
            print(
                f"{'event after the call was sent':<34} p50 {percentile(from_sent, 0.5):6.1f} ms"
                f"   p99 {percentile(from_sent, 0.99):6.1f} ms   max {max(from_sent):6.1f} ms"
            )
            print(
                f"{'RSS with the streams open':<34} {rss_open:8.1f} MB"
                f"   (before opening them: {rss_before:.1f} MB)"
            )
        finally:
            server_process.stop()
    checks = [
        (f"issue >= {ISSUE_SHARE_TARGET:.0%} of baseline", share >= ISSUE_SHARE_TARGET),
        (f"event p99 <= {EVENT_P99_TARGET_MS:.0f} ms", p99 <= EVENT_P99_TARGET_MS),
        (f"RSS <= {RSS_TARGET_MB:.0f} MB", rss_open <= RSS_TARGET_MB),
        (f"every stream got every call ({streams * calls})", len(latencies) == streams * calls),
    ]
    print()
    for name, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {name}")
    return all(ok for _, ok in checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each load phase")
    parser.add_argument("--streams", type=int, default=200, help="open event streams")
    parser.add_argument("--calls", type=int, default=100, help="calls timed for event delivery")
    args = parser.parse_args()
    ok = asyncio.run(bench(args.seconds, args.streams, args.calls))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
