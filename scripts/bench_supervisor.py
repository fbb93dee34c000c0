"""Benchmark of the supervisor's reads, and of issuing with the KPI watch behind every change.

Runs a real server (the example office on a temporary SQLite file, kiosks unlimited), issues
``--tickets`` tickets and calls a third of them, then times each supervisor read:

    .venv/bin/python -m scripts.bench_supervisor [--tickets 1000] [--repeat 10]

Prints the median and p90 of an issue, and the median of GET /kpis, /kpis?detail=charts,
/staffing and /devices with that many tickets today.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from turnero.local_server import ServerProcess, office_file

KIOSK, COUNTER, SUPERVISOR = "demo-kiosk-centro", "demo-counter-centro-1", "demo-supervisor"
SERVICES = ("licencias", "pagos", "registro")
READS = ("/kpis", "/kpis?detail=charts", "/staffing", "/devices")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def run(tickets: int, repeat: int) -> None:
    """Fill a branch's day, then time issuing and each supervisor read."""
    folder = Path(tempfile.mkdtemp(prefix="bench-supervisor-"))
    server = ServerProcess(office_file(folder, folder / "turnero.db", kiosk_tickets_per_minute=0))
    server.start()
    try:
        with httpx.Client(base_url=f"{server.url}/api/v1/branches/centro", timeout=30) as http:
            issued = []
            for n in range(tickets):
                began = time.perf_counter()
                http.post(
                    "/tickets",
                    json={"service": SERVICES[n % len(SERVICES)]},
                    headers={**bearer(KIOSK), "Idempotency-Key": uuid.uuid4().hex},
                ).raise_for_status()
                issued.append(time.perf_counter() - began)
            for _ in range(tickets // 3):
                http.post("/counters/1/next", headers=bearer(COUNTER))
            ordered = sorted(issued)
            print(
                f"issue: median {statistics.median(ordered) * 1000:.1f} ms,"
                f" p90 {ordered[int(len(ordered) * 0.9)] * 1000:.1f} ms"
            )
            for path in READS:
                times = []
                for _ in range(repeat):
                    began = time.perf_counter()
                    http.get(path, headers=bearer(SUPERVISOR)).raise_for_status()
                    times.append(time.perf_counter() - began)
                print(
                    f"GET {path}: median {statistics.median(times) * 1000:.1f} ms"
                    f" ({tickets} tickets today)"
                )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    options = parser.parse_args()
    run(options.tickets, options.repeat)


if __name__ == "__main__":
    main()
