"""The SQLite store when the disk fails it: a clear StoreUnavailable (503), never a bare error."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from queue_api.engine import BranchClock, CounterRecord, new_ticket
from queue_api.schema import CounterState, EventType
from queue_api.store import StoreUnavailable
from queue_api.store.sqlite import MIGRATIONS, SqliteStore

DAY = date(2026, 3, 10)


def fill_until_full(store: SqliteStore) -> None:
    """Write tickets until the file may not grow any more."""
    for n in range(1, 100_000):
        with store.write() as tx:
            ticket = new_ticket(
                branch="centro",
                service="pagos",
                prefix="B",
                sequence=n,
                day=DAY,
                priority=False,
                language="es",
                now=datetime.now(UTC),
            )
            tx.insert_ticket(ticket)
            tx.append_event("centro", EventType.TICKET_ISSUED, {"at": "x", "pad": "x" * 2000})


def test_a_full_disk_is_store_unavailable_and_loses_nothing_committed(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "turnero.db")
    try:
        # A tiny page budget for this thread's connection stands for a full disk.
        with store._connection() as db:
            db.execute("PRAGMA max_page_count = 40")
        with pytest.raises(StoreUnavailable, match=r"cannot write to .*full"):
            fill_until_full(store)
        with store.read() as tx:
            kept = tx.tickets_of_day("centro", DAY)
        assert kept, "nothing was written before the disk filled up"
        with pytest.raises(StoreUnavailable):  # still refused, still cleanly
            fill_until_full(store)
        with store.read() as tx:
            assert len(tx.tickets_of_day("centro", DAY)) == len(kept)
    finally:
        store.close()


def test_a_first_version_database_is_upgraded_in_place_and_keeps_its_tickets(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[1])
    old.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    old.execute("INSERT INTO schema_version (version) VALUES (1)")
    old.execute(
        "INSERT INTO tickets (id, branch, service, number, day, priority, language, issued_at,"
        " status) VALUES ('t1', 'centro', 'pagos', 'B001', ?, 0, 'es', ?, 'waiting')",
        (DAY.isoformat(), datetime(2026, 3, 10, 15, tzinfo=UTC).isoformat()),
    )
    old.commit()
    old.close()

    store = SqliteStore(path)
    try:
        with store.read() as tx:
            (ticket,) = tx.tickets_of_day("centro", DAY)
        assert (ticket.number, ticket.clerk) == ("B001", None)
        with store.write() as tx:
            tx.save_counter(CounterRecord("centro", "1", CounterState.OPEN, DAY, clerk="Ana"))
        with store.read() as tx:
            assert tx.counters("centro")["1"].clerk == "Ana"
        versions = sqlite3.connect(path).execute("SELECT version FROM schema_version").fetchall()
        assert [v for (v,) in versions] == sorted(MIGRATIONS)
    finally:
        store.close()


def test_an_older_database_gets_queue_times_and_each_branch_its_clock(tmp_path: Path) -> None:
    """Migration 3: tickets queue by their issue time so far, and the branch's clock starts at
    what its tickets reached, so a clock behind them cannot put a newcomer first."""
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for version in (1, 2):
        old.executescript(MIGRATIONS[version])
    old.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    old.execute("INSERT INTO schema_version (version) VALUES (1), (2)")
    issued = [datetime(2026, 3, 10, 15, minute, tzinfo=UTC) for minute in (0, 5)]
    for n, at in enumerate(issued, start=1):
        old.execute(
            "INSERT INTO tickets (id, branch, service, number, day, priority, language,"
            " issued_at, status) VALUES (?, 'centro', 'pagos', ?, ?, 0, 'es', ?, 'waiting')",
            (f"t{n}", f"B00{n}", DAY.isoformat(), at.isoformat(timespec="microseconds")),
        )
    old.commit()
    old.close()

    store = SqliteStore(path)
    try:
        with store.read() as tx:
            tickets = sorted(tx.tickets_of_day("centro", DAY), key=lambda t: t.id)
            assert [t.queue_at for t in tickets] == issued
            assert tx.branch_clock("centro") == BranchClock("centro", DAY, issued[1])
            assert tx.branch_clock("norte") is None
        indexes = {
            row[0]
            for row in sqlite3.connect(path).execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets'"
            )
        }
        assert "tickets_by_queue" in indexes and "tickets_by_day" not in indexes
    finally:
        store.close()
