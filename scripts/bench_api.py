"""Benchmark of the queue API (issue #2): one run prints every figure and checks the targets.

    .venv/bin/python -m scripts.bench_api [--seconds 5] [--streams 200] [--calls 100]
        [--postgres 1,2,4] [--postgres-streams 2000] [--no-sqlite]

It starts ``turnero server`` as a child process on a temporary SQLite file (an office like the
example one, with 20 counters so that 20 clerks can press *Next* at once), then measures:

- ticket issue: throughput and p50/p99 latency with 8 concurrent kiosks;
- the same load on ``GET /api/v1/health`` as the baseline, and the ratio issue / baseline;
- ``next`` throughput with 20 counters calling at once;
- event delivery latency (the ``next`` call answered -> ``ticket.called`` received on a stream),
  p50/p99 over every stream, with 200 event streams open; the streams are read by a separate
  process so that their parsing does not delay the calls being timed;
- the server's resident memory (VmRSS) with those streams open.

Then the same load on PostgreSQL (a throwaway cluster, ``--postgres 1,2,4``) with 1, 2 and 4
server processes, the clients spread over them, on an office of ``PG_BRANCHES`` (8) branches
with the 20 counters and the kiosks dealt round them (an organisation's load spreads over its
branches, and a branch's writers take turns): issue and ``next`` throughput with p50/p99, event
delivery p99 with ``--postgres-streams`` (2,000) streams spread over the servers and branches
while the calls, dealt round the branches, go through the first server (the other servers'
streams are the cross-server figure), RSS per server, and numbers or calls found twice.

Targets on a 2-core machine: issue >= 40 % of the baseline, event p99 <= 50 ms, RSS <= 150 MB;
PostgreSQL: ``next`` with 2 processes >= 1.3x one process, cross-server event p99 <= 50 ms,
0 duplicates.
The load generator shares the machine with the server, so the figures are a floor; the server's
CPU per request (from /proc) is printed too, as it does not depend on the load generator.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
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

from queue_api.stats import percentile
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


PG_BRANCHES = 8
"""Branches of the PostgreSQL runs: an organisation's load spreads over its offices, and each
branch's writers take turns (its lock), so one branch alone would measure one lock."""


def counter_token(n: int) -> str:
    return f"bench-counter-{n}"


def branch_name(index: int) -> str:
    """The id of the bench office's branch ``index`` (0 is ``BRANCH``)."""
    return BRANCH if index == 0 else f"oficina-{index + 1}"


def counter_branch(n: int, branches: int) -> int:
    """The branch of counter ``n`` (1..COUNTERS): the counters are dealt round the branches."""
    return (n - 1) % branches


def kiosk_token(index: int) -> str:
    return KIOSK_TOKEN if index == 0 else f"{KIOSK_TOKEN}-{index + 1}"


def display_token(index: int) -> str:
    return DISPLAY_TOKEN if index == 0 else f"{DISPLAY_TOKEN}-{index + 1}"


def office_toml(database: Path | str, branches: int = 1) -> str:
    """The bench office: ``branches`` branches of three services, 20 counters dealt round them
    with their own tokens, a kiosk and a display per branch; on a SQLite file, or on
    ``database`` when it is a ``postgresql://`` URL."""
    url = database if str(database).startswith("postgresql://") else f"sqlite:///{database}"
    lines = [
        "[server]",
        f'database = "{url}"',
        "kiosk_tickets_per_minute = 0",  # the benchmark is the crowd: no per-kiosk limit
        # Every device of the crowd connects from this one machine.
        "connections_per_address = 100000",
        "streams_per_address = 100000",
        'timezone = "America/Mexico_City"',
    ]
    names = [service for service, _ in SERVICES]
    for index in range(branches):
        lines += ["[[branches]]", f'id = "{branch_name(index)}"', f'name = "Oficina {index + 1}"']
        for service, prefix in SERVICES:
            lines += [
                "[[branches.services]]",
                f'id = "{service}"',
                f'prefix = "{prefix}"',
                f'name = {{ es = "{service}" }}',
            ]
        for n in range(1, COUNTERS + 1):
            if counter_branch(n, branches) != index:
                continue
            served = json.dumps([names[(n + i) % 3] for i in range(1 + n % 3)])
            lines += ["[[branches.counters]]", f'id = "{n}"', f'label = "Ventanilla {n}"']
            lines += [f"services = {served}"]
    for index in range(branches):
        branch = branch_name(index)
        suffix = "" if index == 0 else f"-{index + 1}"
        devices = [
            (f"kiosk{suffix}", "kiosk", kiosk_token(index)),
            (f"display{suffix}", "display", display_token(index)),
        ]
        for name, role, token in devices:
            lines += ["[[devices]]", f'name = "{name}"', f'role = "{role}"', f'branch = "{branch}"']
            lines += [f'token = "{token}"']
    lines += ["[[devices]]", 'name = "admin"', 'role = "admin"', f'token = "{ADMIN_TOKEN}"']
    for n in range(1, COUNTERS + 1):
        branch = branch_name(counter_branch(n, branches))
        lines += ["[[devices]]", f'name = "counter-{n}"', 'role = "counter"']
        lines += [f'branch = "{branch}"', f'counter = "{n}"', f'token = "{counter_token(n)}"']
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
        ms = self.latencies_ms or [math.nan]  # NaN says no request got through
        return (
            f"{self.name:<34} {self.rate:8.1f} req/s"
            f"   p50 {percentile(ms, 0.5):6.1f} ms"
            f"   p99 {percentile(ms, 0.99):6.1f} ms"
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
    return await spread_load(name, workers, seconds, request, [base_url], [server_pid])


async def health(http: httpx.AsyncClient, worker: int, i: int) -> bool:
    response = await http.get("/api/v1/health")
    assert response.status_code == 200, response.text
    return True


async def issue(http: httpx.AsyncClient, worker: int, i: int, branches: int = 1) -> bool:
    """Kiosk ``worker`` issues its ``i``-th ticket, at branch ``worker % branches``."""
    index = worker % branches
    response = await http.post(
        f"/api/v1/branches/{branch_name(index)}/tickets",
        json={"service": SERVICES[(worker + i) % 3][0]},
        headers={
            "Authorization": f"Bearer {kiosk_token(index)}",
            "Idempotency-Key": f"bench-{worker}-{i}-{time.time_ns()}",
        },
    )
    assert response.status_code == 201, response.text
    return True


async def call_next(http: httpx.AsyncClient, worker: int, i: int, branches: int = 1) -> bool:
    """Counter ``worker + 1`` calls its next ticket; False once its queue is empty."""
    counter = worker + 1
    branch = branch_name(counter_branch(counter, branches))
    response = await http.post(
        f"/api/v1/branches/{branch}/counters/{counter}/next",
        headers={"Authorization": f"Bearer {counter_token(counter)}"},
    )
    assert response.status_code in (200, 204), response.text
    return response.status_code == 200


# Event delivery ---------------------------------------------------------------------------


def read_streams(base_urls: list[str], plan: list[tuple[int, int, int]], results, ready) -> None:
    """Child process: open an event stream per ``plan`` entry (server index, branch index,
    ``ticket.called`` events to wait for), note when each ``ticket.called`` arrives (monotonic
    clock, shared by processes on Linux) and on which server's stream, and send them back."""
    asyncio.run(_read_streams(base_urls, plan, results, ready))


def stream_plan(
    servers: int, streams: int, calls: int, branches: int
) -> list[tuple[int, int, int]]:
    """Stream k on server k % servers, following branch k % branches, where call i is made
    (``deliveries``): (server, branch, calls it will see) per stream."""
    made = [sum(1 for i in range(calls) if i % branches == b) for b in range(branches)]
    return [(k % servers, k % branches, made[k % branches]) for k in range(streams)]


CALLED = re.compile(rb'event: ticket\.called\ndata: \{"ticket":\{"id":"([^"]+)"')


async def _read_streams(
    base_urls: list[str], plan: list[tuple[int, int, int]], results, ready
) -> None:
    # Raw sockets and a regex rather than an HTTP client: parsing 200 streams with httpx costs
    # more CPU than the server spends sending them, and the figure would measure the reader.
    arrivals: list[tuple[str, float, int]] = []
    connected = 0
    all_connected = asyncio.Event()

    streams = len(plan)

    async def follow(server: int, branch: int, expected: int) -> None:
        nonlocal connected
        host, port = base_urls[server].removeprefix("http://").split(":")
        request = (
            f"GET /api/v1/branches/{branch_name(branch)}/events HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {display_token(branch)}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()
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
                arrivals.append((match.group(1).decode(), now, server))
                seen += 1
                end = match.end()
            buffer = buffer[end:] if end else buffer[-4096:]
        writer.close()

    tasks = [asyncio.create_task(follow(*entry)) for entry in plan]
    await all_connected.wait()
    ready.set()
    await asyncio.gather(*tasks)
    results.put(arrivals)


async def event_latency(
    base_url: str, server_pid: int, streams: int, calls: int
) -> tuple[list[float], list[float], float, float]:
    """Latencies (ms) to each ``ticket.called`` on every stream, from the ``next`` answer and
    from the ``next`` sent; the server's RSS with the streams open, and before."""
    arrivals, answered, sent, rss_open, rss_before = await deliveries(
        [base_url], [server_pid], streams, calls
    )
    # The server publishes on commit, before it answers: an event often arrives before the
    # answer does, which counts as 0 here; from the call sent is the bound a clerk could see.
    after_answer = [max(at - answered[ticket], 0.0) * 1000 for ticket, at, _ in arrivals]
    after_sent = [(at - sent[ticket]) * 1000 for ticket, at, _ in arrivals]
    return after_answer, after_sent, rss_open[0], rss_before[0]


async def deliveries(
    base_urls: list[str], server_pids: list[int], streams: int, calls: int, branches: int = 1
) -> tuple[list[tuple[str, float, int]], dict[str, float], dict[str, float], list[float], list]:
    """``calls`` calls through the first server, call i at branch i % ``branches``, followed
    by ``streams`` event streams spread over every server and branch (``stream_plan``): each
    arrival (ticket, when, server index), when each call was answered and sent, and every
    server's RSS with the streams open and before."""
    base_url = base_urls[0]
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        for i in range(calls):  # a waiting ticket at its branch for every call to come
            await issue(http, i % (KIOSKS * branches), i, branches)
    rss_before = [rss_mb(pid) for pid in server_pids]
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    ready = context.Event()
    reader = context.Process(
        target=read_streams,
        args=(base_urls, stream_plan(len(base_urls), streams, calls, branches), results, ready),
        daemon=True,
    )
    reader.start()
    if not await asyncio.to_thread(ready.wait, 60):
        raise SystemExit("the event streams did not all connect")
    rss_open = [rss_mb(pid) for pid in server_pids]
    answered: dict[str, float] = {}
    sent: dict[str, float] = {}
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        # Each branch's counters take turns (admin may act on any): one call every 25 ms, as a
        # busy office would never see, so that each delivery is measured on its own.
        turns = [0] * branches
        for i in range(calls):
            index = i % branches
            mine = [n for n in range(1, COUNTERS + 1) if counter_branch(n, branches) == index]
            while True:  # a counter that serves none of the waiting tickets' services: the next
                counter = mine[turns[index] % len(mine)]
                turns[index] += 1
                begun = time.monotonic()
                response = await http.post(
                    f"/api/v1/branches/{branch_name(index)}/counters/{counter}/next",
                    headers=admin,
                )
                if response.status_code == 200:
                    break
            ticket = response.json()["id"]
            answered[ticket] = time.monotonic()
            sent[ticket] = begun
            await asyncio.sleep(0.025)
    arrivals = await asyncio.to_thread(results.get, True, 120)
    reader.join(10)
    return arrivals, answered, sent, rss_open, rss_before


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


# Several servers on one PostgreSQL --------------------------------------------------------

NEXT_SCALE_TARGET = 1.3
"""PostgreSQL, ``next`` with 2 server processes against 1."""


async def spread_load(
    name: str,
    workers: int,
    seconds: float,
    request: Callable[[httpx.AsyncClient, int, int], Awaitable[bool]],
    base_urls: list[str],
    server_pids: list[int],
) -> Load:
    """``run_load`` with the workers spread over several servers (worker n on server n % N)."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=workers + 4, max_keepalive_connections=workers + 4)
    clients = [httpx.AsyncClient(base_url=url, limits=limits, timeout=30) for url in base_urls]
    try:
        started = time.perf_counter()
        cpu_before = sum(cpu_seconds(pid) for pid in server_pids)
        stop_at = started + seconds

        async def worker(n: int) -> None:
            http = clients[n % len(clients)]
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
        cpu = sum(cpu_seconds(pid) for pid in server_pids) - cpu_before
    finally:
        for http in clients:
            await http.aclose()
    return Load(name, len(latencies), elapsed, latencies, cpu * 1000 / max(len(latencies), 1))


def duplicates(url: str) -> tuple[int, int]:
    """Numbers given twice and tickets called twice, counted in the database itself."""
    import psycopg

    with psycopg.connect(url) as conn:
        numbers = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM tickets GROUP BY branch, day, number"
            " HAVING count(*) > 1) AS twice"
        ).fetchone()
        calls = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM events WHERE type = 'ticket.called'"
            " GROUP BY branch, data->'ticket'->>'id' HAVING count(*) > 1) AS twice"
        ).fetchone()
    return int(numbers[0] if numbers else 0), int(calls[0] if calls else 0)


@dataclass
class SharedRun:
    servers: int
    issued: Load
    nexts: Load
    event_p99_ms: float
    cross_p99_ms: float
    deliveries: int
    expected: int
    rss_mb: list[float]
    twice: tuple[int, int]


def spread(
    request: Callable[..., Awaitable[bool]],
) -> Callable[[httpx.AsyncClient, int, int], Awaitable[bool]]:
    """``request`` on the PostgreSQL runs' ``PG_BRANCHES`` branches."""
    return functools.partial(request, branches=PG_BRANCHES)


async def shared_run(
    cluster, servers: int, seconds: float, streams: int, calls: int, folder: Path
) -> SharedRun:
    """``servers`` processes on one fresh database: issue, next, cross-server events, RSS."""
    url = cluster.database()
    config = folder / f"office-{servers}.toml"
    config.write_text(office_toml(url, PG_BRANCHES), encoding="utf-8")
    processes = [ServerProcess(config) for _ in range(servers)]
    try:
        for process in processes:
            process.start(timeout=30.0)
        urls = [p.url for p in processes]
        pids = [p.process.pid for p in processes if p.process]
        issued = await spread_load(
            f"POST tickets, {KIOSKS} kiosks", KIOSKS, seconds, spread(issue), urls, pids
        )
        nexts = await spread_load(
            f"POST next, {COUNTERS} counters", COUNTERS, seconds, spread(call_next), urls, pids
        )
        arrivals, answered, _, rss_open, _ = await deliveries(
            urls, pids, streams, calls, PG_BRANCHES
        )
    finally:
        for process in processes:
            process.stop()
    latency = [max(at - answered[ticket], 0.0) * 1000 for ticket, at, _ in arrivals]
    # Calls go through the first server: streams on the others measure the way across.
    cross = [max(at - answered[t], 0.0) * 1000 for t, at, server in arrivals if server != 0]
    return SharedRun(
        servers,
        issued,
        nexts,
        percentile(latency or [math.nan], 0.99),
        percentile(cross or latency or [math.nan], 0.99),
        len(arrivals),
        sum(seen for _, _, seen in stream_plan(servers, streams, calls, PG_BRANCHES)),
        rss_open,
        duplicates(url),
    )


async def bench_shared(seconds: float, streams: int, calls: int, counts: list[int]) -> bool:
    """The same load on PostgreSQL with 1, 2, 4... server processes."""
    from scripts.pg_cluster import PgCluster

    print(
        f"\nPostgreSQL (throwaway cluster), {PG_BRANCHES} branches with {COUNTERS} counters"
        f" dealt round them; {streams} streams spread over the servers and branches"
    )
    cluster = PgCluster().start()
    runs: list[SharedRun] = []
    try:
        with tempfile.TemporaryDirectory(prefix="turnero-bench-") as folder:
            for servers in counts:
                run = await shared_run(cluster, servers, seconds, streams, calls, Path(folder))
                runs.append(run)
                print(f"\n{servers} server process{'es' if servers > 1 else ''}:")
                print(run.issued.line())
                print(run.nexts.line())
                print(
                    f"{'event after the answer':<34} p99 {run.event_p99_ms:6.1f} ms"
                    f"   on another server's streams p99 {run.cross_p99_ms:6.1f} ms"
                    f"   ({run.deliveries} of {run.expected} deliveries)"
                )
                rss = ", ".join(f"{mb:.0f}" for mb in run.rss_mb)
                print(f"{'RSS per server, streams open':<34} {rss} MB")
                print(f"{'numbers twice, tickets called twice':<34} {run.twice[0]}, {run.twice[1]}")
    finally:
        cluster.remove()
    by_count = {run.servers: run for run in runs}
    checks = []
    if 1 in by_count and 2 in by_count:
        scale = by_count[2].nexts.rate / by_count[1].nexts.rate
        print(f"\nnext, 2 processes / 1 process: {scale:.2f}x")
        checks.append(
            (f"PostgreSQL next 2 processes >= {NEXT_SCALE_TARGET}x 1", scale >= NEXT_SCALE_TARGET)
        )
    worst = max(run.cross_p99_ms for run in runs)
    checks += [
        (f"cross-server event p99 <= {EVENT_P99_TARGET_MS:.0f} ms", worst <= EVENT_P99_TARGET_MS),
        ("every stream got every call", all(r.deliveries == r.expected for r in runs)),
        ("0 numbers twice, 0 tickets called twice", all(r.twice == (0, 0) for r in runs)),
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
    parser.add_argument(
        "--postgres",
        default="1,2,4",
        help="PostgreSQL server process counts to run after SQLite ('' for none)",
    )
    parser.add_argument(
        "--postgres-streams", type=int, default=2000, help="streams spread over the servers"
    )
    parser.add_argument("--no-sqlite", action="store_true", help="only the PostgreSQL runs")
    args = parser.parse_args()
    ok = True
    if not args.no_sqlite:
        ok = asyncio.run(bench(args.seconds, args.streams, args.calls))
    counts = [int(n) for n in args.postgres.split(",") if n.strip()]
    if counts:
        shared = asyncio.run(bench_shared(args.seconds, args.postgres_streams, args.calls, counts))
        ok = shared and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
