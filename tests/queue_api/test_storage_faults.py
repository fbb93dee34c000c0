"""The server and its SQLite file when something goes wrong around them: a leak of connections,
a damaged or vanished file, a second server on the same file, a wrong path or a busy port."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from queue_api.engine import new_ticket
from queue_api.server.problems import MEDIA_TYPE
from queue_api.store import StoreUnavailable, open_store
from queue_api.store.sqlite import MAX_CONNECTIONS, SqliteStore
from tests.queue_api.conftest import as_role
from tests.server_process import ServerProcess, free_port, office_file

HEALTH = "/api/v1/health"
TICKETS = "/api/v1/branches/centro/tickets"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def issue(server: ServerProcess, key: str) -> httpx.Response:
    return httpx.post(
        server.url + TICKETS,
        json={"service": "pagos", "priority": False, "language": "es"},
        headers={**as_role("kiosk"), "Idempotency-Key": key},
        timeout=30,
    )


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(MEDIA_TYPE)
    assert response.json()["status"] == 503


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(office_file(tmp_path, tmp_path / "turnero.db"))
    yield process
    process.stop()


def test_threads_that_come_and_go_leave_no_connection_open(tmp_path: Path) -> None:
    """The server's thread pool retires idle threads after a burst: a connection per thread
    stayed open after its thread was gone (+78 descriptors a burst, until none were left)."""
    store = SqliteStore(tmp_path / "turnero.db")
    day = date(2026, 3, 10)
    failed: list[BaseException] = []

    def burst(number: int) -> None:
        start = threading.Barrier(40)

        def request(n: int) -> None:
            try:
                start.wait()
                if n % 4:
                    with store.read() as tx:
                        tx.tickets_of_day("centro", day)
                    return
                ticket = new_ticket(
                    branch="centro",
                    service="pagos",
                    prefix="B",
                    sequence=number * 100 + n + 1,
                    day=day,
                    priority=False,
                    language="es",
                    now=datetime.now(UTC),
                )
                with store.write() as tx:
                    tx.insert_ticket(ticket)
            except BaseException as exc:
                failed.append(exc)

        threads = [threading.Thread(target=request, args=(n,)) for n in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    try:
        with store.read() as tx:  # the file's own descriptors
            tx.counters("centro")
        before = open_fds()
        for number in range(8):
            burst(number)
        assert not failed, failed
        # A connection holds the file and its -wal, and SQLite keeps a closed one's descriptor
        # for reuse while others hold locks on the file: bounded by the connections open at once
        # (it was two descriptors more for every thread that had ever read or written).
        assert open_fds() - before <= 3 * MAX_CONNECTIONS, f"{open_fds() - before} more"
        with store.read() as tx:
            assert len(tx.tickets_of_day("centro", day)) == 8 * 10
    finally:
        store.close()


def damage_tickets_page(db: Path) -> None:
    """Write garbage over the page holding the tickets (a bad sector, a torn copy)."""
    with sqlite3.connect(db) as plain:
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = plain.execute("PRAGMA page_size").fetchone()[0]
        root = plain.execute("SELECT rootpage FROM sqlite_master WHERE name = 'tickets'").fetchone()
    plain.close()
    with db.open("r+b") as file:
        file.seek((root[0] - 1) * page_size)
        file.write(b"\xa5" * page_size)


def test_a_damaged_page_is_a_503_and_health_says_so(server: ServerProcess) -> None:
    server.start()
    assert issue(server, "before").status_code == 201
    server.stop()
    damage_tickets_page(server.config.parent / "turnero.db")
    server.start()

    assert_unavailable(issue(server, "after"))
    health = httpx.get(server.url + HEALTH)
    assert_unavailable(health)
    assert "written" in health.json()["detail"]
    assert "Traceback" not in "".join(server.output)


def test_health_commits_a_probe_so_a_store_that_cannot_write_is_not_ok(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "turnero.db")
    try:
        # A connection that may not write stands for a read-only file (root may write any file,
        # and tests may run as root); the pool hands this thread its last connection back.
        with store._connection() as db:
            db.execute("PRAGMA query_only = ON")
        with pytest.raises(StoreUnavailable, match="readonly"):
            store.ping()
        with store._connection() as db:
            db.execute("PRAGMA query_only = OFF")
        store.ping()  # and ok again once it can
    finally:
        store.close()


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_database_file_deleted_or_replaced_under_the_server_refuses_writes(
    server: ServerProcess, tmp_path: Path, how: str
) -> None:
    db = tmp_path / "turnero.db"
    server.start()
    assert issue(server, "kept").status_code == 201
    if how == "deleted":
        db.unlink()
    else:
        shutil.copy(db, tmp_path / "copy.db")
        os.replace(tmp_path / "copy.db", db)

    # Acknowledged and then lost at the next start: refused instead, every time.
    assert_unavailable(issue(server, "lost-1"))
    assert_unavailable(issue(server, "lost-2"))
    assert_unavailable(httpx.get(server.url + HEALTH))
    said = [
        line for line in server.output if f"store.sqlite: the database file {db} was {how}" in line
    ]
    assert len(said) == 1, "".join(server.output)


def turnero_server(config: Path, port: int) -> subprocess.CompletedProcess[str]:
    """A ``turnero server`` that must stop on its own."""
    return subprocess.run(
        [sys.executable, "-m", "turnero", "server", "--config", str(config), "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_second_server_on_the_same_file_refuses_to_start(
    server: ServerProcess, tmp_path: Path
) -> None:
    server.start()
    second = turnero_server(server.config, free_port())
    assert second.returncode == 2, second.stderr
    assert str(tmp_path / "turnero.db") in second.stderr
    assert f"pid {server.process.pid}" in second.stderr and server.url in second.stderr
    assert "Traceback" not in second.stdout + second.stderr
    assert httpx.get(server.url + HEALTH).status_code == 200

    # A server killed outright leaves its lock file behind; the next one takes it over.
    server.kill()
    server.start()
    assert issue(server, "after").status_code == 201


def test_a_port_in_use_is_one_clear_line_and_nothing_listening(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = turnero_server(office_file(tmp_path, tmp_path / "turnero.db"), port)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in result.stderr
    assert "listening on" not in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_the_server_logs_where_its_database_is(server: ServerProcess, tmp_path: Path) -> None:
    server.start()
    assert any(f"database: SQLite file {tmp_path / 'turnero.db'}" in x for x in server.output)


def test_sqlite_urls_read_as_sqlalchemy_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.INFO)
    absolute = tmp_path / "abs.db"
    open_store(f"sqlite:///{absolute}").close()  # four slashes: an absolute path
    assert absolute.exists()
    open_store("sqlite:///relative.db").close()
    assert (tmp_path / "relative.db").exists()
    assert f"database: SQLite file {tmp_path / 'relative.db'}" in caplog.text

    # A mistyped absolute path is not turned into new folders under the working directory.
    with pytest.raises(StoreUnavailable, match="sqlite:////absolute"):
        open_store("sqlite:///var/lib/turnero/turnero.db")
    assert not (tmp_path / "var").exists()
