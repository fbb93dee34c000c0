"""The PostgreSQL store where it differs from SQLite: many stores (servers) on one database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest

from queue_api.config import load_office_config
from queue_api.engine import BranchClock
from queue_api.schema import AlertIn, EventType
from queue_api.server import create_app
from queue_api.store import StoreUnavailable
from queue_api.store.postgres import MIGRATIONS, PostgresStore
from scripts.pg_cluster import PgCluster
from tests.queue_api.test_storage_faults import assert_unavailable, issue
from tests.server_process import ServerProcess, office_file

B = "centro"


@pytest.fixture
def url(pg_cluster: PgCluster) -> str:
    return pg_cluster.database()


@pytest.fixture
def stores(url: str) -> Iterator[list[PostgresStore]]:
    """Three stores on one database: as three servers see it."""
    made = [PostgresStore(url) for _ in range(3)]
    yield made
    for store in made:
        store.close()


def append(store: PostgresStore, n: int) -> None:
    with store.write() as tx:
        tx.append_event(B, EventType.DEVICE_ALERT, {"at": datetime.now(UTC).isoformat(), "n": n})


def waiting_for_a_lock(url: str) -> bool:
    """Whether some session of the database waits for a lock another one holds."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return bool(row and row[0])


def test_a_reader_never_reads_past_an_event_not_yet_committed(
    stores: list[PostgresStore], url: str
) -> None:
    """Ids drawn from a sequence commit out of order: the second writer would commit id 2
    while id 1 is still open, and a reader would read past 1 for ever."""
    slow, fast, reader = stores
    holding, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with slow.write() as tx:
            tx.append_event(B, EventType.DEVICE_ALERT, {"at": datetime.now(UTC).isoformat()})
            holding.set()
            release.wait(10)

    first = threading.Thread(target=slow_writer)
    first.start()
    assert holding.wait(10)
    second = threading.Thread(target=append, args=(fast, 2))
    second.start()
    # The second writer either finished or waits for the first: either way it did its part.
    while second.is_alive() and not waiting_for_a_lock(url):
        second.join(0.01)
    seen_early = reader.events_after(B, 0)
    release.set()
    first.join(10)
    second.join(10)
    everything = reader.events_after(B, 0)
    assert [e.id for e in everything] == [1, 2]
    assert everything[: len(seen_early)] == seen_early, "a reader read past an open event"


def test_writers_on_many_servers_draw_every_event_id_once_in_order(
    stores: list[PostgresStore],
) -> None:
    threads = [
        threading.Thread(target=lambda s=s: [append(s, n) for n in range(30)]) for s in stores
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [e.id for e in stores[0].events_after(B, 0)] == list(range(1, 91))


def test_two_servers_creating_the_schema_at_once_both_start(url: str) -> None:
    ready = threading.Barrier(4)
    made: list[PostgresStore] = []
    failed: list[BaseException] = []

    def start() -> None:
        ready.wait(10)
        try:
            made.append(PostgresStore(url))
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for store in made:
        store.close()
    assert not failed
    with psycopg.connect(url) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_version")]
    assert versions == sorted(MIGRATIONS)


def test_one_housekeeper_at_a_time_and_the_next_takes_over_when_it_dies(
    stores: list[PostgresStore], url: str
) -> None:
    first, second, _ = stores
    with first.housekeeping_lock() as mine:
        assert mine
        with second.housekeeping_lock() as theirs:
            assert not theirs
    with second.housekeeping_lock() as theirs:
        assert theirs  # released when the block ended
        # The holder dies mid-way: PostgreSQL ends its session, and the lock with it.
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_locks"
                " WHERE locktype = 'advisory' AND granted"
            )
        with first.housekeeping_lock() as mine:
            assert mine


def test_a_database_that_goes_away_is_store_unavailable_until_it_is_back(
    pg_cluster: PgCluster, stores: list[PostgresStore]
) -> None:
    store = stores[0]
    append(store, 1)
    pg_cluster.stop()
    try:
        with pytest.raises(StoreUnavailable, match="cannot"):
            append(store, 2)
        with pytest.raises(StoreUnavailable):
            store.ping()
        with pytest.raises(StoreUnavailable):
            store.events_after(B, 0)
    finally:
        pg_cluster.start()
    # Back: the very next call works (the pool's dead connections are replaced).
    append(store, 3)
    store.ping()
    assert [e.data["n"] for e in store.events_after(B, 0)] == [1, 3]


async def test_a_local_event_never_overtakes_an_earlier_one_from_another_server(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    """Published straight from its own commit, a server's event 2 would reach its streams
    before event 1 of another server, which arrives through the log: a stream that sent 2
    then drops 1 for ever. The server learns its own events from the log too."""
    url = pg_cluster.database()
    app = create_app(load_office_config(office_file(tmp_path, url)))
    other = PostgresStore(url)
    try:
        async with app.router.lifespan_context(app):
            stream = app.state.hub.subscribe(B)

            def another_server_then_this_one() -> None:
                append(other, 1)
                app.state.office.alert(B, "kiosk", AlertIn(device="kiosk-1", kind="printer.ok"))

            await asyncio.to_thread(another_server_then_this_one)
            frames = [await asyncio.wait_for(stream.get(), 10) for _ in range(2)]
    finally:
        other.close()
    assert [frame.id for frame in frames if frame] == [1, 2]


def test_a_server_frozen_mid_write_does_not_hold_its_branch_for_ever(url: str) -> None:
    """A server that froze (or lost its network) holding its branch's lock: PostgreSQL ends
    its session, the others write again, and the frozen write is never acknowledged."""
    frozen = PostgresStore(url, stalled_seconds=0.5)
    other = PostgresStore(url)
    holding, thaw = threading.Event(), threading.Event()
    outcome: list[BaseException | None] = []

    def freeze() -> None:
        try:
            with frozen.write() as tx:
                tx.append_event(B, EventType.DEVICE_ALERT, {"at": datetime.now(UTC).isoformat()})
                holding.set()
                thaw.wait(30)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=freeze)
    thread.start()
    try:
        assert holding.wait(10)
        append(other, 2)  # waits for the lock until PostgreSQL ends the frozen session
    finally:
        thaw.set()
        thread.join(10)
        frozen.close()
        other.close()
    assert isinstance(outcome[0], StoreUnavailable)
    reader = PostgresStore(url)
    try:
        assert [e.data.get("n") for e in reader.events_after(B, 0)] == [2]
    finally:
        reader.close()


def test_a_schema_1_database_gets_queue_times_branch_clocks_and_standing_alerts(url: str) -> None:
    """Migrations 2 and 3: tickets queue by their issue time so far, each branch's clock starts
    at what its tickets reached, and the latest alert per device and part stands."""
    day = date(2026, 3, 10)
    issued = [datetime(2026, 3, 10, 15, minute, tzinfo=UTC) for minute in (0, 5)]
    with psycopg.connect(url, autocommit=True) as old:
        old.execute(MIGRATIONS[1])  # type: ignore[arg-type]
        old.execute("CREATE TABLE schema_version (version integer NOT NULL)")
        old.execute("INSERT INTO schema_version (version) VALUES (1)")
        for n, at in enumerate(issued, start=1):
            old.execute(
                "INSERT INTO tickets (branch, id, service, number, day, priority, language,"
                " issued_at, status) VALUES (%s, %s, 'pagos', %s, %s, false, 'es', %s, 'waiting')",
                (B, f"t{n}", f"B00{n}", day, at),
            )
        kinds = [("k", "printer.paper_out"), ("k", "board.ok"), ("k", "printer.cover")]
        for n, (device, kind) in enumerate(kinds, start=1):
            data = {"at": issued[0].isoformat(), "alert": {"device": device, "kind": kind}}
            old.execute(
                "INSERT INTO events (branch, id, type, data, at)"
                " VALUES (%s, %s, 'device.alert', %s, %s)",
                (B, n, psycopg.types.json.Json(data), issued[0]),
            )
        old.execute("INSERT INTO branch_log (branch, last_event_id) VALUES (%s, 3)", (B,))

    store = PostgresStore(url)
    try:
        with store.read() as tx:
            tickets = sorted(tx.tickets_of_day(B, day), key=lambda t: t.id)
            assert [t.queue_at for t in tickets] == issued
            assert tx.branch_clock(B) == BranchClock(B, day, issued[1])
            assert tx.branch_clock("norte") is None
            assert [event.id for event in tx.alerts(B)] == [2, 3]
        with psycopg.connect(url) as conn:
            versions = [v for (v,) in conn.execute("SELECT version FROM schema_version")]
        assert versions == sorted(MIGRATIONS)
    finally:
        store.close()


def test_health_commits_a_probe_so_a_database_that_cannot_write_is_not_ok(url: str) -> None:
    store = PostgresStore(url)
    try:
        # A session that may not write stands for a read-only database; the pool hands its
        # last connection back first.
        with store._pool.connection() as conn:
            conn.execute("SET default_transaction_read_only = on")
        with pytest.raises(StoreUnavailable, match="read-only"):
            store.ping()
        with store._pool.connection() as conn:
            conn.execute("SET default_transaction_read_only = off")
        store.ping()  # and ok again once it can
    finally:
        store.close()


def test_health_is_503_while_the_database_takes_no_writes_and_200_after(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    """As after a failover to a standby: every new session is read-only. Health probes a write
    every 10 s, and a write that failed keeps it 503 until one succeeds."""
    url = pg_cluster.database()
    name = urlsplit(url).path.lstrip("/")
    server = ServerProcess(office_file(tmp_path, url)).start()

    def every_session_read_only(on: bool) -> None:
        with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
            setting = "SET default_transaction_read_only = on" if on else "RESET ALL"
            admin.execute(f'ALTER DATABASE "{name}" {setting}')  # type: ignore[arg-type]
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid != pg_backend_pid()",
                (name,),
            )

    try:
        assert httpx.get(server.url + "/api/v1/health").status_code == 200
        every_session_read_only(True)
        assert_unavailable(issue(server, "while-read-only"))
        health = httpx.get(server.url + "/api/v1/health")
        assert_unavailable(health)
        assert "written" in health.json()["detail"]
        every_session_read_only(False)
        assert httpx.get(server.url + "/api/v1/health").status_code == 200
    finally:
        server.stop()
