"""The branch's Server-Sent Events: live order, replay, resync, heartbeats, shutdown."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from queue_api.client import QueueClient, new_idempotency_key
from queue_api.config import load_office_config
from queue_api.schema import AlertIn, Counter, Event, EventType, Ticket
from queue_api.server import create_app
from queue_api.store import open_store
from tests.queue_api.conftest import as_role
from tests.server_process import TOKENS, ServerProcess

B = "centro"
EVENTS = f"/api/v1/branches/{B}/events"


class Follower:
    """A display following the branch's events through the client, in a background task."""

    def __init__(self, client: QueueClient, last_event_id: int | None = None) -> None:
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.connections: asyncio.Queue[bool] = asyncio.Queue()
        self.task = asyncio.create_task(self._run(client, last_event_id))

    async def _run(self, client: QueueClient, last_event_id: int | None) -> None:
        stream = client.events(
            B,
            last_event_id=last_event_id,
            max_backoff=0.5,
            on_connection=self.connections.put_nowait,
        )
        async for event in stream:
            await self.events.put(event)

    async def connected(self) -> None:
        assert await asyncio.wait_for(self.connections.get(), 10) is True

    async def take(self, count: int) -> list[Event]:
        return [await asyncio.wait_for(self.events.get(), 10) for _ in range(count)]

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@asynccontextmanager
async def following(
    client: QueueClient, last_event_id: int | None = None
) -> AsyncIterator[Follower]:
    follower = Follower(client, last_event_id)
    try:
        await follower.connected()
        yield follower
    finally:
        await follower.stop()


async def issue(clients: dict, service: str = "licencias"):
    return await clients["kiosk"].issue_ticket(B, service, idempotency_key=new_idempotency_key())


def summary(events: list[Event]) -> list[tuple[str, str | None]]:
    return [(e.type.value, e.ticket.number if e.ticket else None) for e in events]


async def test_live_events_in_the_order_they_happened(clients: dict) -> None:
    async with following(clients["display"]) as display:
        await issue(clients)
        await issue(clients)
        await clients["counter2"].call_next(B, "2")
        await clients["counter2"].call_next(B, "2")  # finishes A001, calls A002
        await clients["counter2"].recall(B, "2")
        await clients["display"].report_alert(B, "printer-1", "paper_out", "no paper")
        events = await display.take(8)
    assert summary(events) == [
        ("ticket.issued", "A001"),
        ("ticket.issued", "A002"),
        ("counter.updated", None),
        ("ticket.called", "A001"),
        ("ticket.completed", "A001"),
        ("ticket.called", "A002"),
        ("ticket.recalled", "A002"),
        ("device.alert", None),
    ]
    ids = [e.id for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert events[2].counter.state.value == "open"
    # Counter actions carry the ticket and the counter; every event has a zoned time.
    assert events[5].counter.current.number == "A002"
    assert events[4].ticket.status.value == "done"
    assert all(e.data.at.tzinfo is not None for e in events)
    assert events[7].data.alert.model_dump() == {
        "branch": B,
        "device": "pantalla-sala",  # the token's device, whatever the body says
        "kind": "paper_out",
        "detail": "no paper",
        "role": "display",
    }
    board = await clients["display"].board(B)
    assert board.last_event_id == ids[-1]


def test_an_alert_event_gives_its_alert_or_says_it_is_unreadable() -> None:
    at = "2026-01-05T09:00:00-06:00"
    alert = {"branch": B, "device": "kiosko", "kind": "printer.ok", "detail": "", "role": "kiosk"}
    event = Event(id=7, type=EventType.DEVICE_ALERT, data={"alert": alert, "at": at})
    assert event.alert is not None
    assert (event.alert.event_id, event.alert.at, event.alert.part) == (
        7,
        datetime.fromisoformat(at),
        "printer",
    )
    assert Event(id=8, type=EventType.TICKET_CALLED, data={"at": at}).alert is None
    for garbled in ({"alert": "paper out", "at": at}, {"alert": {**alert, "kind": 3}, "at": at}):
        with pytest.raises(ValueError):
            Event(id=9, type=EventType.DEVICE_ALERT, data=garbled).alert  # noqa: B018


async def test_the_standing_alerts_are_what_the_alert_events_left(clients: dict) -> None:
    async with following(clients["display"]) as display:
        await clients["kiosk"].report_alert(B, "kiosko", "printer.paper_out", "replace the roll")
        await clients["counter2"].report_alert(B, "ventanilla-2", "board.lost", "no answer")
        await clients["counter2"].report_alert(B, "ventanilla-2", "board.ok", "")
        events = await display.take(3)
    standing = await clients["counter1"].standing_alerts(B)
    assert standing.alerts == [events[0].alert]
    fault = standing.alerts[0]
    assert (fault.device, fault.kind, fault.detail, fault.role) == (
        "kiosk-entrada",
        "printer.paper_out",
        "replace the roll",
        "kiosk",
    )
    assert standing.last_event_id == events[-1].id

    await clients["kiosk"].report_alert(B, "kiosko", "printer.ok", "")
    assert (await clients["display"].standing_alerts(B)).alerts == []


async def test_other_branches_events_do_not_arrive(clients: dict, tokens) -> None:
    async with following(clients["display"]) as display:
        await clients["kiosk_norte"].issue_ticket("norte", "pagos", idempotency_key="n1")
        await issue(clients)
        (event,) = await display.take(1)
    assert (event.type, event.ticket.branch) == (EventType.TICKET_ISSUED, B)


async def test_replay_from_last_event_id_then_live(clients: dict) -> None:
    for _ in range(3):
        await issue(clients)
    await clients["counter1"].call_next(B, "1")
    board = await clients["display"].board(B)
    all_ids = board.last_event_id
    async with following(clients["display"], last_event_id=2) as display:
        replayed = await display.take(3)
        assert [e.id for e in replayed] == [3, 4, 5] == list(range(3, all_ids + 1))
        assert summary(replayed) == [
            ("ticket.issued", "A003"),
            ("counter.updated", None),
            ("ticket.called", "A001"),
        ]
        await clients["counter1"].call_next(B, "1")
        live = await display.take(2)
    assert summary(live) == [("ticket.completed", "A001"), ("ticket.called", "A002")]
    assert [e.id for e in live] == [6, 7]


async def test_up_to_date_last_event_id_replays_nothing(clients: dict) -> None:
    await issue(clients)
    async with following(clients["display"], last_event_id=1) as display:
        await issue(clients)
        (event,) = await display.take(1)
    assert (event.id, event.ticket.number) == (2, "A002")


async def test_resync_for_an_unknown_id(clients: dict) -> None:
    await issue(clients)
    async with following(clients["display"], last_event_id=999) as display:
        (resync,) = await display.take(1)
        assert resync.type is EventType.RESYNC
        assert resync.id == 1 and resync.data.last_event_id == 1
        await issue(clients)
        (live,) = await display.take(1)
    assert (live.id, live.type) == (2, EventType.TICKET_ISSUED)


async def test_resync_when_the_events_were_pruned(clients: dict, office_config: Path) -> None:
    for _ in range(3):
        await issue(clients)
    # Prune through the store, on the very database the server uses (another writer process).
    store = open_store(load_office_config(office_config).server.database)
    try:
        store.prune(datetime.now(UTC) + timedelta(minutes=1))
        assert store.replay_horizon(B) == 3
    finally:
        store.close()
    board = await clients["display"].board(B)
    assert board.last_event_id == 3  # ids never go back, even with an empty log
    async with following(clients["display"], last_event_id=1) as display:
        (resync,) = await display.take(1)
        assert resync.type is EventType.RESYNC and resync.data.last_event_id == 3
        ticket = await issue(clients)
        (live,) = await display.take(1)
    assert (live.id, live.ticket.number) == (4, ticket.number)


async def test_bad_last_event_id_is_400(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get(EVENTS, headers={**as_role("display"), "Last-Event-ID": "x"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("value", [b"\xb2", b"9" * 5000, b"-1"], ids=["superscript", "huge", "neg"])
async def test_a_last_event_id_that_is_no_event_id_is_400(
    server: ServerProcess, value: bytes
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get(EVENTS, headers={**as_role("display"), "Last-Event-ID": value})
    assert response.status_code == 400
    assert "Last-Event-ID" in response.json()["detail"]


async def raw_lines(lines_of: AsyncIterator[str], until: str, within: float) -> list[str]:
    """Lines of a raw event stream up to the first starting with ``until`` (or its end)."""
    lines: list[str] = []

    async def read() -> None:
        async for line in lines_of:
            lines.append(line)
            if line.startswith(until):
                return

    await asyncio.wait_for(read(), within)
    return lines


def frames(lines: list[str]) -> list[tuple[str, dict]]:
    """(type, data) of each event in raw stream lines, ``data`` as its JSON object."""
    types = [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]
    datas = [json.loads(line.removeprefix("data: ")) for line in lines if line.startswith("data: ")]
    return list(zip(types, datas, strict=True))


UTC_MICROSECONDS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00"


async def test_event_data_keeps_its_shape_on_the_wire(server: ServerProcess, clients) -> None:
    """What devices in the field parse: only the parts an event has, in this order, the
    ticket and counter whole (nulls too), and ``at`` in UTC to the microsecond."""
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        async with http.stream("GET", EVENTS, headers=as_role("display")) as response:
            lines_of = response.aiter_lines()
            await raw_lines(lines_of, ": connected", within=5)
            await issue(clients)
            await clients["counter1"].call_next(B, "1")
            await clients["display"].report_alert(B, "pantalla", "printer.paper_out", "no paper")
            lines = await raw_lines(lines_of, "event: device.alert", within=10)
            lines += await raw_lines(lines_of, "data: ", within=5)
        headers = {**as_role("display"), "Last-Event-ID": "999"}
        async with http.stream("GET", EVENTS, headers=headers) as response:
            resync = await raw_lines(response.aiter_lines(), "data: ", within=5)
    live = frames(lines)
    assert [(type, list(data)) for type, data in live] == [
        ("ticket.issued", ["ticket", "at"]),
        ("counter.updated", ["counter", "at"]),
        ("ticket.called", ["ticket", "counter", "at"]),
        ("device.alert", ["alert", "at"]),
    ]
    assert all(re.fullmatch(UTC_MICROSECONDS, data["at"]) for _, data in live)
    issued, opened, called, alert = (data for _, data in live)
    assert list(issued["ticket"]) == list(Ticket.model_fields)
    assert issued["ticket"]["called_at"] is None and issued["ticket"]["issued_at"].endswith("Z")
    assert list(opened["counter"]) == list(Counter.model_fields)
    assert called["counter"]["current"] == called["ticket"]
    assert alert["alert"] == {
        "branch": B,
        "device": "pantalla-sala",
        "kind": "printer.paper_out",
        "detail": "no paper",
        "role": "display",
    }
    ((type, data),) = frames(resync)
    assert (type, list(data), data["last_event_id"]) == ("resync", ["at", "last_event_id"], 4)
    assert datetime.fromisoformat(data["at"]).utcoffset() == timedelta(0)


@pytest.fixture
def quick_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TURNERO_HEARTBEAT_SECONDS", "0.2")


async def test_heartbeat_comment_while_nothing_happens(quick_heartbeat, server) -> None:
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
        http.stream("GET", EVENTS, headers=as_role("display")) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        lines_of = response.aiter_lines()
        # One timer beats for every stream, so the first keep-alive may come at once after
        # connecting; the pace shows between the first and the third: two beats of 0.2 s.
        lines = await raw_lines(lines_of, ": keep-alive", within=5)
        first = time.monotonic()
        lines += await raw_lines(lines_of, ": keep-alive", within=5)
        lines += await raw_lines(lines_of, ": keep-alive", within=5)
        elapsed = time.monotonic() - first
    assert lines[0] == ": connected"
    assert lines.count(": keep-alive") == 3
    assert 0.2 <= elapsed < 3


async def test_sigterm_with_open_streams_exits_promptly(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        streams = []
        for _ in range(3):
            context = http.stream("GET", EVENTS, headers=as_role("display"))
            response = await context.__aenter__()
            assert response.status_code == 200
            streams.append((context, response.aiter_lines()))
        for _, lines_of in streams:
            await raw_lines(lines_of, ": connected", within=5)
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(server.process.wait, 10)
        elapsed = time.monotonic() - started
        for _, lines_of in streams:  # every stream ended instead of hanging
            await raw_lines(lines_of, "never", within=5)
        for context, _ in streams:
            await context.__aexit__(None, None, None)
    # uvicorn re-raises the signal once shut down, so the exit status is -SIGTERM; the log
    # shows the shutdown ran to the end rather than being cut.
    assert code in (0, -signal.SIGTERM)
    assert elapsed < 4, f"took {elapsed:.1f}s to stop (the graceful timeout is 5 s)"
    output = "".join(server.output)
    assert "Application shutdown complete" in output
    assert "Traceback" not in output and "Cancel" not in output


async def test_an_event_committed_as_the_stream_opens_is_not_lost(office_config: Path) -> None:
    """A client counts itself connected when the answer's headers arrive, and acts at once.
    The app is driven through ASGI in-process, so an alert can be committed exactly while
    the headers go out: a race a server over TCP hits only under load."""
    app = create_app(load_office_config(office_config))
    body = bytearray()
    alert_sent = asyncio.Event()
    disconnect = asyncio.Event()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": EVENTS,
        "raw_path": EVENTS.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"authorization", f"Bearer {TOKENS['display']}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> dict:
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200
            # The headers are out: the client acts now, before the stream says anything.
            app.state.office.alert(B, "kiosk", AlertIn(device="kiosk-entrada", kind="printer.ok"))
        else:
            body.extend(message.get("body", b""))
            if b"event: device.alert" in body:
                alert_sent.set()

    # The app's own start and stop (hub, and a shared store's log follower; store closed).
    async with app.router.lifespan_context(app):
        answering = asyncio.create_task(app(scope, receive, send))
        try:
            await asyncio.wait_for(alert_sent.wait(), 10)
        finally:
            app.state.hub.close()
            disconnect.set()
            await asyncio.wait_for(answering, 10)
