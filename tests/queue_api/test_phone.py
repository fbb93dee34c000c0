"""The citizen's phone over HTTP, on each store: a ticket's own stream, tickets taken from a
phone and their limits, feedback once served."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from queue_api.client import QueueClient, new_idempotency_key
from queue_api.config import load_office_config
from queue_api.office import Conflict, Office
from queue_api.phone import Phone
from queue_api.schema import CounterState, FeedbackIn, IssueTicket
from queue_api.store import open_store
from tests.server_process import TOKENS, ServerProcess, serving

B = "centro"


def office_day(config: Path) -> date:
    """Today in the office's time zone: its business day."""
    return datetime.now(ZoneInfo(load_office_config(config).server.timezone)).date()


def phone_office(config: Path, server: str = "") -> Path:
    """The example office where phones may join: pagos (3 a day), registro (closed today) and,
    in norte, pagos on a day the office is closed; licencias only at the kiosk. ``server``:
    more lines for its ``[server]`` section."""
    today = office_day(config)
    around = [today + timedelta(days=d) for d in (-1, 0, 1)]  # whatever the hour is
    text = config.read_text(encoding="utf-8")
    for old, new in (
        ('timezone = "America/Mexico_City"', f'timezone = "America/Mexico_City"\n{server}'),
        ('prefix = "B"', 'prefix = "B"\nremote_join = true\nremote_daily_limit = 3'),
        ('prefix = "C"', 'prefix = "C"\nremote_join = true\nopen = false'),
        ('prefix = "P"', 'prefix = "P"\nremote_join = true'),
        (
            'name = "Oficina Norte"',
            'name = "Oficina Norte"\nclosed_days = [' + ", ".join(map(str, around)) + "]",
        ),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture
def server(office_config: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(phone_office(office_config)).start()
    yield process
    process.stop()


@pytest.fixture
async def kiosk(server: ServerProcess) -> AsyncIterator[QueueClient]:
    async with QueueClient(server.url, TOKENS["kiosk"]) as client:
        yield client


@pytest.fixture
async def counter2(server: ServerProcess) -> AsyncIterator[QueueClient]:
    async with QueueClient(server.url, TOKENS["counter2"]) as client:
        yield client


async def issue(kiosk: QueueClient, service: str = "licencias") -> str:
    ticket = await kiosk.issue_ticket(B, service, idempotency_key=new_idempotency_key())
    return ticket.id


class TicketFollower:
    """A phone following one ticket's stream in the background."""

    def __init__(self, url: str, ticket_id: str) -> None:
        self.updates: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self.task = asyncio.create_task(self._run(url, ticket_id))

    async def _run(self, url: str, ticket_id: str) -> None:
        async with (
            httpx.AsyncClient(base_url=url, timeout=None) as http,
            http.stream("GET", f"/api/v1/tickets/{ticket_id}/events") as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            event = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    await self.updates.put((event, json.loads(line.removeprefix("data: "))))

    async def next(self) -> dict[str, Any]:
        """The next update's data."""
        event, data = await asyncio.wait_for(self.updates.get(), 10)
        assert event == "ticket.updated"
        return data

    async def view(self) -> dict[str, Any]:
        return (await self.next())["ticket"]


@asynccontextmanager
async def following(url: str, ticket_id: str) -> AsyncIterator[TicketFollower]:
    follower = TicketFollower(url, ticket_id)
    try:
        yield follower
    finally:
        follower.task.cancel()
        await asyncio.gather(follower.task, return_exceptions=True)


async def test_a_ticket_stream_sends_its_view_when_people_ahead_change_and_when_called(
    server: ServerProcess, kiosk: QueueClient, counter2: QueueClient
) -> None:
    first, _, mine = [await issue(kiosk) for _ in range(3)]
    async with following(server.url, mine) as phone, following(server.url, first) as other:
        data = await phone.next()
        assert (data["ticket"]["number"], data["ticket"]["status"]) == ("A003", "waiting")
        assert data["ticket"]["ahead"] == 2 and data["ticket"]["ewt_seconds"] > 0
        assert set(data["wait_text"]) == {"es", "en"} and data["at"]
        assert (await other.view())["number"] == "A001"

        await counter2.call_next(B, "2")  # A001 called: one less ahead of A003
        assert (await phone.view())["ahead"] == 1
        called = await other.view()
        assert (called["status"], called["counter_label"]) == ("called", "Ventanilla 2")

        # Nothing that leaves A003's view as it was reaches its stream: another service's
        # ticket, someone behind it, a recall of somebody else.
        await issue(kiosk, "pagos")
        await issue(kiosk)
        await counter2.recall(B, "2")
        await counter2.call_next(B, "2")  # A001 done, A002 called
        assert (await phone.view())["ahead"] == 0
        await counter2.call_next(B, "2")  # A003 called
        view = await phone.view()
        assert (view["number"], view["status"], view["counter_label"]) == (
            "A003",
            "called",
            "Ventanilla 2",
        )
        assert view["ahead"] is None and "id" not in view and view["recalls"] == 0
        await counter2.recall(B, "2")  # called again: the phone alerts again
        assert (await phone.view())["recalls"] == 1
        await counter2.start(B, "2")
        assert (await phone.view())["status"] == "serving"
        assert phone.updates.empty()
        # The stream of A001 saw its own changes only: its recall, then its end (one view
        # when both came before it was sent: a snapshot stream sends the newest view).
        seen = [await other.view()]
        while seen[-1]["status"] != "done":
            seen.append(await other.view())
        assert [(v["number"], v["recalls"]) for v in seen] == [("A001", 1)] * len(seen)
        assert [v["status"] for v in seen] in (["called", "done"], ["done"])
        assert other.updates.empty()


async def test_ticket_streams_count_against_the_streams_per_address(
    office_config: Path,
) -> None:
    config = phone_office(office_config, "streams_per_address = 2")
    with serving(config) as server:
        async with QueueClient(server.url, TOKENS["kiosk"]) as kiosk:
            first, second = await issue(kiosk), await issue(kiosk)
        display = {"Authorization": f"Bearer {TOKENS['display']}"}
        async with (
            following(server.url, first) as phone,
            httpx.AsyncClient(base_url=server.url, timeout=10) as http,
            http.stream("GET", f"/api/v1/branches/{B}/events", headers=display) as lobby,
        ):
            assert lobby.status_code == 200
            assert (await phone.view())["number"] == "A001"
            refused = await http.get(f"/api/v1/tickets/{second}/events")
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            assert "2 event streams are open from your network" in refused.json()["detail"]
        # Given back when they end.
        async with following(server.url, second) as phone:
            assert (await phone.view())["number"] == "A002"


async def test_a_ticket_stream_keeps_alive_and_ends_when_the_server_stops(
    office_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TURNERO_HEARTBEAT_SECONDS", "0.2")
    config = phone_office(office_config)
    with serving(config) as server:
        async with QueueClient(server.url, TOKENS["kiosk"]) as desk:
            mine = await issue(desk)
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=10) as http,
            http.stream("GET", f"/api/v1/tickets/{mine}/events") as response,
        ):
            lines = response.aiter_lines()
            seen: list[str] = []
            while seen.count(": keep-alive") < 2:
                if line := await asyncio.wait_for(anext(lines), 5):
                    seen.append(line)
            assert seen[:2] == [": connected", "event: ticket.updated"]
            started = time.monotonic()
            assert server.process is not None
            server.process.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(server.process.wait, 10)
            with contextlib.suppress(httpx.HTTPError):
                async for _ in lines:  # the stream ends rather than hangs
                    pass
        assert code in (0, -signal.SIGTERM)
        assert time.monotonic() - started < 4
        assert "Traceback" not in "".join(server.output)


async def test_a_stream_of_an_unknown_ticket_is_404(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        for ticket_id in ("no-such-ticket", "x%1B"):
            response = await http.get(f"/api/v1/tickets/{ticket_id}/events")
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"


async def test_many_phones_on_one_ticket_each_get_its_view(
    server: ServerProcess, kiosk: QueueClient, counter2: QueueClient
) -> None:
    await issue(kiosk)
    mine = await issue(kiosk)
    async with following(server.url, mine) as one, following(server.url, mine) as two:
        assert (await one.view())["ahead"] == 1 and (await two.view())["ahead"] == 1
        await counter2.call_next(B, "2")
        assert (await one.view())["ahead"] == 0 and (await two.view())["ahead"] == 0
    # A third phone opening later starts from the current view.
    async with following(server.url, mine) as three:
        assert (await three.view())["ahead"] == 0


async def remote(http: httpx.AsyncClient, service: str, branch: str = B) -> httpx.Response:
    return await http.post(
        f"/api/v1/branches/{branch}/remote-tickets", json={"service": service, "language": "en"}
    )


async def test_a_remote_ticket_shares_numbers_and_line_with_the_kiosks(
    server: ServerProcess, kiosk: QueueClient, counter2: QueueClient
) -> None:
    await issue(kiosk, "pagos")
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await remote(http, "pagos")
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert (body["number"], body["channel"], body["status"], body["ahead"]) == (
            "B002",
            "remote",
            "waiting",
            1,
        )
        assert body["language"] == "en" and body["ewt_seconds"] > 0
        assert body["status_url"] == f"{server.url}/t/{body['id']}"
        after = await kiosk.issue_ticket(B, "pagos", idempotency_key=new_idempotency_key())
        assert (after.number, after.ahead) == ("B003", 2)
        public = (await http.get(f"/api/v1/tickets/{body['id']}")).json()
        assert public["channel"] == "remote" and public["number"] == "B002"
    async with QueueClient(server.url, TOKENS["counter3"]) as counter3:
        called = [(await counter3.call_next(B, "3")) for _ in range(3)]
    assert [(t.number, t.channel) for t in called if t] == [
        ("B001", "kiosk"),
        ("B002", "remote"),
        ("B003", "kiosk"),
    ]


async def test_remote_tickets_are_refused_when_not_allowed_closed_or_full(
    server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        refusals = {
            "kiosk only": await remote(http, "licencias"),
            "closed service": await remote(http, "registro"),
            "closed day": await remote(http, "pagos", "norte"),
        }
        for why, answer in refusals.items():
            assert answer.status_code == 409, why
            assert answer.headers["content-type"] == "application/problem+json"
        assert "take one at the kiosk" in refusals["kiosk only"].json()["detail"]
        assert "registro is closed today" in refusals["closed service"].json()["detail"]
        assert "office is closed today" in refusals["closed day"].json()["detail"]
        assert [(await remote(http, "pagos")).status_code for _ in range(3)] == [201] * 3
        full = await remote(http, "pagos")
        assert full.status_code == 409
        assert "all 3 of today's tickets for phones" in full.json()["detail"]
        assert (await remote(http, "pasaportes")).status_code == 404
        assert (await remote(http, "pagos", "sur")).status_code == 404
        bad = await http.post(
            f"/api/v1/branches/{B}/remote-tickets", json={"service": "pagos", "x": 1}
        )
        assert bad.status_code == 422


async def test_remote_tickets_are_limited_per_client_address(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        # Refused ones count too: probing costs the same as joining.
        answers = [await remote(http, "licencias") for _ in range(10)]
        assert {a.status_code for a in answers} == {409}
        over = await remote(http, "pagos")
        assert over.status_code == 429
        assert over.headers["content-type"] == "application/problem+json"
        assert 1 <= int(over.headers["retry-after"]) <= 60
        assert "try again in" in over.json()["detail"]
    # The server's log reaches us through a pipe a moment later: wait for the refusal in it.
    deadline = time.monotonic() + 10
    while not any("refused" in line for line in server.output):
        assert time.monotonic() < deadline, "the refusal was never logged"
        await asyncio.sleep(0.02)
    logged = [line for line in server.output if "listening on" not in line]
    assert not any("127.0.0.1" in line for line in logged)  # a citizen's address is personal


async def feedback(http: httpx.AsyncClient, ticket_id: str, **body: Any) -> httpx.Response:
    return await http.post(f"/api/v1/tickets/{ticket_id}/feedback", json=body)


async def test_feedback_once_and_only_after_the_ticket_was_served(
    server: ServerProcess, kiosk: QueueClient, counter2: QueueClient
) -> None:
    ticket = await issue(kiosk)
    async with httpx.AsyncClient(base_url=server.url) as http:
        waiting = await feedback(http, ticket, score=5)
        assert waiting.status_code == 409
        assert "feedback is taken once it has been served" in waiting.json()["detail"]
        await counter2.call_next(B, "2")
        assert (await feedback(http, ticket, score=5)).status_code == 409
        await counter2.finish(B, "2")
        for bad in ({"score": 0}, {"score": 6}, {"score": 4, "comment": "x" * 501}, {}):
            assert (await feedback(http, ticket, **bad)).status_code == 422, bad
        given = await feedback(http, ticket, score=4, comment="  Rápido y amable  ")
        assert given.status_code == 201, given.text
        assert {k: given.json()[k] for k in ("number", "score", "comment")} == {
            "number": "A001",
            "score": 4,
            "comment": "Rápido y amable",
        }
        again = await feedback(http, ticket, score=1)
        assert again.status_code == 409
        assert "already received" in again.json()["detail"]
        assert (await feedback(http, "no-such-ticket", score=3)).status_code == 404


def test_feedback_is_kept_with_service_counter_and_day_and_tallied(office_config: Path) -> None:
    config = load_office_config(office_config)
    store = open_store(config.server.database)
    try:
        office = Office(config, store)
        phone = Phone(office)
        ids = [
            office.issue(B, IssueTicket(service=s), new_idempotency_key())[0].id
            for s in ("licencias", "licencias", "pagos")
        ]
        for counter in ("2", "2", "3"):
            office.call_next(B, counter)  # the second at 2 finishes A001
        office.finish(B, "2")
        office.finish(B, "3")
        scores = {ids[0]: 5, ids[1]: 2, ids[2]: 4}
        for ticket_id, score in scores.items():
            phone.give_feedback(ticket_id, FeedbackIn(score=score))
        with pytest.raises(Conflict):
            phone.give_feedback(ids[0], FeedbackIn(score=1))
        assert phone.feedback_given(ids[0])
        today = office.today()
        with store.read() as tx:
            kept = tx.feedback(B, ids[2])
            tallies = tx.feedback_tallies(B, today - timedelta(days=1), today)
            before = tx.feedback_tallies(B, today - timedelta(days=9), today - timedelta(days=1))
        assert kept is not None
        assert (kept.service, kept.counter, kept.day, kept.score) == ("pagos", "3", today, 4)
        assert [(t.day, t.service, t.counter, t.count, t.total) for t in tallies] == [
            (today, "licencias", "2", 2, 7),
            (today, "pagos", "3", 1, 4),
        ]
        assert tallies[0].mean == 3.5 and before == []
    finally:
        store.close()


def test_views_made_again_only_when_their_inputs_changed_are_the_views(
    office_config: Path,
) -> None:
    """What ``Phone.views`` keeps between calls never leaves a view out of date: after every
    kind of change, the views it gives equal views made from scratch."""
    config = load_office_config(office_config)
    store = open_store(config.server.database)
    try:
        office = Office(config, store)
        phone = Phone(office)
        services = ["licencias", "pagos", "registro"] * 3
        ids = [
            office.issue(B, IssueTicket(service=s, priority=i == 7), new_idempotency_key())[0].id
            for i, s in enumerate(services)
        ]
        known: dict = {}
        steps = [
            lambda: None,
            lambda: office.call_next(B, "2"),  # opens 2: estimates of licencias change
            lambda: office.call_next(B, "2"),  # a licencias ticket done: its service time
            lambda: office.issue(B, IssueTicket(service="pagos"), new_idempotency_key()),
            lambda: office.call_next(B, "3"),
            lambda: office.transfer(B, "3", "licencias"),
            lambda: office.call_next(B, "1"),
            lambda: office.no_show(B, "1"),
            lambda: office.finish(B, "2"),
            lambda: office.set_counter_state(B, "3", CounterState.PAUSED),
        ]
        remade = 0
        for step in steps:
            step()
            before = dict(known)
            kept = phone.views(B, ids, known=known)
            assert kept == phone.views(B, ids)
            remade += sum(1 for i in ids if before.get(i, (None, None))[1] is not kept[i])
        assert remade < len(ids) * len(steps)  # some views were kept, not made again
    finally:
        store.close()
