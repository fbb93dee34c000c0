"""How long a month's report takes over a year of history for 20 branches (issue #17), on each
store, against baselines in the same run.

    .venv/bin/python scripts/bench_reports.py [--sqlite FILE] [--no-postgres] [--repeat 3]

Writes the history (scripts/generate_history.py: about 2 million tickets) into a SQLite file
(kept and reused when ``--sqlite`` names one that exists) and into a throwaway PostgreSQL
cluster (scripts/pg_cluster.py), then times the store's report (``ReadTx.report``, what
``GET /api/v1/reports`` runs, the total row included) for September 2026 by service, hour and
clerk, for one branch and for all 20. Baselines: the same SQL with migration 9's index dropped
(in a transaction rolled back), and the tickets loaded into Python and counted there, as the
day's ``/stats`` does. The target is under 2 s for each report. On a shared machine the wall
time grows with the load; for SQLite, which works in this process, the CPU time is printed too.
"""

from __future__ import annotations

import argparse
import dataclasses
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for scripts.* helpers

from queue_api import engine
from queue_api.engine import TicketRecord
from queue_api.reports import TOTAL, ReportQuery
from queue_api.stats import percentile
from queue_api.store import Store, open_store, sqlite_path
from scripts.generate_history import SERVICES, branch_ids, generate

FIRST, LAST = date(2026, 9, 1), date(2026, 9, 30)
ZONE = "America/Mexico_City"
GOAL_SECONDS = 2.0
BRANCHES = tuple(branch_ids(20))


def query(branches: Sequence[str], by: str) -> ReportQuery:
    targets = tuple((b, s[0], s[2] * 60) for b in branches for s in SERVICES)
    return ReportQuery(tuple(branches), FIRST, LAST, by, targets, ZONE)


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Best and median seconds of ``repeat`` runs, and the median CPU seconds of this process
    (SQLite works in this process: its CPU time is the report's cost whatever else runs)."""
    times, cpu = [], []
    for _ in range(repeat):
        started, busy = time.perf_counter(), time.process_time()
        action()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - busy)
    return min(times), statistics.median(times), statistics.median(cpu)


def store_report(store: Store, q: ReportQuery) -> None:
    """What the API runs: the groups and the total, in one snapshot."""
    with store.read() as tx:
        tx.report(q)
        tx.report(dataclasses.replace(q, by=TOTAL))


def without_index_sqlite(path: Path, q: ReportQuery) -> float:
    """Seconds of the same SQL with the report index dropped (then put back by a rollback)."""
    from queue_api.store import sqlite_reports

    db = sqlite3.connect(path, isolation_level=None)
    db.row_factory = sqlite3.Row
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("DROP INDEX tickets_report")
        started = time.perf_counter()
        sqlite_reports.report(db, q)
        sqlite_reports.report(db, dataclasses.replace(q, by=TOTAL))
        return time.perf_counter() - started
    finally:
        db.execute("ROLLBACK")
        db.close()


def without_index_postgres(url: str, q: ReportQuery) -> float:
    """Seconds of the same SQL with the report index dropped (then put back by a rollback)."""
    import psycopg
    from psycopg.rows import dict_row

    from queue_api.store import postgres_reports

    with psycopg.connect(url, row_factory=dict_row) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("DROP INDEX tickets_report")
        started = time.perf_counter()
        postgres_reports.report(conn, q)
        postgres_reports.report(conn, dataclasses.replace(q, by=TOTAL))
        elapsed = time.perf_counter() - started
        conn.rollback()
    return elapsed


def in_python(store: Store, q: ReportQuery) -> dict[str | None, dict[str, Any]]:
    """The report by service the old way: every ticket of the range loaded, counted in Python."""
    tickets: list[TicketRecord] = []
    with store.read() as tx:
        day = q.first
        while day <= q.last:
            for branch in q.branches:
                tickets.extend(tx.tickets_of_day(branch, day))
            day += timedelta(days=1)
    targets = {(b, s): seconds for b, s, seconds in q.targets}
    groups: dict[str | None, list[TicketRecord]] = defaultdict(list)
    for t in tickets:
        groups[t.service].append(t)
    found = {}
    for key, mine in groups.items():
        waits = [engine.wait_seconds(t, t.called_at) for t in mine if t.called_at]
        desk = [s for t in mine if (s := engine.service_seconds(t)) is not None]
        within = sum(
            engine.wait_seconds(t, t.called_at) <= targets[t.branch, t.service]
            for t in mine
            if t.called_at
        )
        found[key] = {
            "issued": len(mine),
            "p50": percentile(waits, 0.5) if waits else None,
            "p90": percentile(waits, 0.9) if waits else None,
            "desk_p90": percentile(desk, 0.9) if desk else None,
            "within": within / len(waits) if waits else None,
        }
    return found


def bench(
    name: str,
    store: Store,
    without_index: Callable[[ReportQuery], float],
    repeat: int,
    in_process: bool = False,
) -> bool:
    """Print the timings of one store; True if every report met the goal."""
    print(f"\n{name}: {FIRST} to {LAST}")
    cpu_header = "  cpu" if in_process else ""
    print(
        f"  {'report':<28} {'best':>8} {'median':>8}{cpu_header:>9}   {'no index':>9}"
        f"   {'in Python':>9}"
    )
    fine = True
    for branches, label in ((BRANCHES[:1], "1 branch"), (BRANCHES, "20 branches")):
        for by in ("service", "hour", "clerk"):
            q = query(branches, by)
            best, median, cpu = timed(lambda q=q: store_report(store, q), repeat)  # type: ignore[misc]
            slow = without_index(q)
            python = ""
            if by == "service":
                loaded, _, _ = timed(lambda q=q: in_python(store, q), 1)  # type: ignore[misc]
                python = f"{loaded:8.2f}s"
            fine &= median < GOAL_SECONDS
            spent = f"{cpu:8.2f}s" if in_process else ""
            print(
                f"  {label + ', by ' + by:<28} {best:7.2f}s {median:7.2f}s{spent}   {slow:8.2f}s"
                f"   {python:>9}"
            )
    return fine


def check_agree(sqlite: Store, postgres: Store) -> bool:
    """The two stores give the same tallies for the same history."""
    same = True
    for by in ("service", "hour", "clerk", "day", "channel", "outcome", "counter"):
        q = query(BRANCHES[:3], by)
        with sqlite.read() as a, postgres.read() as b:
            left = sorted(a.report(q), key=repr)
            right = sorted(b.report(q), key=repr)
        same &= left == right
        print(f"  by {by:<8} {'same figures' if left == right else 'DIFFERENT'} on both stores")
    return same


def bench_postgres(url: str, sqlite: Store, repeat: int) -> bool:
    """Time the reports on the PostgreSQL history at ``url``; check it agrees with SQLite."""
    postgres = open_store(url)
    try:
        fine = bench("PostgreSQL", postgres, lambda q: without_index_postgres(url, q), repeat)
        print("\nSQLite and PostgreSQL, 3 branches, September:")
        return check_agree(sqlite, postgres) and fine
    finally:
        postgres.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", type=Path, help="history file to reuse or create")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--postgres", help="a database that already holds the history (else a throwaway cluster)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.sqlite or Path(folder) / "history.db"
        url = f"sqlite:///{path.absolute()}"
        if not path.exists():
            started = time.perf_counter()
            written = generate(url)
            print(f"SQLite: wrote {written:,} tickets in {time.perf_counter() - started:.0f} s")
        sqlite = open_store(url)
        with sqlite.read() as tx:
            db = tx.db  # type: ignore[attr-defined]
            count = db.execute("SELECT count(*) FROM tickets").fetchone()[0]
        print(f"SQLite history: {count:,} tickets, {path.stat().st_size / 1e6:.0f} MB")
        fine = bench(
            "SQLite",
            sqlite,
            lambda q: without_index_sqlite(sqlite_path(url), q),
            args.repeat,
            in_process=True,
        )
        if args.postgres:
            fine &= bench_postgres(args.postgres, sqlite, args.repeat)
        elif not args.no_postgres:
            from scripts.pg_cluster import PgCluster

            cluster = PgCluster().start()
            try:
                pg_url = cluster.database()
                started = time.perf_counter()
                written = generate(pg_url)
                took = time.perf_counter() - started
                print(f"\nPostgreSQL: wrote {written:,} tickets in {took:.0f} s")
                fine &= bench_postgres(pg_url, sqlite, args.repeat)
            finally:
                cluster.remove()
        sqlite.close()
    print(f"\n{'every report under' if fine else 'NOT every report under'} {GOAL_SECONDS:.0f} s")
    return 0 if fine else 1


if __name__ == "__main__":
    sys.exit(main())
