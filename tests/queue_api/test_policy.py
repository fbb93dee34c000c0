"""The branch's fairness policy (``[branches.policy]``) in the engine: the default is v1's order
exactly, no finite head start starves anyone, late no-shows go behind ``return_after`` tickets,
and every choice says why."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queue_api import engine
from queue_api.config import PolicyConfig
from queue_api.engine import RuleViolation, TicketRecord
from queue_api.schema import TicketStatus
from queue_api.store import Store
from queue_api.store.postgres import PostgresStore
from queue_api.store.sqlite import SqliteStore

DAY = date(2026, 3, 10)
START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
SERVICES = ("licencias", "pagos", "registro")
DEFAULT = PolicyConfig()


def ticket(
    n: int, service: str = "licencias", minute: float = 0.0, priority: bool = False, **changes
) -> TicketRecord:
    at = START + timedelta(minutes=minute)
    made = TicketRecord(
        id=f"t{n:04d}",
        branch="centro",
        service=service,
        number=f"{service[0].upper()}{n:03d}",
        day=DAY,
        priority=priority,
        language="es",
        issued_at=at,
        queue_at=at,
    )
    return replace(made, **changes)


@st.composite
def waiting_lines(draw: st.DrawFn, most: int = 30) -> list[TicketRecord]:
    """Waiting tickets of a branch with strictly growing queue times, as issuing gives them."""
    size = draw(st.integers(0, most))
    gaps = draw(st.lists(st.integers(1, 600), min_size=size, max_size=size))
    tickets, seconds = [], 0
    for n, gap in enumerate(gaps):
        seconds += gap
        tickets.append(
            ticket(
                n,
                draw(st.sampled_from(SERVICES)),
                seconds / 60,
                draw(st.booleans()),
            )
        )
    return tickets


counter_services = st.lists(st.sampled_from(SERVICES), min_size=1, max_size=3, unique=True)


@given(waiting_lines(), counter_services)
def test_the_default_policy_is_exactly_v1s_order(
    waiting: list[TicketRecord], services: list[str]
) -> None:
    mine = [t for t in waiting if t.service in services]
    v1 = sorted(mine, key=lambda t: engine.queue_order(t, services))
    ranked = engine.rank_waiting(waiting, services, DEFAULT, START + timedelta(hours=2), "1")
    assert [r.ticket for r in ranked] == v1
    chosen = engine.choose_next(waiting, services, DEFAULT, START, "1")
    assert (chosen.ticket if chosen else None) == engine.pick_next(waiting, services)


@given(
    st.lists(st.tuples(st.sampled_from(SERVICES), st.booleans()), min_size=1, max_size=60),
    st.integers(0, 120),
    st.integers(0, 120),
    st.integers(1, 10),
    st.lists(counter_services, min_size=1, max_size=3),
)
@settings(max_examples=200, deadline=None)
def test_no_finite_head_start_lets_a_ticket_wait_forever(
    arrivals: list[tuple[str, bool]],
    priority_minutes: int,
    first_minutes: int,
    gap_minutes: int,
    desks: list[list[str]],
) -> None:
    """A busy office: one ticket arrives every ``gap_minutes``, cycling ``arrivals`` without
    end, and each counter calls one ticket per arrival. Every ticket is called within a bound
    that does not grow with the day: the tickets there when it came, plus those coming in the
    head starts' span after it, plus one."""
    policy = PolicyConfig(
        priority_head_start_minutes=priority_minutes,
        first_service_head_start_minutes=first_minutes,
    )
    desks = [*desks, list(SERVICES)]  # some counter serves every service
    span = priority_minutes + first_minutes
    bound_arrivals = span // gap_minutes
    waiting: list[TicketRecord] = []
    arrived_with: dict[str, int] = {}
    steps = 3 * len(arrivals) + 40
    for step in range(steps):
        service, priority = arrivals[step % len(arrivals)]
        new = ticket(step, service, step * gap_minutes, priority)
        arrived_with[new.id] = len(waiting)
        waiting.append(new)
        now = START + timedelta(minutes=step * gap_minutes)
        for number, services in enumerate(desks):
            chosen = engine.choose_next(waiting, services, policy, now, str(number))
            if chosen is not None:
                waiting.remove(chosen.ticket)
        for left in waiting:
            waited_steps = step - int(left.id[1:])
            # Each step calls at least one ticket ranked before it, or it.
            assert waited_steps < arrived_with[left.id] + bound_arrivals, (left, policy)


def test_priority_always_first_can_starve_an_ordinary_ticket() -> None:
    """Why the head start exists: with v1's rule, a stream of priority tickets keeps an
    ordinary one waiting for as long as it lasts; a finite head start calls it."""
    ordinary = ticket(0, minute=0)
    stream = [ticket(n, minute=n, priority=True) for n in range(1, 200)]
    late = START + timedelta(minutes=200)
    assert engine.choose_next([ordinary, *stream], ["licencias"], DEFAULT, late).ticket != ordinary
    fair = PolicyConfig(priority_head_start_minutes=30)
    chosen = engine.choose_next([ordinary, *stream[150:]], ["licencias"], fair, late)
    assert chosen is not None and chosen.ticket == ordinary


def test_head_starts_move_a_ticket_by_their_minutes() -> None:
    a = ticket(1, "licencias", minute=0)
    p = ticket(2, "licencias", minute=10, priority=True)
    b = ticket(3, "pagos", minute=4)
    services = ["pagos", "licencias"]
    policy = PolicyConfig(priority_head_start_minutes=15, first_service_head_start_minutes=5)
    # Ranked at: p 10 - 15 = -5, b 4 - 5 = -1, a 0.
    order = [r.ticket for r in engine.rank_waiting([a, p, b], services, policy, START)]
    assert order == [p, b, a]
    tighter = PolicyConfig(priority_head_start_minutes=5, first_service_head_start_minutes=3)
    # p 5, b 1, a 0.
    assert [r.ticket for r in engine.rank_waiting([a, p, b], services, tighter, START)] == [a, b, p]


def test_why_says_priority_wait_and_first_service() -> None:
    p = ticket(1, "licencias", minute=0, priority=True)
    now = START + timedelta(minutes=14, seconds=30)
    chosen = engine.choose_next([p], ["licencias", "pagos"], DEFAULT, now)
    assert chosen is not None and chosen.why == "priority; waited 14 min; your first service"
    policy = PolicyConfig(priority_head_start_minutes=10, first_service_head_start_minutes=2)
    chosen = engine.choose_next([p], ["licencias", "pagos"], policy, now)
    assert chosen.why == "priority (+10 min); waited 14 min; your first service (+2 min)"
    booked = ticket(2, "pagos", appointment_at=START, channel="appointment")
    assert engine.choose_next([booked], ["pagos"], DEFAULT, now).why == (
        "appointment, at its booked time; waited 14 min"
    )


def test_an_appointment_ranks_at_its_booked_time() -> None:
    """Its queue time is its booked time (API.md): checked in early, it waits for its slot."""
    walk_in = ticket(1, minute=5)
    booked = ticket(
        2, minute=0, channel="appointment", appointment_at=START + timedelta(minutes=10)
    )
    booked = replace(booked, queue_at=booked.appointment_at)
    order = [
        r.ticket for r in engine.rank_waiting([booked, walk_in], ["licencias"], DEFAULT, START)
    ]
    assert order == [walk_in, booked]


def test_a_ticket_sent_to_a_counter_is_called_there_only_and_keeps_its_time() -> None:
    older = ticket(1, minute=0)
    sent = engine.transfer(
        replace(ticket(0, "pagos", minute=-5), status=TicketStatus.SERVING, counter="3"),
        "licencias",
        "2",
    )
    assert (sent.for_counter, sent.queue_at) == ("2", START - timedelta(minutes=5))
    assert engine.choose_next([older, sent], ["licencias"], DEFAULT, START, "1").ticket == older
    assert engine.choose_next([older, sent], ["licencias"], DEFAULT, START, "2").ticket == sent
    with pytest.raises(RuleViolation, match="waits for counter 2 only"):
        engine.call_out_of_order(sent, [older], "1", ["licencias"], DEFAULT, START)
    # A plain transfer sends it to any counter again.
    again = engine.transfer(replace(sent, status=TicketStatus.CALLED, counter="2"), "pagos")
    assert again.for_counter is None


def test_an_out_of_order_call_says_where_the_ticket_stood() -> None:
    line = [ticket(n, minute=n) for n in range(4)]
    now = START + timedelta(minutes=9)
    chosen = engine.call_out_of_order(line[2], line, "2", ["licencias"], DEFAULT, now)
    assert chosen.ticket == line[2]
    assert chosen.why == (
        "called out of order by the clerk; number 3 in line; waited 7 min; L000 was next"
    )
    first = engine.call_out_of_order(line[0], line, "2", ["licencias"], DEFAULT, now)
    assert first.why == "called out of order by the clerk; number 1 in line; waited 9 min"
    with pytest.raises(RuleViolation, match="for pagos, which counter 2 does not serve"):
        engine.call_out_of_order(ticket(9, "pagos"), line, "2", ["licencias"], DEFAULT, now)
    called = replace(line[1], status=TicketStatus.CALLED)
    with pytest.raises(RuleViolation, match="L001 is called, not waiting"):
        engine.call_out_of_order(called, line, "2", ["licencias"], DEFAULT, now)


def no_show(t: TicketRecord) -> TicketRecord:
    return replace(t, status=TicketStatus.NO_SHOW, counter="1", called_at=t.queue_at)


@given(waiting_lines(most=15), st.integers(0, 6), st.booleans(), st.sampled_from([-1, 0, 20]))
def test_a_returned_no_show_waits_behind_return_after_tickets(
    waiting: list[TicketRecord], return_after: int, priority: bool, priority_minutes: int
) -> None:
    policy = PolicyConfig(return_after=return_after, priority_head_start_minutes=priority_minutes)
    late = no_show(ticket(999, "licencias", minute=-30, priority=priority))
    now = START + timedelta(hours=3)
    back = engine.return_ticket(late, waiting, policy, now, DAY)
    assert (back.status, back.counter, back.returned_at) == (TicketStatus.WAITING, None, now)
    line = [t for t in waiting if t.service == "licencias"]
    order = [r.ticket.id for r in engine.rank_waiting([*line, back], ["licencias"], policy, now)]
    place = order.index(back.id)
    always_first = priority_minutes == engine.ALWAYS_FIRST
    first = sum(t.priority for t in line) if always_first else 0
    if always_first and priority:
        # It keeps its priority: behind that many priority tickets, or all of them if fewer.
        assert place == min(return_after, first)
    else:
        # Priority tickets always first are ahead of an ordinary one whatever the count.
        assert place == max(first, min(return_after, len(line)))


def test_return_ties_at_one_tick_go_behind() -> None:
    """Tickets a tick apart (a clock that does not move): the returned one takes its anchor's
    time, and ``returned_at`` puts it behind."""
    tick = engine.QUEUE_TICK
    line = [replace(ticket(n), queue_at=START + n * tick) for n in range(3)]
    policy = PolicyConfig(return_after=1)
    back = engine.return_ticket(no_show(ticket(9, minute=-1)), line, policy, START, DAY)
    assert back.queue_at == line[0].queue_at
    order = [r.ticket for r in engine.rank_waiting([*line, back], ["licencias"], policy, START)]
    assert order == [line[0], back, line[1], line[2]]


def test_only_a_no_show_of_today_comes_back() -> None:
    with pytest.raises(RuleViolation, match="L001 is waiting: only a no-show can be brought back"):
        engine.return_ticket(ticket(1), [], DEFAULT, START, DAY)
    yesterday = no_show(replace(ticket(1), day=DAY - timedelta(days=1)))
    with pytest.raises(RuleViolation, match="no-show of 2026-03-09, not of today"):
        engine.return_ticket(yesterday, [], DEFAULT, START, DAY)


def test_finish_with_an_outcome_keeps_it() -> None:
    serving = replace(ticket(1), status=TicketStatus.SERVING, counter="1")
    done = engine.finish_with(serving, START, "ok")
    assert (done.status, done.outcome, done.finished_at) == (TicketStatus.DONE, "ok", START)
    assert engine.finish_with(serving, START, None).outcome is None


# The stores' line heads -------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:
    if request.param == "postgres":
        made: Store = PostgresStore(request.getfixturevalue("pg_cluster").database())
    else:
        made = SqliteStore(tmp_path / "turnero.db")
    yield made
    made.close()


BRANCHES = itertools.count()


@given(
    line=waiting_lines(most=20),
    services=counter_services,
    sent=st.lists(st.sampled_from([None, "1", "2"]), min_size=20, max_size=20),
    returned=st.lists(st.booleans(), min_size=20, max_size=20),
    priority_minutes=st.sampled_from([-1, 0, 7, 60]),
    first_minutes=st.sampled_from([0, 5, 90]),
)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_line_heads_a_store_locks_hold_the_policys_choice(
    store: Store,
    line: list[TicketRecord],
    services: list[str],
    sent: list[str | None],
    returned: list[bool],
    priority_minutes: int,
    first_minutes: int,
) -> None:
    """``next`` reads only each line's head (``line_heads_for_update``): under every policy the
    choice among them is the choice among the whole queue."""
    branch = f"b{next(BRANCHES)}"
    tickets = [
        replace(
            t,
            branch=branch,
            id=f"{branch}-{t.id}",
            for_counter=sent[n],
            returned_at=START + timedelta(hours=1) if returned[n] else None,
        )
        for n, t in enumerate(line)
    ]
    policy = PolicyConfig(
        priority_head_start_minutes=priority_minutes,
        first_service_head_start_minutes=first_minutes,
    )
    with store.write() as tx:
        for t in tickets:
            tx.insert_ticket(t)
        heads = tx.line_heads_for_update(branch, DAY, services, "1")
    from_heads = engine.choose_next(heads, services, policy, START, "1")
    from_all = engine.choose_next(tickets, services, policy, START, "1")
    assert (from_heads and from_heads.ticket.id) == (from_all and from_all.ticket.id)


def test_a_line_whose_front_shares_one_queue_time_is_read_whole(store: Store) -> None:
    """More tickets than a store peeks at share the first queue time (no-shows brought back
    behind one ticket): the one that was not brought back still heads the line."""
    anchor = ticket(1, "licencias", minute=0)
    returned = [
        replace(
            ticket(0, "licencias"),
            id=f"a{n}",
            number=f"A10{n}",
            returned_at=START + n * engine.QUEUE_TICK,
        )
        for n in range(engine.LINE_PEEK + 1)
    ]
    line = [replace(anchor, id="zzz"), *returned]
    with store.write() as tx:
        for t in line:
            tx.insert_ticket(t)
        heads = tx.line_heads_for_update("centro", DAY, ["licencias"], "1")
    assert [t.id for t in heads] == ["zzz"]
    order = engine.rank_waiting(line, ["licencias"], DEFAULT, START)
    assert [r.ticket.id for r in order] == ["zzz", *(t.id for t in returned)]
