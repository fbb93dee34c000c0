"""A year of ticket history for many branches, written straight into a store's database.

    .venv/bin/python scripts/generate_history.py --database sqlite:///history.db
    .venv/bin/python scripts/generate_history.py --database postgresql://...  [--branches 20]

About 2 million tickets by default: 20 branches, weekdays of the year before ``--until``,
about 380 tickets a branch a day, four services with their targets, six desks, clerks, every
channel and outcome; waits grow at the busy hours. Bulk insert (one transaction with
``executemany`` on SQLite, ``COPY`` on PostgreSQL), not the office's one-ticket writes, so it
takes a minute, not hours. The schema is the store's own: the store is opened first.
"""

from __future__ import annotations

import argparse
import math
import random
import secrets
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from queue_api.store import open_store, sqlite_path

ZONE = ZoneInfo("America/Mexico_City")
SERVICES = (  # id, prefix, target wait (minutes), share of arrivals, mean desk minutes
    ("licencias", "A", 15, 0.35, 9.0),
    ("pagos", "B", 10, 0.35, 4.0),
    ("registro", "C", 20, 0.2, 12.0),
    ("consultas", "D", 10, 0.1, 6.0),
)
COUNTERS = ("1", "2", "3", "4", "5", "6")
CLERKS = ("Ana", "Beto", "Carla", "Diego", "Elena", "Fer", "Gabi", "Hugo")
CHANNELS = (("kiosk", 0.8), ("remote", 0.15), ("appointment", 0.05))
OUTCOMES = ("ok", "missing_papers", "referred", None)
COLUMNS = (
    "id", "branch", "service", "number", "day", "priority", "language", "issued_at", "status",
    "called_at", "started_at", "finished_at", "counter", "recalls", "clerk", "queue_at",
    "channel", "appointment_at", "outcome", "for_counter",
)  # fmt: skip


def branch_ids(count: int) -> list[str]:
    """``b01``, ``b02``... as many as asked."""
    return [f"b{n:02d}" for n in range(1, count + 1)]


def business_days(until: date, days: int) -> list[date]:
    """The weekdays among the ``days`` days before ``until`` (inclusive)."""
    span = (until - timedelta(days=n) for n in range(days))
    return sorted(d for d in span if d.weekday() < 5)


def _utc(day: date, minute: float) -> datetime:
    local = datetime(day.year, day.month, day.day, 8, tzinfo=ZONE) + timedelta(minutes=minute)
    return local.astimezone(UTC)


def tickets(
    rng: random.Random, branch: str, day: date, per_day: int
) -> Iterator[tuple[object, ...]]:
    """One branch's tickets of one day, as rows of COLUMNS (times as datetimes)."""
    sequence = dict.fromkeys((s[0] for s in SERVICES), 0)
    count = max(int(rng.gauss(per_day, per_day * 0.1)), 1)
    # Arrivals over 08:00-15:00, heavier late in the morning.
    minutes = sorted(rng.triangular(0, 420, 150) for _ in range(count))
    for minute in minutes:
        service, prefix, target, _, desk = rng.choices(SERVICES, [s[3] for s in SERVICES])[0]
        sequence[service] += 1
        issued = _utc(day, minute)
        busy = 1.0 + 1.5 * math.exp(-(((minute - 180) / 90) ** 2))
        wait = rng.expovariate(1 / (target * 60 * 0.7 * busy))
        roll = rng.random()
        status = "done" if roll < 0.86 else "no_show" if roll < 0.94 else "cancelled"
        called = None if status == "cancelled" else issued + timedelta(seconds=wait)
        started = None
        if called is not None and status == "done":
            started = called + timedelta(seconds=rng.uniform(5, 60))
        finished = None
        if started is not None:
            finished = started + timedelta(seconds=rng.lognormvariate(math.log(desk * 60), 0.5))
        elif called is not None:
            finished = called + timedelta(minutes=2)
        channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
        yield (
            secrets.token_urlsafe(16), branch, service, f"{prefix}{sequence[service]:03d}", day,
            rng.random() < 0.05, "es", issued, status, called, started, finished,
            rng.choice(COUNTERS) if called else None, 0,
            rng.choice(CLERKS) if called else None, issued, channel, None,
            rng.choice(OUTCOMES) if status == "done" else None, None,
        )  # fmt: skip


def history(
    branches: list[str], days: list[date], per_day: int, seed: int
) -> Iterator[tuple[object, ...]]:
    rng = random.Random(seed)
    for day in days:
        for branch in branches:
            yield from tickets(rng, branch, day, per_day)


def _sqlite_time(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")  # as the store writes: UTC, one width
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def write_sqlite(url: str, rows: Iterator[tuple[object, ...]]) -> int:
    import sqlite3

    open_store(url).close()  # the store's schema, migrations included
    db = sqlite3.connect(sqlite_path(url), isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")  # a throwaway file: speed over durability
    db.execute("BEGIN")
    written = 0
    insert = f"INSERT INTO tickets ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(tuple(_sqlite_time(v) for v in row))
        if len(batch) == 50_000:
            db.executemany(insert, batch)
            written += len(batch)
            batch.clear()
    db.executemany(insert, batch)
    written += len(batch)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    return written


def write_postgres(url: str, rows: Iterator[tuple[object, ...]]) -> int:
    import psycopg

    open_store(url).close()
    written = 0
    with psycopg.connect(url) as conn:
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY tickets ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                written += 1
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE tickets")  # the visibility map: index-only scans
    return written


def generate(
    url: str,
    branches: int = 20,
    until: date = date(2026, 10, 30),
    per_day: int = 380,
    seed: int = 1,
) -> int:
    """Write the history into the database at ``url``; the number of tickets written."""
    rows = history(branch_ids(branches), business_days(until, 365), per_day, seed)
    if url.startswith("sqlite:///"):
        return write_sqlite(url, rows)
    return write_postgres(url, rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="sqlite:///file or postgresql://...")
    parser.add_argument("--branches", type=int, default=20)
    parser.add_argument("--per-day", type=int, default=380, help="tickets a branch a day")
    parser.add_argument("--until", type=date.fromisoformat, default=date(2026, 10, 30))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    written = generate(args.database, args.branches, args.until, args.per_day, args.seed)
    print(f"wrote {written:,} tickets in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
