"""The queue's behaviour over HTTP, through the client every app uses, on a fresh server."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

import queue_api
from queue_api.client import (
    Conflict,
    InvalidRequest,
    NotFound,
    QueueClient,
    new_idempotency_key,
)
from queue_api.schema import CounterState, TicketStatus
from tests.queue_api.conftest import as_role
from tests.server_process import ServerProcess, office_file

B = "centro"


@pytest.fixture
def kiosk(clients: dict) -> QueueClient:
    return clients["kiosk"]


@pytest.fixture
def admin(clients: dict) -> QueueClient:
    return clients["admin"]


async def issue(kiosk: QueueClient, service: str, priority: bool = False, language: str = "es"):
    return await kiosk.issue_ticket(
        B, service, idempotency_key=new_idempotency_key(), priority=priority, language=language
    )


async def test_issue_answers_the_ticket_with_people_ahead_and_wait(kiosk: QueueClient) -> None:
    first = await issue(kiosk, "licencias")
    second = await issue(kiosk, "licencias")
    other = await issue(kiosk, "pagos")
    assert (first.number, second.number, other.number) == ("A001", "A002", "B001")
    assert first.status is TicketStatus.WAITING and first.counter is None
    assert (first.ahead, second.ahead, other.ahead) == (0, 1, 0)
    # No counter open and no history yet: 300 s per person, one assumed counter.
    assert (first.ewt_seconds, second.ewt_seconds) == (150, 450)
    assert first.issued_at.tzinfo is not None


async def test_next_order_priority_then_time_then_service_order(
    kiosk: QueueClient, clients: dict
) -> None:
    b1 = await issue(kiosk, "pagos")
    a1 = await issue(kiosk, "licencias")
    a2p = await issue(kiosk, "licencias", priority=True)
    c1 = await issue(kiosk, "registro")
    counter1 = clients["counter1"]  # licencias, pagos
    assert (await counter1.call_next(B, "1")).number == a2p.number
    assert (await counter1.call_next(B, "1")).number == b1.number
    # Counter 4 serves registro first, then licencias: C001 came after A001 but A001 is older.
    called = await clients["counter4"].call_next(B, "4")
    assert called.number == a1.number and called.counter == "4"
    assert (await clients["counter3"].call_next(B, "3")).number == c1.number
    assert await clients["counter2"].call_next(B, "2") is None


async def test_next_finishes_the_current_ticket(kiosk: QueueClient, clients: dict) -> None:
    first = await issue(kiosk, "licencias")
    await issue(kiosk, "licencias")
    counter = clients["counter2"]
    await counter.call_next(B, "2")
    second = await counter.call_next(B, "2")
    assert second.number == "A002"
    done = await kiosk.public_ticket(first.id)
    assert done.status is TicketStatus.DONE
    assert await counter.call_next(B, "2") is None  # A002 done too, nobody waits
    state = await counter.counter(B, "2")
    assert state.current is None and state.state is CounterState.OPEN


async def test_204_when_nobody_waits(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            f"/api/v1/branches/{B}/counters/1/next", headers=as_role("counter1")
        )
    assert response.status_code == 204
    assert response.content == b""


async def test_transfer_keeps_number_and_place(kiosk: QueueClient, clients: dict) -> None:
    a1 = await issue(kiosk, "licencias")
    b1 = await issue(kiosk, "pagos")
    await clients["counter2"].call_next(B, "2")
    moved = await clients["counter2"].transfer(B, "2", "pagos")
    assert (moved.number, moved.service, moved.status, moved.counter) == (
        "A001",
        "pagos",
        TicketStatus.WAITING,
        None,
    )
    assert moved.issued_at == a1.issued_at
    assert moved.ahead == 0
    assert (await clients["counter2"].counter(B, "2")).current is None
    assert (await kiosk.public_ticket(b1.id)).ahead == 1  # the older A001 is now before B001
    assert (await clients["counter3"].call_next(B, "3")).number == "A001"
    with pytest.raises(Conflict, match="already in pagos"):
        await clients["counter3"].transfer(B, "3", "pagos")
    with pytest.raises(NotFound, match="no service 'pasaportes'"):
        await clients["counter3"].transfer(B, "3", "pasaportes")


async def test_recall_start_finish_and_no_show(kiosk: QueueClient, clients: dict) -> None:
    await issue(kiosk, "licencias")
    await issue(kiosk, "licencias")
    counter = clients["counter1"]
    await counter.call_next(B, "1")
    assert (await counter.recall(B, "1")).recalls == 1
    recalled = await counter.recall(B, "1")
    assert (recalled.recalls, recalled.status) == (2, TicketStatus.CALLED)
    serving = await counter.start(B, "1")
    assert serving.status is TicketStatus.SERVING and serving.started_at is not None
    with pytest.raises(Conflict, match="only a called ticket can be recalled"):
        await counter.recall(B, "1")
    with pytest.raises(Conflict, match="only a called ticket can be a no-show"):
        await counter.no_show(B, "1")
    done = await counter.finish(B, "1")
    assert done.status is TicketStatus.DONE and done.finished_at is not None
    with pytest.raises(Conflict, match="counter 1 has no current ticket: call the next one"):
        await counter.finish(B, "1")
    await counter.call_next(B, "1")
    gone = await counter.no_show(B, "1")
    assert (gone.number, gone.status) == ("A002", TicketStatus.NO_SHOW)
    for action in (counter.recall, counter.start, counter.finish, counter.no_show):
        with pytest.raises(Conflict, match="no current ticket"):
            await action(B, "1")


async def test_pause_and_close_with_a_current_ticket_are_409(
    kiosk: QueueClient, clients: dict
) -> None:
    counter = clients["counter1"]
    assert (await counter.counter(B, "1")).state is CounterState.CLOSED
    await issue(kiosk, "pagos")
    called = await counter.call_next(B, "1")  # next on a closed counter opens it
    assert (await counter.counter(B, "1")).state is CounterState.OPEN
    for action in ("pause", "close"):
        with pytest.raises(Conflict) as caught:
            await counter.set_counter_state(B, "1", action)
        assert caught.value.status == 409
        assert caught.value.detail == (
            f"counter 1 still holds {called.number}: finish it, transfer it or mark it "
            f"no-show before you {action}"
        )
    await counter.finish(B, "1")
    assert (await counter.set_counter_state(B, "1", "pause")).state is CounterState.PAUSED
    assert await counter.call_next(B, "1") is None  # next on a paused counter opens it too
    assert (await counter.counter(B, "1")).state is CounterState.OPEN
    assert (await counter.set_counter_state(B, "1", "close")).state is CounterState.CLOSED
    assert (await counter.set_counter_state(B, "1", "open")).state is CounterState.OPEN


async def test_idempotency(server: ServerProcess) -> None:
    path = f"/api/v1/branches/{B}/tickets"
    async with httpx.AsyncClient(base_url=server.url, headers=as_role("kiosk")) as http:
        body = {"service": "licencias", "priority": True, "language": "en"}
        first = await http.post(path, json=body, headers={"Idempotency-Key": "press-1"})
        again = await http.post(path, json=body, headers={"Idempotency-Key": "press-1"})
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["number"] == "A001"
        other = await http.post(
            path, json={**body, "priority": False}, headers={"Idempotency-Key": "press-1"}
        )
        assert other.status_code == 409
        assert "Idempotency-Key was already used for a different request" in other.json()["detail"]
        for headers in ({}, {"Idempotency-Key": ""}, {"Idempotency-Key": "k" * 129}):
            missing = await http.post(path, json=body, headers=headers)
            assert missing.status_code == 400
            assert "Idempotency-Key" in missing.json()["detail"]
        assert (
            await http.post(path, json=body, headers={"Idempotency-Key": "k" * 128})
        ).status_code == 201
        queue = (await http.get(f"/api/v1/branches/{B}/queue")).json()
    licencias = next(s for s in queue["services"] if s["service"] == "licencias")
    assert licencias["waiting"] == 2  # the repeats issued nothing


async def test_closed_service_and_unknown_service(tmp_path, tokens) -> None:
    config = office_file(tmp_path, tmp_path / "turnero.db")
    text = config.read_text().replace('prefix = "C"', 'prefix = "C"\nopen = false')
    config.write_text(text)
    process = ServerProcess(config).start()
    try:
        async with QueueClient(process.url, tokens["kiosk"]) as kiosk:
            with pytest.raises(Conflict, match="service registro is closed today"):
                await issue(kiosk, "registro")
            with pytest.raises(NotFound, match="no service 'pasaportes'"):
                await issue(kiosk, "pasaportes")
            branch = await kiosk.branch(B)
            assert [s.open for s in branch.services] == [True, True, False]
        async with QueueClient(process.url, tokens["kiosk_norte"]) as kiosk_norte:
            with pytest.raises(Conflict, match="service pagos has no priority line"):
                await kiosk_norte.issue_ticket("norte", "pagos", idempotency_key="p", priority=True)
            assert (
                await kiosk_norte.issue_ticket("norte", "pagos", idempotency_key="q")
            ).number == "P001"
    finally:
        process.stop()


async def test_public_ticket_shows_nothing_personal(kiosk: QueueClient, clients: dict) -> None:
    ticket = await issue(kiosk, "licencias", language="en")
    public = await kiosk.public_ticket(ticket.id)
    fields = set(public.model_dump())
    assert fields == {
        "number",
        "branch_name",
        "service",
        "service_name",
        "status",
        "language",
        "issued_at",
        "called_at",
        "counter_label",
        "ahead",
        "ewt_seconds",
        "ewt_range_seconds",
        "channel",
        "appointment_at",
        "for_counter_label",
        "recalls",
    }
    assert "id" not in fields and "counter" not in fields
    assert (public.number, public.status, public.ahead, public.counter_label) == (
        "A001",
        TicketStatus.WAITING,
        0,
        None,
    )
    assert public.service_name["en"] == "Driver licences"
    await clients["counter2"].call_next(B, "2")
    called = await kiosk.public_ticket(ticket.id)
    assert (called.status, called.counter_label, called.ahead) == (
        TicketStatus.CALLED,
        "Ventanilla 2",
        None,
    )
    await clients["counter2"].finish(B, "2")
    assert (await kiosk.public_ticket(ticket.id)).counter_label is None


async def test_status_page_in_spanish_and_english(server: ServerProcess, kiosk, clients) -> None:
    spanish = await issue(kiosk, "pagos", language="es")
    english = await issue(kiosk, "licencias", language="en")
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get(f"/t/{spanish.id}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert '<html lang="es">' in page.text
        assert "B001" in page.text and "En espera" in page.text and "Pagos e impuestos" in page.text
        assert 'http-equiv="refresh"' in page.text
        page = await http.get(f"/t/{english.id}")
        assert '<html lang="en">' in page.text
        assert "Waiting" in page.text and "Driver licences" in page.text
        assert "People ahead" in page.text
        await clients["counter2"].call_next(B, "2")
        page = await http.get(f"/t/{english.id}")
        assert "It&#x27;s your turn! Go to Ventanilla 2" in page.text
        page = await http.get(f"/t/{english.id}", params={"lang": "es"})
        assert "¡Es su turno! Pase a Ventanilla 2" in page.text
        missing = await http.get("/t/does-not-exist")
        assert missing.status_code == 404
        assert "Turno no encontrado" in missing.text
        assert english.id not in missing.text


async def test_stats_add_up(kiosk: QueueClient, admin: QueueClient, clients: dict) -> None:
    for service in ("licencias", "licencias", "licencias", "pagos", "registro"):
        await issue(kiosk, service)
    counter = clients["counter2"]
    await counter.call_next(B, "2")
    await counter.start(B, "2")
    await counter.call_next(B, "2")  # A001 done, A002 called
    await counter.no_show(B, "2")  # A002 no-show
    await counter.call_next(B, "2")
    await counter.finish(B, "2")  # A003 done
    stats = await admin.stats(B)
    by_service = {s.service: s for s in stats.services}
    lic = by_service["licencias"]
    assert (lic.issued, lic.waiting, lic.served, lic.no_shows) == (3, 0, 2, 1)
    assert lic.within_target_share == 1.0
    assert lic.mean_wait_seconds is not None and lic.p90_wait_seconds >= lic.mean_wait_seconds
    assert lic.mean_service_seconds is not None
    assert (by_service["pagos"].issued, by_service["pagos"].waiting) == (1, 1)
    assert by_service["registro"].mean_wait_seconds is None
    total_issued = sum(s.issued for s in stats.services)
    accounted = sum(s.waiting + s.served + s.no_shows for s in stats.services)
    assert total_issued == accounted == 5
    by_counter = {c.counter: c for c in stats.counters}
    assert (by_counter["2"].served, by_counter["2"].no_shows) == (2, 1)
    assert sum(c.served for c in stats.counters) == sum(s.served for s in stats.services)
    mexico = datetime.now(ZoneInfo("America/Mexico_City")).date()
    assert stats.day == mexico.isoformat()  # the office's business day, not the machine's


async def test_stats_count_each_clerk_named_when_the_counter_opened(
    kiosk: QueueClient, admin: QueueClient, clients: dict, server: ServerProcess
) -> None:
    for _ in range(3):
        await issue(kiosk, "registro")
    desk = clients["counter3"]
    await desk.set_counter_state(B, "3", "open", clerk="  Ana Pérez ")
    await desk.call_next(B, "3")
    await desk.call_next(B, "3")  # Ana serves one, calls the next
    await desk.no_show(B, "3")
    # The shift changes at an open desk: the next calls count for Luis.
    await desk.set_counter_state(B, "3", "open", clerk="Luis")
    await desk.call_next(B, "3")
    await desk.finish(B, "3")
    stats = await admin.stats(B)
    by_clerk = {c.clerk: (c.served, c.no_shows) for c in stats.clerks}
    assert by_clerk == {"Ana Pérez": (1, 1), "Luis": (1, 0)}
    # Opening without a body keeps working, and keeps the last clerk.
    assert (await desk.set_counter_state(B, "3", "open")).state is CounterState.OPEN
    async with httpx.AsyncClient(base_url=server.url) as http:
        for body in ({}, {"clerk": "   "}, {"clerk": "Ana", "pin": "1"}):
            response = await http.post(
                f"/api/v1/branches/{B}/counters/3/open", json=body, headers=as_role("counter3")
            )
            assert response.status_code == 422, body
            assert "clerk" in response.json()["detail"] or "pin" in response.json()["detail"]
    # Nobody outside the admin sees clerks: the counter's own view does not carry the name.
    assert "Luis" not in (await desk.counter(B, "3")).model_dump_json()


async def test_board_shows_the_last_ten_calls_newest_first(
    kiosk: QueueClient, clients: dict
) -> None:
    for _ in range(12):
        await issue(kiosk, "licencias")
    await issue(kiosk, "pagos")
    counter = clients["counter2"]
    for _ in range(11):
        await counter.call_next(B, "2")
    await counter.recall(B, "2")
    board = await clients["display"].board(B)
    assert len(board.calls) == 10
    assert board.calls[0].recall and board.calls[0].number == "A011"
    assert [c.number for c in board.calls[1:]] == [f"A{n:03d}" for n in range(11, 2, -1)]
    assert all(c.counter == "2" and c.counter_label == "Ventanilla 2" for c in board.calls)
    ids = [c.event_id for c in board.calls]
    assert ids == sorted(ids, reverse=True)
    assert board.last_event_id >= ids[0]
    waiting = {w.service: w.waiting for w in board.waiting}
    assert waiting == {"licencias": 1, "pagos": 1, "registro": 0}
    counter2 = next(c for c in board.counters if c.id == "2")
    assert counter2.current.number == "A011" and counter2.state is CounterState.OPEN


async def test_errors_are_problem_json(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers=as_role("counter1")) as http:
        responses = [
            await http.post(f"/api/v1/branches/{B}/counters/1/recall"),  # 409
            await http.get(f"/api/v1/branches/{B}/counters/9"),  # 404
            await http.get("/api/v1/nothing-here"),  # 404 route
            await http.delete(f"/api/v1/branches/{B}"),  # 405
            await http.post(f"/api/v1/branches/{B}/tickets", json={}),  # 403
        ]
    for response in responses:
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert set(body) == {"type", "title", "status", "detail"}
        assert body["status"] == response.status_code
        assert body["detail"] and body["title"]
    assert [r.status_code for r in responses] == [409, 404, 404, 405, 403]
    assert "see /openapi.json" in responses[2].json()["detail"]


BAD_BODIES = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"licencias"',
    b'{"service": 3}',
    b'{"service": "Licencias!"}',
    b'{"service": "licencias", "priority": "maybe"}',
    b'{"service": "licencias", "language": "spanish"}',
    b'{"service": "licencias", "extra": 1}',
    b'{"service": "' + b"x" * 10_000 + b'"}',
    b'{"service": "licencias\\u0000"}',
    '{"service": "licéncias"}'.encode(),
    b"\xff\xfe",
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
async def test_bad_bodies_are_422_never_5xx(shared_server: ServerProcess, body: bytes) -> None:
    headers = {**as_role("kiosk"), "Idempotency-Key": "bad", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=shared_server.url) as http:
        response = await http.post(f"/api/v1/branches/{B}/tickets", content=body, headers=headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        transfer = await http.post(
            f"/api/v1/branches/{B}/counters/1/transfer",
            content=body,
            headers={**as_role("counter1"), "Content-Type": "application/json"},
        )
        assert transfer.status_code == 422, transfer.text
        alert = await http.post(
            f"/api/v1/branches/{B}/alerts",
            content=body,
            headers={**as_role("display"), "Content-Type": "application/json"},
        )
        assert alert.status_code == 422, alert.text


async def test_invalid_request_carries_the_servers_detail(kiosk: QueueClient) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await kiosk.issue_ticket(B, "licencias", idempotency_key="x", language="espanol")
    assert caught.value.status == 422
    assert "language" in caught.value.detail


def catalog_escape(folder: Path) -> str:
    """A relative path from the server's catalogs to ``folder``, with two .toml files in it."""
    (folder / "evil.toml").write_text('"status.title" = "INJECTED"\n', encoding="utf-8")
    (folder / "broken.toml").write_text("not [[[ toml\n", encoding="utf-8")
    return os.path.relpath(folder, Path(queue_api.__file__).parent / "locales")


async def test_status_page_language_is_a_code_never_a_path(
    server: ServerProcess, kiosk: QueueClient, tmp_path
) -> None:
    """?lang= comes from a URL: it picks one of the catalogs or the ticket's own language."""
    escape = catalog_escape(tmp_path)
    ticket = await issue(kiosk, "licencias", language="en")
    async with httpx.AsyncClient(base_url=server.url) as http:
        for lang in (f"{escape}/evil", f"{escape}/broken", "<b>", "fr", "x" * 3000):
            page = await http.get(f"/t/{ticket.id}", params={"lang": lang})
            assert page.status_code == 200, lang
            assert '<html lang="en">' in page.text and "INJECTED" not in page.text
    assert "Traceback" not in "".join(server.output)


async def test_a_body_that_is_not_utf8_is_a_400_problem(server: ServerProcess) -> None:
    headers = {**as_role("counter1"), "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            f"/api/v1/branches/{B}/counters/1/transfer",
            content=b'{"service": "\xff\xfe\xfa"}',
            headers=headers,
        )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "the body could not be read: send a JSON object encoded in UTF-8"
    )


CONTROL_TEXT = ["\u0000", "\u001b[2J", "line\nbreak"]


@pytest.mark.parametrize("text", CONTROL_TEXT, ids=["nul", "escape", "newline"])
async def test_control_characters_in_an_alert_are_422_on_every_store(
    shared_server: ServerProcess, text: str
) -> None:
    # PostgreSQL refuses NUL in text (a 500 before), and control characters garble logs.
    async with httpx.AsyncClient(base_url=shared_server.url, headers=as_role("admin")) as http:
        for body in (
            {"device": f"kiosk{text}", "kind": "printer.paper_out", "detail": ""},
            {"device": "kiosk", "kind": f"printer{text}", "detail": ""},
        ):
            response = await http.post(f"/api/v1/branches/{B}/alerts", json=body)
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("ticket_id", ["abc%00def", "x%1B", "a" * 200, "%C3%B1"])
async def test_a_ticket_id_that_cannot_be_ours_is_unknown_on_every_store(
    shared_server: ServerProcess, ticket_id: str
) -> None:
    async with httpx.AsyncClient(base_url=shared_server.url) as http:
        view = await http.get(f"/api/v1/tickets/{ticket_id}")
        assert view.status_code == 404, view.text
        assert view.headers["content-type"] == "application/problem+json"
        page = await http.get(f"/t/{ticket_id}")
        assert page.status_code == 404, page.text


async def test_a_waiting_ticket_has_a_wait_range_and_a_called_one_none(
    kiosk: QueueClient, clients: dict
) -> None:
    first = await issue(kiosk, "registro")
    second = await issue(kiosk, "registro")
    assert first.ewt_range_seconds is not None and second.ewt_range_seconds is not None
    low, high = second.ewt_range_seconds
    assert second.ewt_seconds is not None and low <= second.ewt_seconds <= high
    assert first.ewt_range_seconds[1] <= high  # the one behind never reads shorter
    assert (await kiosk.public_ticket(second.id)).ewt_range_seconds == (low, high)
    line = next(line for line in (await kiosk.queue(B)).services if line.service == "registro")
    assert line.ewt_range_seconds is not None and line.ewt_range_seconds[1] >= high
    called = await clients["counter3"].call_next(B, "3")  # counter 3: pagos, registro
    assert called is not None and called.id == first.id
    assert called.ewt_range_seconds is None and called.ewt_seconds is None
    public = await kiosk.public_ticket(first.id)
    assert public.ewt_range_seconds is None and public.ewt_seconds is None
    assert (await kiosk.public_ticket(second.id)).ewt_range_seconds is not None
