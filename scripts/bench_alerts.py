"""How long ``GET /api/v1/branches/{b}/alerts`` takes when the log holds many alerts (issue #11).

    .venv/bin/python scripts/bench_alerts.py [--alerts 20000] [--calls 50]

Writes the alerts straight through the office (the server's per-device limit would take hours
over HTTP), 8 devices with two parts each, faults and clears alternating, then starts
``turnero server`` on that file and times the call: median and worst of ``--calls`` calls.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from queue_api.config import load_office_config
from queue_api.office import Office
from queue_api.schema import AlertIn
from queue_api.store.sqlite import SqliteStore
from turnero.local_server import ServerProcess, office_file

BRANCH = "centro"
ADMIN_TOKEN = "demo-admin-token"


def fill(config: Path, database: Path, count: int) -> None:
    store = SqliteStore(database)
    office = Office(load_office_config(config), store)
    kinds = ("printer.paper_out", "printer.ok", "board.lost", "board.ok")
    for n in range(count):
        alert = AlertIn(device=f"device-{n % 8}", kind=kinds[n % 4], detail="x" * 40)
        office.alert(BRANCH, "kiosk", alert)
    store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "turnero.db"
        config = office_file(Path(folder), database)
        started = time.perf_counter()
        fill(config, database, args.alerts)
        print(f"wrote {args.alerts} alerts in {time.perf_counter() - started:.1f} s")
        server = ServerProcess(config).start()
        try:
            headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            with httpx.Client(base_url=server.url, headers=headers) as http:
                path = f"/api/v1/branches/{BRANCH}/alerts"
                standing = http.get(path).json()["alerts"]
                times = []
                for _ in range(args.calls):
                    started = time.perf_counter()
                    http.get(path).raise_for_status()
                    times.append((time.perf_counter() - started) * 1000)
        finally:
            server.stop()
    print(f"{len(standing)} faults stand")
    print(f"GET alerts: median {statistics.median(times):.1f} ms, worst {max(times):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
