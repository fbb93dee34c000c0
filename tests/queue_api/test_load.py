"""Many counters at once and a crash mid-issue: no ticket twice, none skipped, none lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from queue_api import engine
from queue_api.engine import TicketRecord
from queue_api.schema import TicketStatus
from tests.queue_api.conftest import bearer
from tests.server_process import ServerProcess, office_file

COUNTERS = 20
SERVICES = ["licencias", "pagos", "registro"]
ADMIN = bearer("demo-admin-token")


def busy_office(folder: Path, database: str | None = None) -> Path:
    """One branch with 20 counters, each with its own token and its own service order; on
    ``database`` if given, else on a SQLite file in ``folder``."""
    database = database or f"sqlite:///{folder / 'turnero.db'}"
    lines = [
        "[server]",
        f'database = "{database}"',
        "kiosk_tickets_per_minute = 0",  # kiosks faster than any crowd, on purpose
        'timezone = "America/Mexico_City"',
        "[[branches]]",
        'id = "grande"',
        'name = "Oficina Grande"',
    ]
    for service, prefix in zip(SERVICES, "ABC", strict=True):
        lines += [
            "[[branches.services]]",
            f'id = "{service}"',
            f'prefix = "{prefix}"',
            f'name = {{ es = "{service}" }}',
            "priority_allowed = true",
        ]
    for n in range(1, COUNTERS + 1):
        served = [SERVICES[(n + i) % 3] for i in range(1 + n % 3)]
        lines += [
            "[[branches.counters]]",
            f'id = "{n}"',
            f'label = "Ventanilla {n}"',
            f"services = {served!r}".replace("'", '"'),
        ]
    lines += [
        "[[devices]]",
        'name = "kiosk"',
        'role = "kiosk"',
        'branch = "grande"',
        'token = "kiosk-grande"',
        "[[devices]]",
        'name = "admin"',
        'role = "admin"',
        'token = "demo-admin-token"',
    ]
    for n in range(1, COUNTERS + 1):
        lines += [
            "[[devices]]",
            f'name = "counter-{n}"',
            'role = "counter"',
            'branch = "grande"',
            f'counter = "{n}"',
            f'token = "counter-grande-{n}"',
        ]
    path = folder / "office.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def record(data: dict) -> TicketRecord:
    return TicketRecord(
        id=data["id"],
        branch=data["branch"],
        service=data["service"],
        number=data["number"],
        day=datetime.fromisoformat(data["issued_at"]).date(),
        priority=data["priority"],
        language=data["language"],
        issued_at=datetime.fromisoformat(data["issued_at"]),
        status=TicketStatus(data["status"]),
        queue_at=datetime.fromisoformat(data["issued_at"]),
    )


async def issue_ninety(clients: Sequence[httpx.AsyncClient]) -> list[str]:
    """90 tickets for branch "grande" over its services (every 7th with priority), the
    kiosk's requests dealt round ``clients``; their ids in order."""
    issued = []
    for i in range(90):
        response = await clients[i % len(clients)].post(
            "/api/v1/branches/grande/tickets",
            json={"service": SERVICES[i % 3], "priority": i % 7 == 0},
            headers={**bearer("kiosk-grande"), "Idempotency-Key": f"k{i}"},
        )
        assert response.status_code == 201
        issued.append(response.json()["id"])
    return issued


async def drain(clients: Sequence[httpx.AsyncClient]) -> list[list[str]]:
    """Every counter presses *Next* at once until the queue is empty (counter n on
    ``clients[n % len(clients)]``); the ids each one called."""

    async def counter(n: int) -> list[str]:
        http = clients[n % len(clients)]
        called = []
        while True:
            response = await http.post(
                f"/api/v1/branches/grande/counters/{n}/next", headers=bearer(f"counter-grande-{n}")
            )
            if response.status_code == 204:
                return called
            assert response.status_code == 200, response.text
            called.append(response.json()["id"])

    return list(await asyncio.gather(*(counter(n) for n in range(1, COUNTERS + 1))))


async def test_twenty_counters_calling_at_once_never_share_or_skip(tmp_path: Path) -> None:
    server = ServerProcess(busy_office(tmp_path)).start()
    try:
        async with httpx.AsyncClient(
            base_url=server.url, timeout=30, limits=httpx.Limits(max_connections=40)
        ) as http:
            issued = await issue_ninety([http])
            per_counter = await drain([http])
            events = []
            after = 0
            while True:  # the whole log, by replay
                headers = {**ADMIN, "Last-Event-ID": str(after)}
                batch = await read_log(http, headers)
                if not batch:
                    break
                events += batch
                after = batch[-1]["id"]
                if (
                    after
                    >= (await http.get("/api/v1/branches/grande/board", headers=ADMIN)).json()[
                        "last_event_id"
                    ]
                ):
                    break
        called = [t for calls in per_counter for t in calls]
        assert len(called) == len(set(called)), "a ticket was called twice"
        assert sorted(called) == sorted(issued), "a ticket was never called"
        assert sum(1 for calls in per_counter if calls) > 5  # they really ran side by side
        check_call_order(events, server)
    finally:
        server.stop()


async def read_log(http: httpx.AsyncClient, headers: dict) -> list[dict]:
    """Events replayed after Last-Event-ID until the stream goes quiet."""
    import json

    events: list[dict] = []
    async with http.stream("GET", "/api/v1/branches/grande/events", headers=headers) as response:
        lines = response.aiter_lines()
        current: dict = {}
        while True:
            try:
                line = await asyncio.wait_for(anext(lines), 0.5)
            except (TimeoutError, StopAsyncIteration):
                assert response.status_code == 200
                return events
            if line.startswith("id: "):
                current = {"id": int(line[4:])}
            elif line.startswith("event: "):
                current["type"] = line[7:]
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
                events.append(current)


def check_call_order(events: list[dict], server: ServerProcess) -> None:
    """Replaying the log: every call took the first waiting ticket in the counter's order."""
    import tomllib

    config = tomllib.loads(server.config.read_text())
    services = {c["id"]: c["services"] for c in config["branches"][0]["counters"]}
    waiting: dict[str, TicketRecord] = {}
    calls = 0
    for event in events:
        ticket = event["data"].get("ticket")
        if event["type"] == "ticket.issued":
            waiting[ticket["id"]] = record(ticket)
        elif event["type"] == "ticket.called":
            mine = services[ticket["counter"]]
            chosen = waiting.pop(ticket["id"])
            first = engine.pick_next(waiting.values(), mine)
            assert first is None or engine.queue_order(chosen, mine) < engine.queue_order(
                first, mine
            ), f"{ticket['counter']} called {chosen.number} before {first.number}"
            calls += 1
    assert calls == 90 and not waiting


@dataclass
class KioskRush:
    """Kiosks issuing tickets as fast as a server takes them, until it dies under them;
    ``enough`` is set once 150 are acknowledged (ticket id to number)."""

    headers: dict[str, str]
    acknowledged: dict[str, str] = field(default_factory=dict)
    enough: asyncio.Event = field(default_factory=asyncio.Event)

    async def kiosk(
        self, n: int, http: httpx.AsyncClient, done: Callable[[], bool] = lambda: False
    ) -> None:
        """Kiosk ``n`` on ``http``; it also stops once ``done()`` after a ticket."""
        i = 0
        while True:
            i += 1
            try:
                response = await http.post(
                    "/api/v1/branches/centro/tickets",
                    json={"service": ["licencias", "pagos"][n % 2]},
                    headers={**self.headers, "Idempotency-Key": f"{n}-{i}"},
                )
            except httpx.TransportError:
                return  # its server died under it: this ticket was never acknowledged
            assert response.status_code == 201, response.text
            self.acknowledged[response.json()["id"]] = response.json()["number"]
            if len(self.acknowledged) >= 150:
                self.enough.set()
            if done():
                return


async def check_all_kept(http: httpx.AsyncClient, acknowledged: dict[str, str]) -> None:
    """Every acknowledged ticket (id to number) is there, with its number."""
    for ticket_id, number in acknowledged.items():
        response = await http.get(f"/api/v1/tickets/{ticket_id}")
        assert response.status_code == 200, f"{number} acknowledged, then lost"
        assert response.json()["number"] == number


async def test_kill_9_while_kiosks_issue_loses_no_acknowledged_ticket(tmp_path: Path) -> None:
    config = office_file(tmp_path, tmp_path / "turnero.db", kiosk_tickets_per_minute=0)
    server = ServerProcess(config).start()
    rush = KioskRush(bearer("demo-kiosk-centro"))
    acknowledged = rush.acknowledged

    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            kiosks = [asyncio.create_task(rush.kiosk(n, http)) for n in range(8)]
            await asyncio.wait_for(rush.enough.wait(), 30)
            server.kill()  # mid-flight: kiosks are still sending
            await asyncio.wait_for(asyncio.gather(*kiosks), 15)
        assert len(acknowledged) >= 150
        server.start()
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            await check_all_kept(http, acknowledged)
            after = []
            for i in range(4):
                response = await http.post(
                    "/api/v1/branches/centro/tickets",
                    json={"service": ["licencias", "pagos"][i % 2]},
                    headers={**bearer("demo-kiosk-centro"), "Idempotency-Key": f"after-{i}"},
                )
                assert response.status_code == 201
                after.append(response.json()["number"])
            stats = (await http.get("/api/v1/branches/centro/stats", headers=ADMIN)).json()
    finally:
        server.stop()
    numbers = list(acknowledged.values()) + after
    assert len(numbers) == len(set(numbers)), "a number was handed out twice"
    for prefix in "AB":
        before = max(int(n[1:]) for n in acknowledged.values() if n[0] == prefix)
        later = [int(n[1:]) for n in after if n[0] == prefix]
        assert all(n > before for n in later)
    issued = sum(s["issued"] for s in stats["services"])
    # Everything acknowledged is there; at most one in-flight ticket per kiosk committed
    # without its answer reaching the kiosk.
    assert len(acknowledged) + 4 <= issued <= len(acknowledged) + 4 + 8
