"""The client: typed errors, safe retries of ticket issue, events that survive a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from queue_api.client import (
    ApiError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    QueueClient,
    Unauthorized,
    Unreachable,
    new_idempotency_key,
)
from queue_api.config import load_office_config
from queue_api.schema import Event, EventType, IssueTicket, Ticket
from queue_api.store import open_store
from tests.server_process import ServerProcess, free_port

B = "centro"


@pytest.fixture
async def kiosk(server: ServerProcess, tokens: dict[str, str]) -> AsyncIterator[QueueClient]:
    async with QueueClient(server.url, tokens["kiosk"]) as client:
        yield client


async def count_issued(server: ServerProcess, tokens: dict[str, str]) -> int:
    async with QueueClient(server.url, tokens["admin"]) as admin:
        return sum(s.issued for s in (await admin.stats(B)).services)


async def test_typed_errors_carry_the_servers_detail(
    server: ServerProcess, tokens: dict[str, str], kiosk: QueueClient
) -> None:
    async with QueueClient(server.url, tokens["counter1"]) as counter:
        with pytest.raises(Conflict) as conflict:
            await counter.recall(B, "1")
        assert conflict.value.status == 409 and conflict.value.title == "Conflict"
        assert conflict.value.detail == "counter 1 has no current ticket: call the next one"
        assert str(conflict.value) == conflict.value.detail
        with pytest.raises(Forbidden, match="'ventanilla-1' \\(counter\\) may not act on"):
            await counter.call_next(B, "2")
        with pytest.raises(NotFound, match="branch centro has no counter '7'"):
            await counter.counter(B, "7")
    with pytest.raises(NotFound, match="no service 'pasaportes'"):
        await kiosk.issue_ticket(B, "pasaportes", idempotency_key="k")
    with pytest.raises(InvalidRequest, match="language") as invalid:
        await kiosk.issue_ticket(B, "pagos", idempotency_key="k", language="xx1")
    assert invalid.value.status == 422
    async with QueueClient(server.url, "wrong-token-123") as stranger:
        with pytest.raises(Unauthorized, match="not known to the server"):
            await stranger.branch(B)
    async with QueueClient(server.url) as nobody:
        with pytest.raises(Unauthorized, match="Bearer"):
            await nobody.board(B)
        assert (await nobody.health()).status == "ok"
    assert all(issubclass(e, ApiError) for e in (Conflict, Forbidden, NotFound, Unauthorized))


async def test_unreachable_server() -> None:
    async with QueueClient(f"http://127.0.0.1:{free_port()}", "t", retries=1) as client:
        with pytest.raises(Unreachable, match="did not answer"):
            await client.health()
        with pytest.raises(Unreachable):
            await client.call_next(B, "1")


class LoseFirstAnswer(httpx.AsyncBaseTransport):
    """Passes requests to the real server, but the first answer is lost on the way back."""

    def __init__(self) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        response = await self.real.handle_async_request(request)
        if len(self.sent) == 1:
            await response.aread()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response

    async def aclose(self) -> None:
        await self.real.aclose()


async def test_a_lost_answer_is_retried_with_the_same_key_and_issues_once(
    server: ServerProcess, tokens: dict[str, str]
) -> None:
    transport = LoseFirstAnswer()
    async with QueueClient(server.url, tokens["kiosk"], transport=transport) as kiosk:
        ticket = await kiosk.issue_ticket(B, "pagos", idempotency_key="press-42")
    keys = [r.headers["Idempotency-Key"] for r in transport.sent]
    assert keys == ["press-42", "press-42"]
    assert ticket.number == "B001"
    assert await count_issued(server, tokens) == 1  # the lost answer's ticket, not a second


async def test_issue_retries_across_a_server_restart(
    server: ServerProcess, tokens: dict[str, str]
) -> None:
    async with QueueClient(server.url, tokens["kiosk"], retries=8) as kiosk:
        first = await kiosk.issue_ticket(B, "licencias", idempotency_key="before")
        server.stop()
        key = new_idempotency_key()
        pending = asyncio.create_task(kiosk.issue_ticket(B, "licencias", idempotency_key=key))
        await asyncio.sleep(0)  # let it fail at least once against the stopped server
        await asyncio.to_thread(server.start)
        ticket = await asyncio.wait_for(pending, 20)
        again = await kiosk.issue_ticket(B, "licencias", idempotency_key=key)
        assert again.id == ticket.id
        assert ticket.number == "A002" and first.number == "A001"
        assert await count_issued(server, tokens) == 2


class Follower:
    """Pulls one event at a time from ``QueueClient.events`` and records the link's state."""

    def __init__(self, client: QueueClient, last_event_id: int | None = None) -> None:
        self.links: list[bool] = []
        self.up = asyncio.Event()
        self.stream = client.events(
            B, last_event_id=last_event_id, max_backoff=0.5, on_connection=self._link
        )

    def _link(self, up: bool) -> None:
        self.links.append(up)
        if up:
            self.up.set()

    async def next(self) -> Event:
        return await asyncio.wait_for(anext(self.stream), 15)


async def test_events_resume_from_the_last_id_after_a_restart(
    server: ServerProcess, tokens: dict[str, str]
) -> None:
    async with (
        QueueClient(server.url, tokens["display"]) as display,
        QueueClient(server.url, tokens["kiosk"]) as kiosk,
    ):
        follower = Follower(display)
        first = asyncio.create_task(follower.next())
        await asyncio.wait_for(follower.up.wait(), 10)
        await kiosk.issue_ticket(B, "licencias", idempotency_key="one")
        assert (await first).ticket.number == "A001"
        server.stop()
        # While the display is cut off (and not pulling), two more tickets are issued.
        await asyncio.to_thread(server.start)
        try:
            await kiosk.issue_ticket(B, "licencias", idempotency_key="two")
            await kiosk.issue_ticket(B, "pagos", idempotency_key="three")
            replayed = [await follower.next(), await follower.next()]
            assert [(e.id, e.ticket.number) for e in replayed] == [(2, "A002"), (3, "B001")]
            assert follower.links == [True, False, True]
            await kiosk.issue_ticket(B, "pagos", idempotency_key="four")
            live = await follower.next()
            assert (live.id, live.ticket.number) == (4, "B002")
        finally:
            await follower.stream.aclose()


async def test_events_resync_when_the_server_lost_them(
    server: ServerProcess, tokens: dict[str, str]
) -> None:
    async with (
        QueueClient(server.url, tokens["display"]) as display,
        QueueClient(server.url, tokens["kiosk"]) as kiosk,
    ):
        await kiosk.issue_ticket(B, "licencias", idempotency_key="one")
        follower = Follower(display, last_event_id=0)
        assert (await follower.next()).id == 1  # replayed from the start
        server.stop()
        store = open_store(load_office_config(server.config).server.database)
        try:
            with store.write() as tx:  # more happened, then the log was pruned meanwhile
                for n in range(2):
                    tx.append_event(
                        B, EventType.DEVICE_ALERT, {"at": datetime.now(UTC).isoformat(), "n": n}
                    )
            store.prune(datetime.now(UTC) + timedelta(minutes=1))
        finally:
            store.close()
        await asyncio.to_thread(server.start)
        try:
            resync = await follower.next()
            assert resync.type is EventType.RESYNC and resync.id == 3
            await kiosk.issue_ticket(B, "licencias", idempotency_key="two")
            live = await follower.next()
            assert (live.id, live.ticket.number) == (4, "A002")
        finally:
            await follower.stream.aclose()


async def test_events_give_up_on_a_bad_token(server: ServerProcess) -> None:
    async with QueueClient(server.url, "not-a-token") as stranger:
        with pytest.raises(Unauthorized):
            await asyncio.wait_for(anext(stranger.events(B)), 5)
    async with QueueClient(server.url, "demo-kiosk-norte") as other:
        with pytest.raises(Forbidden):
            await asyncio.wait_for(anext(other.events(B)), 5)


@asynccontextmanager
async def event_source(answers: list[bytes]) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A bare HTTP peer on 127.0.0.1 that answers each event-stream request with the next of
    ``answers`` (the last one again when they run out); yields its URL and the requests seen."""
    requests: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await reader.readuntil(b"\r\n\r\n"))
        body = answers[min(len(requests), len(answers)) - 1]
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"content-length: %d\r\n\r\n" % len(body) + body
        )
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with listener:
        yield f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}", requests


async def first_event(url: str, last_event_id: int | None = None) -> Event:
    async with QueueClient(url, "token-of-a-display") as client:
        stream = client.events("centro", last_event_id=last_event_id)
        try:
            return await asyncio.wait_for(anext(stream), 5)
        finally:
            await stream.aclose()


ALERT = (
    b'{"alert": {"branch": "centro", "device": "kiosko", "kind": "printer.ok", "detail": "",'
    b' "role": "kiosk"}, "at": "2026-01-05T09:00:01+00:00"}'
)


async def test_events_of_a_newer_server_that_this_client_does_not_know_are_skipped() -> None:
    """A device older than its server keeps working: unknown event types pass it by."""
    body = (
        b": connected\n\n"
        b'id: 7\nevent: counter.renamed\ndata: {"at": "2026-01-05T09:00:00+00:00"}\n\n'
        b"id: 8\nevent: device.alert\ndata: " + ALERT + b"\n\n"
    )
    async with event_source([body]) as (url, _):
        event = await first_event(url)
    assert (event.id, event.type) == (8, EventType.DEVICE_ALERT)


async def test_a_garbled_event_makes_the_stream_reconnect_instead_of_failing() -> None:
    """A proxy that cuts a line must not end the caller's stream: it reconnects and replays."""
    answers = [
        b'id: 5\nevent: ticket.called\ndata: {"ticket": {"numb\n\n',
        b"id: 5\nevent: device.alert\ndata: " + ALERT + b"\n\n",
    ]
    async with event_source(answers) as (url, requests):
        event = await first_event(url, last_event_id=4)
    assert (event.id, event.type) == (5, EventType.DEVICE_ALERT)
    assert len(requests) == 2
    assert b"last-event-id: 4" in requests[1].lower(), "the retry resumes after the last good id"


async def test_an_event_whose_data_does_not_fit_the_contract_is_skipped() -> None:
    """Read once, typed: the caller never gets data the contract cannot read, and the stream
    goes on (a replay would bring the same event back for ever)."""
    body = (
        b'id: 5\nevent: ticket.called\ndata: {"ticket": {"number": "A1"}, "at": "x"}\n\n'
        b"id: 6\nevent: device.alert\ndata: " + ALERT + b"\n\n"
    )
    async with event_source([body]) as (url, requests):
        event = await first_event(url)
    assert (event.id, event.type, event.alert.kind) == (6, EventType.DEVICE_ALERT, "printer.ok")
    assert len(requests) == 1


def test_fields_a_newer_server_adds_are_ignored_but_requests_stay_strict() -> None:
    # API.md: fields may be added; a device in the field must keep reading the answers.
    ticket = Ticket.model_validate(
        {
            "id": "x",
            "number": "A001",
            "branch": "centro",
            "service": "licencias",
            "priority": False,
            "status": "waiting",
            "language": "es",
            "issued_at": "2026-01-05T09:00:00+00:00",
            "field_of_api_v1_1": 1,
        }
    )
    assert ticket.number == "A001"
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        IssueTicket.model_validate({"service": "licencias", "servce": "pagos"})
