"""Two ``turnero server`` processes on one PostgreSQL database, as behind a load balancer."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from queue_api.client import QueueClient, new_idempotency_key
from queue_api.schema import EventType
from queue_api.store.postgres import MIGRATIONS
from scripts.pg_cluster import PgCluster
from tests.queue_api.conftest import bearer
from tests.queue_api.test_events import Follower
from tests.queue_api.test_limits import (
    health_answers,
    is_problem,
    oversized_header,
)
from tests.queue_api.test_load import (
    KioskRush,
    busy_office,
    check_all_kept,
    check_call_order,
    drain,
    issue_ninety,
    read_log,
)
from tests.server_process import TOKENS, ServerProcess, office_file

KIOSK = {**bearer(TOKENS["kiosk"])}
ADMIN = bearer(TOKENS["admin"])


def start_both(config: Path) -> tuple[ServerProcess, ServerProcess]:
    """Two servers on one config, started side by side (they create the schema at once)."""
    servers = (ServerProcess(config), ServerProcess(config))
    with ThreadPoolExecutor(2) as pool:
        for started in [pool.submit(server.start) for server in servers]:
            started.result()
    return servers


@pytest.fixture
def two_servers(pg_cluster: PgCluster, tmp_path: Path) -> Iterator[tuple[ServerProcess, ...]]:
    """The example office served by two processes on one fresh database."""
    config = office_file(tmp_path, pg_cluster.database(), kiosk_tickets_per_minute=0)
    servers = start_both(config)
    yield servers
    for server in servers:
        server.stop()


async def test_counters_on_two_servers_drain_one_queue_never_sharing_or_skipping(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    servers = start_both(busy_office(tmp_path, pg_cluster.database()))
    try:
        limits = httpx.Limits(max_connections=40)
        async with (
            httpx.AsyncClient(base_url=servers[0].url, timeout=30, limits=limits) as a,
            httpx.AsyncClient(base_url=servers[1].url, timeout=30, limits=limits) as b,
        ):
            issued = await issue_ninety([a, b])
            per_counter = await drain([a, b])  # half the counters on each server
            events = await read_log(a, {**ADMIN, "Last-Event-ID": "0"})
    finally:
        for server in servers:
            server.stop()
    called = [t for calls in per_counter for t in calls]
    assert len(called) == len(set(called)), "a ticket was called twice"
    assert sorted(called) == sorted(issued), "a ticket was never called"
    assert {n % 2 for n, calls in enumerate(per_counter, 1) if calls} == {0, 1}
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    check_call_order(events, servers[0])


async def test_a_stream_on_one_server_gets_every_event_made_on_the_other_in_order(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = two_servers
    issued: list[str] = []
    async with (
        QueueClient(a.url, TOKENS["display"]) as display,
        QueueClient(a.url, TOKENS["kiosk"]) as kiosk_a,
        QueueClient(b.url, TOKENS["kiosk"]) as kiosk_b,
    ):
        follower = Follower(display)
        try:
            await follower.connected()

            async def kiosk(client: QueueClient, count: int) -> None:
                for _ in range(count):
                    ticket = await client.issue_ticket(
                        "centro", "licencias", idempotency_key=new_idempotency_key()
                    )
                    issued.append(ticket.id)

            # Concurrent writers: mostly on B, some on A, all interleaved.
            await asyncio.gather(
                kiosk(kiosk_b, 25), kiosk(kiosk_b, 25), kiosk(kiosk_b, 25), kiosk(kiosk_a, 15)
            )
            events = await follower.take(len(issued))
        finally:
            await follower.stop()
    assert [e.id for e in events] == list(range(1, len(issued) + 1)), "out of order or missing"
    assert all(e.type is EventType.TICKET_ISSUED for e in events)
    assert sorted(e.ticket.id for e in events if e.ticket) == sorted(issued)


async def test_one_idempotency_key_on_two_servers_issues_one_ticket(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    async with (
        httpx.AsyncClient(base_url=two_servers[0].url) as a,
        httpx.AsyncClient(base_url=two_servers[1].url) as b,
    ):
        answers = await asyncio.gather(
            *(
                http.post(
                    "/api/v1/branches/centro/tickets",
                    json={"service": "pagos"},
                    headers={**KIOSK, "Idempotency-Key": "the-same-key"},
                )
                for http in (a, b, a, b)
            )
        )
    assert sorted(r.status_code for r in answers) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in answers}) == 1


async def test_kill_9_of_one_server_under_load_loses_no_acknowledged_ticket(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    victim, survivor = two_servers
    rush = KioskRush(KIOSK)

    # On the survivor, a kiosk stops once the other server is dead and this one carried on.
    def victim_dead() -> bool:
        return bool(victim.process and victim.process.poll())

    async with (
        httpx.AsyncClient(base_url=victim.url, timeout=10) as a,
        httpx.AsyncClient(base_url=survivor.url, timeout=10) as b,
    ):
        kiosks = [
            asyncio.create_task(rush.kiosk(n, b, victim_dead) if n % 2 else rush.kiosk(n, a))
            for n in range(8)
        ]
        await asyncio.wait_for(rush.enough.wait(), 30)
        victim.kill()  # mid-flight: kiosks on both servers are still sending
        await asyncio.wait_for(asyncio.gather(*kiosks), 15)
        await check_all_kept(b, rush.acknowledged)
    numbers = list(rush.acknowledged.values())
    assert len(numbers) == len(set(numbers)), "a number was handed out twice"


async def test_a_database_restart_is_503_then_recovers_and_streams_replay(
    pg_cluster: PgCluster, two_servers: tuple[ServerProcess, ServerProcess]
) -> None:
    a, b = two_servers
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=10) as http,
        QueueClient(a.url, TOKENS["display"]) as display,
        QueueClient(b.url, TOKENS["kiosk"]) as kiosk,
    ):
        follower = Follower(display)
        try:
            await follower.connected()
            await kiosk.issue_ticket("centro", "pagos", idempotency_key="before")
            pg_cluster.stop()
            try:
                health = await http.get("/api/v1/health")
                assert health.status_code == 503
                assert health.headers["content-type"] == "application/problem+json"
                refused = await http.post(
                    "/api/v1/branches/centro/tickets",
                    json={"service": "pagos"},
                    headers={**KIOSK, "Idempotency-Key": "during"},
                )
                assert refused.status_code == 503
                assert refused.headers["content-type"] == "application/problem+json"
            finally:
                pg_cluster.start()
            assert (await http.get("/api/v1/health")).status_code == 200
            await kiosk.issue_ticket("centro", "pagos", idempotency_key="after")
            events = await follower.take(2)
        finally:
            await follower.stop()
    assert [(e.id, e.ticket.number if e.ticket else None) for e in events] == [
        (1, "B001"),
        (2, "B002"),
    ]


async def test_a_database_restart_under_load_loses_nothing_and_streams_miss_nothing(
    pg_cluster: PgCluster, two_servers: tuple[ServerProcess, ServerProcess]
) -> None:
    """Kiosks on both servers keep issuing, retrying a refused ticket with its key, while
    PostgreSQL stops and starts again."""
    acknowledged: dict[str, str] = {}
    progress = asyncio.Condition()
    refused = asyncio.Event()
    stop = asyncio.Event()

    async def kiosk(n: int, http: httpx.AsyncClient) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            while True:  # one ticket, retried with its key until the server takes it
                response = await http.post(
                    "/api/v1/branches/centro/tickets",
                    json={"service": "pagos"},
                    headers={**KIOSK, "Idempotency-Key": f"{n}-{i}"},
                )
                if response.status_code in (200, 201):
                    acknowledged[response.json()["id"]] = response.json()["number"]
                    async with progress:
                        progress.notify_all()
                    break
                assert response.status_code == 503, response.text
                assert response.headers["content-type"] == "application/problem+json"
                refused.set()

    async def until(count: int) -> None:
        async with progress:
            await progress.wait_for(lambda: len(acknowledged) >= count)

    a, b = two_servers
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=10) as http_a,
        httpx.AsyncClient(base_url=b.url, timeout=10) as http_b,
        QueueClient(a.url, TOKENS["display"]) as display,
    ):
        follower = Follower(display)
        try:
            await follower.connected()
            kiosks = [asyncio.create_task(kiosk(n, (http_a, http_b)[n % 2])) for n in range(4)]
            await asyncio.wait_for(until(30), 30)
            await asyncio.to_thread(pg_cluster.stop)
            try:
                await asyncio.wait_for(refused.wait(), 10)
            finally:
                await asyncio.to_thread(pg_cluster.start)
            before = len(acknowledged)
            await asyncio.wait_for(until(before + 30), 30)
            stop.set()
            await asyncio.wait_for(asyncio.gather(*kiosks), 30)
            events = await follower.take(len(acknowledged))
        finally:
            stop.set()
            await follower.stop()
        await check_all_kept(http_b, acknowledged)
    numbers = list(acknowledged.values())
    assert len(numbers) == len(set(numbers)), "a number was handed out twice"
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    assert sorted(e.ticket.id for e in events if e.ticket) == sorted(acknowledged)


def turnero(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "turnero", *args], capture_output=True, text=True, timeout=60
    )


def test_db_upgrade_creates_the_schema_by_hand(pg_cluster: PgCluster, tmp_path: Path) -> None:
    url = pg_cluster.database()
    done = turnero("db", "upgrade", "--config", str(office_file(tmp_path, url)))
    assert done.returncode == 0, done.stderr
    assert "is up to date" in done.stdout and "turnero@" not in done.stdout
    with psycopg.connect(url) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_version")]
    assert versions == sorted(MIGRATIONS)


def test_workers_on_sqlite_are_refused_with_what_to_do(tmp_path: Path) -> None:
    config = office_file(tmp_path, tmp_path / "turnero.db")
    done = turnero("server", "--config", str(config), "--workers", "2")
    assert done.returncode == 2
    assert "SQLite database serves one server process" in done.stderr
    assert "postgresql://" in done.stderr and "Traceback" not in done.stderr


async def test_workers_on_postgresql_serve_one_port_together(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    config = office_file(tmp_path, pg_cluster.database(), kiosk_tickets_per_minute=0)
    server = ServerProcess(config, workers=2).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            answers = await asyncio.gather(
                *(
                    http.post(
                        "/api/v1/branches/centro/tickets",
                        json={"service": "pagos"},
                        headers={**KIOSK, "Idempotency-Key": f"w{i}"},
                    )
                    for i in range(20)
                )
            )
    finally:
        server.stop()
    assert [r.status_code for r in answers] == [201] * 20
    assert sorted(r.json()["number"] for r in answers) == [f"B{n:03}" for n in range(1, 21)]
    started = "".join(server.output).count("Started server process")
    assert started == 2, "".join(server.output)


def test_workers_refuse_an_oversized_header_as_one_server_does(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    server = ServerProcess(office_file(tmp_path, pg_cluster.database()), workers=2).start()
    try:
        # Every connection is refused, whichever worker accepts it.
        for _ in range(4):
            status, headers, body = oversized_header(server)
            assert status == 431 and is_problem(431, headers, body)
        assert health_answers(server)
    finally:
        server.stop()
