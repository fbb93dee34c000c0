"""The clerk's desk actions of API.md v1 additions over HTTP, on both stores: ``call`` out of
order, ``finish`` with an outcome, ``transfer`` to a counter, ``return`` of a late no-show, the
counter's ranked line, and ``why`` on ``next`` and ``call``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from queue_api.client import Conflict, Forbidden, InvalidRequest, NotFound, QueueClient
from queue_api.client import new_idempotency_key as key
from queue_api.schema import EventType, Ticket, TicketStatus
from tests.desk_office import desk_office
from tests.queue_api.conftest import as_role, database_for
from tests.server_process import TOKENS, ServerProcess

B = "centro"


@pytest.fixture(params=["sqlite", "postgres"])
def desk_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(desk_office(tmp_path, database_for(request, tmp_path))).start()
    yield process
    process.stop()


@pytest.fixture
async def c(desk_server: ServerProcess) -> AsyncIterator[dict[str, QueueClient]]:
    made = {role: QueueClient(desk_server.url, token) for role, token in TOKENS.items()}
    yield made
    for client in made.values():
        await client.aclose()


async def issue(c: dict[str, QueueClient], service: str, priority: bool = False) -> Ticket:
    return await c["kiosk"].issue_ticket(B, service, idempotency_key=key(), priority=priority)


async def test_next_says_why(c: dict[str, QueueClient]) -> None:
    await issue(c, "pagos")
    await issue(c, "licencias", priority=True)
    called = await c["counter1"].call_next(B, "1")  # licencias, pagos
    assert called is not None and called.why is not None
    assert called.why.startswith("priority; waited 0 min; your first service")
    assert (await c["counter1"].call_next(B, "1")).why == "waited 0 min"


async def test_call_out_of_order_finishes_the_current_and_says_who_was_next(
    c: dict[str, QueueClient], desk_server: ServerProcess
) -> None:
    a1, a2, a3 = [await issue(c, "licencias") for _ in range(3)]
    counter = c["counter2"]  # licencias only
    first = await counter.call_next(B, "2")
    assert first.number == a1.number
    called = await counter.call_ticket(B, "2", a3.id)
    assert (called.number, called.status, called.counter) == ("A003", TicketStatus.CALLED, "2")
    assert (
        called.why
        == "called out of order by the clerk; number 2 in line; waited 0 min; A002 was next"
    )
    assert (await c["kiosk"].public_ticket(a1.id)).status is TicketStatus.DONE
    assert (await counter.call_next(B, "2")).number == a2.number
    # In the event log: the finish of A001, then the call of A003, as with next.
    async with httpx.AsyncClient(base_url=desk_server.url, headers=as_role("display")) as http:
        board = (await http.get(f"/api/v1/branches/{B}/board")).json()
    assert [call["number"] for call in board["calls"][:3]] == ["A002", "A003", "A001"]


async def test_call_refusals_are_409_or_404_and_change_nothing(c: dict[str, QueueClient]) -> None:
    a1 = await issue(c, "licencias")
    c1 = await issue(c, "registro")
    counter = c["counter2"]  # licencias only
    held = await counter.call_next(B, "2")
    with pytest.raises(Conflict, match="C001 is for registro, which counter 2 does not serve"):
        await counter.call_ticket(B, "2", c1.id)
    with pytest.raises(Conflict, match="A001 is called, not waiting"):
        await counter.call_ticket(B, "2", a1.id)
    with pytest.raises(NotFound, match="no ticket with this id"):
        await counter.call_ticket(B, "2", "no-such-ticket")
    with pytest.raises(InvalidRequest):
        await counter.call_ticket(B, "2", "not/an/id")
    with pytest.raises(Forbidden):
        await c["counter1"].call_ticket(B, "2", c1.id)
    # Nothing changed: the counter still holds A001, C001 still waits.
    assert (await counter.counter(B, "2")).current.id == held.id
    assert (await c["kiosk"].public_ticket(c1.id)).status is TicketStatus.WAITING


async def test_finish_with_an_outcome_of_the_service_or_422(c: dict[str, QueueClient]) -> None:
    await issue(c, "pagos")
    await issue(c, "registro")
    await issue(c, "registro")
    counter = c["counter3"]  # pagos, registro
    await counter.call_next(B, "3")  # B001: pagos lists no outcome
    with pytest.raises(InvalidRequest, match="pagos has no outcome 'ok'; it lists none"):
        await counter.finish_with(B, "3", "ok")
    assert (await counter.finish_with(B, "3", None)).outcome is None
    await counter.call_next(B, "3")
    with pytest.raises(InvalidRequest, match=r"no outcome 'lost'; use one of \['ok', 'papers'\]"):
        await counter.finish_with(B, "3", "lost")
    done = await counter.finish_with(B, "3", "papers")
    assert (done.status, done.outcome) == (TicketStatus.DONE, "papers")
    stats = {s.service: s for s in (await c["admin"].stats(B)).services}
    assert (stats["registro"].outcomes, stats["pagos"].outcomes) == ({"papers": 1}, {})
    with pytest.raises(Conflict, match="no current ticket"):
        await counter.finish_with(B, "3", "ok")
    await counter.call_next(B, "3")
    assert (await counter.finish(B, "3")).outcome is None  # the old call, no body, still works


async def test_transfer_to_a_counter_waits_for_that_counter_only(c: dict[str, QueueClient]) -> None:
    a1 = await issue(c, "licencias")
    await c["counter2"].call_next(B, "2")
    moved = await c["counter2"].transfer_to(B, "2", to_counter="1")
    assert (moved.status, moved.service, moved.for_counter) == (
        TicketStatus.WAITING,
        "licencias",
        "1",
    )
    assert moved.issued_at == a1.issued_at
    # The citizen's phone says where to go.
    public = await c["kiosk"].public_ticket(a1.id)
    assert (public.status, public.counter_label, public.for_counter_label) == (
        TicketStatus.WAITING,
        None,
        "Ventanilla 1",
    )
    assert await c["counter4"].call_next(B, "4") is None  # serves licencias, but not counter 1
    with pytest.raises(Conflict, match="A001 waits for counter 1 only"):
        await c["counter4"].call_ticket(B, "4", a1.id)
    line = await c["counter1"].counter_line(B, "1")
    assert [(t.number, t.why) for t in line.tickets] == [
        ("A001", "sent to this counter; waited 0 min; your first service")
    ]
    assert (await c["counter4"].counter_line(B, "4")).tickets == []
    called = await c["counter1"].call_next(B, "1")
    assert called.number == "A001" and called.why.startswith("sent to this counter")
    # To a counter that does not serve the ticket's service: it takes that counter's first.
    moved = await c["counter1"].transfer_to(B, "1", to_counter="3")
    assert (moved.service, moved.for_counter) == ("pagos", "3")
    await c["counter3"].call_next(B, "3")
    with pytest.raises(Conflict, match="counter 2 does not serve registro"):
        await c["counter3"].transfer_to(B, "3", service="registro", to_counter="2")
    with pytest.raises(Conflict, match="already at counter 3"):
        await c["counter3"].transfer_to(B, "3", to_counter="3")
    with pytest.raises(NotFound, match="no counter '9'"):
        await c["counter3"].transfer_to(B, "3", to_counter="9")
    with pytest.raises(InvalidRequest, match="name where to send the ticket"):
        await c["counter3"].transfer_to(B, "3")
    plain = await c["counter3"].transfer_to(B, "3", service="licencias")
    assert plain.for_counter is None  # a plain transfer goes to any counter of the service


async def test_return_places_a_late_no_show_behind_return_after(
    c: dict[str, QueueClient], desk_server: ServerProcess
) -> None:
    a1, a2, a3 = [await issue(c, "licencias") for _ in range(3)]
    counter = c["counter2"]
    await counter.call_next(B, "2")
    assert (await counter.no_show(B, "2")).status is TicketStatus.NO_SHOW
    with pytest.raises(Forbidden):
        await c["kiosk"].return_ticket(B, a1.id)
    gone = (await c["counter4"].counter_line(B, "4")).no_shows
    assert [(t.number, t.status) for t in gone] == [("A001", TicketStatus.NO_SHOW)]
    back = await c["counter4"].return_ticket(B, a1.id)  # any counter of the branch may
    assert (await c["counter4"].counter_line(B, "4")).no_shows == []
    assert (back.number, back.status, back.counter, back.ahead) == (
        "A001",
        TicketStatus.WAITING,
        None,
        1,
    )
    with pytest.raises(Conflict, match="A001 is waiting: only a no-show can be brought back"):
        await counter.return_ticket(B, a1.id)
    with pytest.raises(NotFound):
        await c["admin"].return_ticket("norte", a1.id)
    # return_after = 1: behind A002, before A003.
    assert [t.number for t in (await counter.counter_line(B, "2")).tickets] == [
        "A002",
        "A001",
        "A003",
    ]
    assert (await counter.call_next(B, "2")).number == a2.number
    again = await counter.call_next(B, "2")
    assert again.number == "A001" and "back after a no-show, behind 1" in again.why
    assert (await counter.call_next(B, "2")).number == a3.number
    licencias = next(s for s in (await c["admin"].stats(B)).services if s.service == "licencias")
    assert (licencias.returned, licencias.no_shows, licencias.served) == (1, 0, 2)
    issued = EventType.TICKET_ISSUED.value
    assert (await event_types(desk_server, 7)) == [
        issued,
        issued,
        issued,
        "counter.updated",  # next opened counter 2
        "ticket.called",
        "ticket.no_show",
        "ticket.returned",
    ]


async def event_types(server: ServerProcess, count: int) -> list[str]:
    """The types of the branch's first ``count`` events, read from its stream."""
    types: list[str] = []
    path = f"/api/v1/branches/{B}/events"
    async with (
        asyncio.timeout(10),
        httpx.AsyncClient(base_url=server.url, headers=as_role("display")) as http,
        http.stream("GET", path, headers={"Last-Event-ID": "0"}) as stream,
    ):
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                types.append(line.removeprefix("event: "))
            if len(types) == count:
                return types
    return types


async def test_two_counters_calling_one_ticket_get_it_once(c: dict[str, QueueClient]) -> None:
    """Rounds of two counters calling the same ticket out of order while a third calls next:
    each ticket goes to one counter only."""
    called: list[str] = []
    for _ in range(5):
        tickets = [await issue(c, "licencias") for _ in range(3)]
        target = tickets[-1]
        results = await asyncio.gather(
            c["counter1"].call_ticket(B, "1", target.id),
            c["counter2"].call_ticket(B, "2", target.id),
            c["counter4"].call_next(B, "4"),
            return_exceptions=True,
        )
        won = [r for r in results[:2] if isinstance(r, Ticket)]
        lost = [r for r in results[:2] if isinstance(r, Conflict)]
        assert len(won) == 1 and len(lost) == 1, results
        assert "not waiting" in lost[0].detail
        assert isinstance(results[2], Ticket) and results[2].id != target.id
        called += [won[0].id, results[2].id]
    assert len(called) == len(set(called))
    stats = await c["admin"].stats(B)
    licencias = next(s for s in stats.services if s.service == "licencias")
    # 15 issued: 10 called (and finished by the next call, but the last ones), 5 waiting.
    assert (licencias.issued, licencias.waiting) == (15, 5)
