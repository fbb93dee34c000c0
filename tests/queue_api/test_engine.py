"""The queue rules: numbering, business day, who is next, transitions, waiting estimate.

Pure engine functions are tested directly; numbering per day and the no-skip / no-double-call
guarantees are tested through ``Office`` on a real SQLite file with a controllable clock.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from device.clock import FrozenClock as Clock
from queue_api import engine
from queue_api.config import load_office_config
from queue_api.engine import CounterRecord, RuleViolation, TicketRecord
from queue_api.office import Conflict, Office
from queue_api.phone import Phone
from queue_api.schema import CounterState, EventType, IssueTicket, ReportedAlert, TicketStatus
from queue_api.store.sqlite import SqliteStore
from tests.server_process import office_file

MEXICO = ZoneInfo("America/Mexico_City")
T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 09:00 in Mexico City


def ticket(
    number: str = "A001",
    service: str = "licencias",
    *,
    priority: bool = False,
    issued: float = 0,
    status: TicketStatus = TicketStatus.WAITING,
    id: str | None = None,
) -> TicketRecord:
    return TicketRecord(
        id=id or f"id-{number}",
        branch="centro",
        service=service,
        number=number,
        day=T0.date(),
        priority=priority,
        language="es",
        issued_at=T0 + timedelta(seconds=issued),
        status=status,
        queue_at=T0 + timedelta(seconds=issued),
    )


def make_office(folder: Path, clock: Clock) -> Office:
    config = load_office_config(office_file(folder, folder / "turnero.db"))
    return Office(
        config, SqliteStore(folder / "turnero.db"), clock=clock, monotonic=clock.monotonic
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def office(tmp_path: Path, clock: Clock) -> Office:
    made = make_office(tmp_path, clock)
    yield made
    made.store.close()


def issue(office: Office, service: str = "licencias", priority: bool = False, key: str = ""):
    request = IssueTicket(service=service, priority=priority)
    return office.issue("centro", request, key or engine.new_ticket_id())[0]


# Numbering ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "sequence", "number"),
    [
        ("A", 1, "A001"),
        ("A", 42, "A042"),
        ("A", 999, "A999"),
        ("A", 1000, "A1000"),
        ("BC", 7, "BC007"),
    ],
)
def test_ticket_number_pads_to_three_digits_and_then_grows(prefix, sequence, number) -> None:
    assert engine.ticket_number(prefix, sequence) == number


def test_ticket_sequence_starts_at_one() -> None:
    with pytest.raises(ValueError):
        engine.ticket_number("A", 0)


def test_ticket_ids_are_opaque_and_long() -> None:
    ids = {engine.new_ticket_id() for _ in range(1000)}
    assert len(ids) == 1000
    # 128 random bits in URL-safe base64: 22 characters, no padding.
    assert all(len(i) >= 16 and "/" not in i and "+" not in i and "=" not in i for i in ids)


def test_numbers_go_on_past_999_and_restart_the_next_business_day(
    office: Office, clock: Clock
) -> None:
    with office.store.write() as tx:  # as if 998 tickets had already been issued today
        for _ in range(998):
            tx.next_sequence("centro", "licencias", office.today())
    assert [issue(office).number for _ in range(3)] == ["A999", "A1000", "A1001"]
    assert issue(office, "pagos").number == "B001"  # each service counts on its own
    clock.advance(24 * 3600)
    assert issue(office).number == "A001"


def test_business_day_follows_the_office_time_zone() -> None:
    late_evening = datetime(2026, 3, 11, 5, 30, tzinfo=UTC)  # 23:30 on the 10th in Mexico
    assert engine.business_day(late_evening, MEXICO) == date(2026, 3, 10)
    assert engine.business_day(late_evening, ZoneInfo("UTC")) == date(2026, 3, 11)


def test_a_ticket_at_2330_local_counts_on_the_local_day(office: Office, clock: Clock) -> None:
    clock.now = datetime(2026, 3, 10, 23, 0, tzinfo=MEXICO)
    assert issue(office).number == "A001"
    clock.now = datetime(2026, 3, 10, 23, 30, tzinfo=MEXICO)  # already the 11th in UTC
    late = issue(office)
    assert late.number == "A002"
    clock.now = datetime(2026, 3, 11, 0, 5, tzinfo=MEXICO)  # past local midnight: a new day
    assert issue(office).number == "A001"
    assert office.today(datetime(2026, 3, 11, 5, 30, tzinfo=UTC)) == date(2026, 3, 10)


# Who is next ----------------------------------------------------------------------------


def test_priority_first_then_issue_time_then_service_order() -> None:
    early_b = ticket("B001", "pagos", issued=0)
    later_a = ticket("A001", "licencias", issued=10)
    priority_a = ticket("A002", "licencias", priority=True, issued=20)
    waiting = [early_b, later_a, priority_a]
    services = ["licencias", "pagos"]
    assert engine.pick_next(waiting, services) == priority_a
    assert engine.pick_next([early_b, later_a], services) == early_b
    # Same issue time: the counter's preferred service wins.
    same_a = ticket("A003", "licencias", issued=0)
    assert engine.pick_next([early_b, same_a], services) == same_a
    assert engine.pick_next([early_b, same_a], ["pagos", "licencias"]) == early_b


def test_pick_next_ignores_other_services_and_non_waiting_tickets() -> None:
    other = ticket("C001", "registro", issued=0)
    called = ticket("A001", issued=1, status=TicketStatus.CALLED)
    waiting = ticket("A002", issued=2)
    assert engine.pick_next([other, called, waiting], ["licencias"]) == waiting
    assert engine.pick_next([other, called], ["licencias"]) is None


def test_a_transfer_keeps_the_original_issue_time(office: Office, clock: Clock) -> None:
    first = issue(office, "licencias")  # A001 at t0
    clock.advance(60)
    issue(office, "pagos")  # B001 at t0+60
    clock.advance(60)
    office.call_next("centro", "2")  # counter 2 (licencias only) calls A001
    moved = office.transfer("centro", "2", "pagos")
    assert (moved.number, moved.service, moved.status) == ("A001", "pagos", "waiting")
    assert moved.issued_at == first.issued_at
    assert moved.ahead == 0  # ahead of B001, which came later
    # Counter 3 serves pagos first: the transferred A001 goes before B001 by issue time.
    assert office.call_next("centro", "3").number == "A001"
    assert office.call_next("centro", "3").number == "B001"


def test_people_ahead_counts_only_earlier_tickets_of_the_service() -> None:
    mine = ticket("A003", issued=30)
    others = [
        ticket("A001", issued=0),
        ticket("A002", issued=10, status=TicketStatus.CALLED),
        ticket("A004", issued=40),
        ticket("A005", priority=True, issued=50),
        ticket("B001", "pagos", issued=0),
    ]
    assert engine.people_ahead(mine, [mine, *others]) == 2  # A001 and the priority A005


# Ticket transitions ---------------------------------------------------------------------

NOW = T0 + timedelta(minutes=5)


def in_state(status: TicketStatus) -> TicketRecord:
    return replace(ticket(), status=status, counter="1" if status in engine.ACTIVE else None)


TRANSITIONS = {
    "call": (lambda t: engine.call(t, "1", NOW), {TicketStatus.WAITING}),
    "recall": (lambda t: engine.recall(t, NOW), {TicketStatus.CALLED}),
    "start": (lambda t: engine.start(t, NOW), {TicketStatus.CALLED}),
    "finish": (lambda t: engine.finish(t, NOW), {TicketStatus.CALLED, TicketStatus.SERVING}),
    "no_show": (lambda t: engine.no_show(t, NOW), {TicketStatus.CALLED}),
    "transfer": (
        lambda t: engine.transfer(t, "pagos"),
        {TicketStatus.CALLED, TicketStatus.SERVING},
    ),
    "cancel": (
        lambda t: engine.cancel(t, NOW),
        {TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING},
    ),
}


@pytest.mark.parametrize("status", list(TicketStatus))
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_every_transition_is_allowed_only_from_its_states(action, status) -> None:
    act, allowed = TRANSITIONS[action]
    if status in allowed:
        act(in_state(status))
    else:
        with pytest.raises(RuleViolation, match="A001"):
            act(in_state(status))


def test_transition_results() -> None:
    waiting = ticket()
    called = engine.call(waiting, "2", NOW)
    assert (called.status, called.counter, called.called_at, called.recalls) == (
        TicketStatus.CALLED,
        "2",
        NOW,
        0,
    )
    recalled = engine.recall(engine.recall(called, NOW), NOW)
    assert (recalled.status, recalled.recalls) == (TicketStatus.CALLED, 2)
    serving = engine.start(recalled, NOW + timedelta(seconds=30))
    assert serving.status is TicketStatus.SERVING and serving.started_at == NOW + timedelta(
        seconds=30
    )
    done = engine.finish(serving, NOW + timedelta(seconds=90))
    assert done.status is TicketStatus.DONE and engine.service_seconds(done) == 60
    gone = engine.no_show(called, NOW)
    assert gone.status is TicketStatus.NO_SHOW and gone.finished_at == NOW
    moved = engine.transfer(serving, "pagos")
    assert (moved.status, moved.service, moved.counter, moved.called_at, moved.started_at) == (
        TicketStatus.WAITING,
        "pagos",
        None,
        None,
        None,
    )
    assert (moved.number, moved.issued_at) == (waiting.number, waiting.issued_at)
    assert moved.queue_at == waiting.queue_at  # its place in the new line: by its queue time
    assert engine.cancel(waiting, NOW).status is TicketStatus.CANCELLED


def test_transfer_to_its_own_service_is_refused() -> None:
    with pytest.raises(RuleViolation, match="already in licencias"):
        engine.transfer(in_state(TicketStatus.CALLED), "licencias")


def test_service_seconds_without_start_counts_from_the_call() -> None:
    done = engine.finish(engine.call(ticket(), "1", NOW), NOW + timedelta(seconds=45))
    assert engine.service_seconds(done) == 45
    assert engine.service_seconds(engine.call(ticket(), "1", NOW)) is None


# Counter transitions --------------------------------------------------------------------

TODAY = T0.date()


@pytest.mark.parametrize("target", list(CounterState))
def test_counter_moves_freely_without_a_ticket(target) -> None:
    record = CounterRecord("centro", "1", CounterState.OPEN, TODAY)
    changed = engine.change_counter(record, target, None, TODAY)
    assert (changed.state, changed.day) == (target, TODAY)


@pytest.mark.parametrize(
    ("target", "verb"), [(CounterState.PAUSED, "pause"), (CounterState.CLOSED, "close")]
)
def test_pause_or_close_with_a_current_ticket_is_refused(target, verb) -> None:
    record = CounterRecord("centro", "3", CounterState.OPEN, TODAY)
    current = in_state(TicketStatus.CALLED)
    with pytest.raises(RuleViolation, match=f"counter 3 still holds A001.*before you {verb}"):
        engine.change_counter(record, target, current, TODAY)
    assert engine.change_counter(record, CounterState.OPEN, current, TODAY).state is (
        CounterState.OPEN
    )


def test_opening_with_a_clerk_names_who_works_there_until_the_next_one() -> None:
    record = CounterRecord("centro", "1")
    ana = engine.change_counter(record, CounterState.OPEN, None, TODAY, "Ana")
    assert ana.clerk == "Ana"
    # Pausing, closing, or opening without a name keep the last clerk; a name replaces it.
    closed = engine.change_counter(ana, CounterState.CLOSED, None, TODAY, "Luis")
    assert closed.clerk == "Ana"
    assert engine.change_counter(closed, CounterState.OPEN, None, TODAY).clerk == "Ana"
    assert engine.change_counter(closed, CounterState.OPEN, None, TODAY, "Luis").clerk == "Luis"
    # The ticket a counter calls counts for its clerk.
    assert engine.call(ticket(), "1", NOW, ana.clerk).clerk == "Ana"
    assert engine.call(ticket(), "1", NOW).clerk is None


def test_counters_are_closed_on_a_new_day() -> None:
    record = CounterRecord("centro", "1", CounterState.OPEN, TODAY)
    assert engine.counter_state(record, TODAY) is CounterState.OPEN
    assert engine.counter_state(record, TODAY + timedelta(days=1)) is CounterState.CLOSED
    assert engine.counter_state(CounterRecord("centro", "1"), TODAY) is CounterState.CLOSED


def test_office_counters_close_overnight_and_next_reopens(office: Office, clock: Clock) -> None:
    office.set_counter_state("centro", "1", CounterState.OPEN)
    assert office.counter("centro", "1").state is CounterState.OPEN
    clock.advance(24 * 3600)
    assert office.counter("centro", "1").state is CounterState.CLOSED
    issue(office)
    assert office.call_next("centro", "1").number == "A001"
    assert office.counter("centro", "1").state is CounterState.OPEN
    with pytest.raises(Conflict, match="still holds A001"):
        office.set_counter_state("centro", "1", CounterState.PAUSED)


# Properties -----------------------------------------------------------------------------

services_for = {
    "1": ["licencias", "pagos"],
    "2": ["licencias"],
    "3": ["pagos", "registro"],
    "4": ["registro", "licencias"],
}

operation = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(["licencias", "pagos", "registro"]), st.booleans()),
    st.tuples(st.just("next"), st.sampled_from(list(services_for)), st.none()),
    st.tuples(
        st.just("transfer"),
        st.sampled_from(list(services_for)),
        st.sampled_from(["licencias", "pagos", "registro"]),
    ),
    st.tuples(st.just("no_show"), st.sampled_from(list(services_for)), st.none()),
    st.tuples(st.just("tick"), st.integers(0, 4 * 3600), st.none()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=40))
def test_random_operations_never_call_twice_never_skip_and_keep_numbers_unique(ops) -> None:
    with tempfile.TemporaryDirectory() as folder:
        clock = Clock(datetime(2026, 3, 10, 20, 0, tzinfo=MEXICO))
        office = make_office(Path(folder), clock)
        try:
            run_operations(office, clock, ops)
        finally:
            office.store.close()


def run_operations(office: Office, clock: Clock, ops) -> None:
    calls: dict[str, int] = {}
    moves: dict[str, int] = {}
    for op, arg, extra in ops:
        clock.advance(1)  # every action at its own instant, as on a real desk
        if op == "issue":
            if extra and arg == "registro":
                extra = False  # registro has no priority line
            issue(office, arg, extra)
        elif op == "tick":
            clock.advance(arg)
        elif op == "next":
            today = office.today()
            with office.store.read() as tx:
                before = tx.tickets_of_day("centro", today, ["waiting"])
            called = office.call_next("centro", arg)
            mine = [t for t in before if t.service in services_for[arg]]
            if called is None:
                assert not mine, "next answered nobody while tickets were waiting"
                continue
            chosen = next(t for t in mine if t.id == called.id)
            order = engine.queue_order(chosen, services_for[arg])
            skipped = [t.number for t in mine if engine.queue_order(t, services_for[arg]) < order]
            assert not skipped, f"counter {arg} called {called.number} before {skipped}"
            calls[called.id] = calls.get(called.id, 0) + 1
        else:
            try:
                if op == "transfer":
                    moved = office.transfer("centro", arg, extra)
                    moves[moved.id] = moves.get(moved.id, 0) + 1
                else:
                    office.no_show("centro", arg)
            except Conflict:
                pass  # no current ticket, or a transfer to its own service
        # A ticket is at one counter at most, and each counter holds one ticket at most.
        holders = [office.counter("centro", c).current for c in services_for]
        held = [t.id for t in holders if t is not None]
        assert len(held) == len(set(held))
    # A ticket is called once, plus once per time it was transferred back into a queue.
    for ticket_id, count in calls.items():
        assert count <= 1 + moves.get(ticket_id, 0)
    with office.store.read() as tx:
        rows = tx.db.execute("SELECT day, number FROM tickets").fetchall()
    assert len(rows) == len({(r["day"], r["number"]) for r in rows})


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["licencias", "pagos", "registro"]), st.booleans(), st.integers(0, 50)
        ),
        max_size=30,
    ),
    st.permutations(["licencias", "pagos", "registro"]).map(lambda s: s[:2]),
)
def test_pick_next_is_the_smallest_by_queue_order(specs, services) -> None:
    waiting = [
        ticket(f"X{i:03d}", service, priority=prio, issued=at, id=f"t{i}")
        for i, (service, prio, at) in enumerate(specs)
    ]
    chosen = engine.pick_next(waiting, services)
    mine = [t for t in waiting if t.service in services]
    if not mine:
        assert chosen is None
        return
    assert chosen in mine
    key = engine.queue_order(chosen, services)
    assert all(key <= engine.queue_order(t, services) for t in mine)
    if any(t.priority for t in mine):
        assert chosen.priority


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["licencias", "pagos", "registro"]),
            st.booleans(),
            st.integers(0, 5),  # few distinct instants: ties on issue time are common
            st.sampled_from([TicketStatus.WAITING, TicketStatus.WAITING, TicketStatus.DONE]),
        ),
        max_size=25,
    ),
    st.permutations(["licencias", "pagos", "registro"]),
)
def test_the_store_counts_and_picks_as_the_engine_rules(specs, services) -> None:
    """The SQLite store answers `ahead` and the heads of the lines in SQL: same as the engine."""
    tickets = [
        ticket(
            f"T{i:03d}", service, priority=prio, issued=at, status=status, id=engine.new_ticket_id()
        )
        for i, (service, prio, at, status) in enumerate(specs)
    ]
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "turnero.db")
        try:
            with store.write() as tx:
                for record in tickets:
                    tx.insert_ticket(record)
                heads = tx.waiting_for_update("centro", T0.date(), services[:2])
                for record in tickets:
                    assert tx.waiting_ahead(record) == engine.people_ahead(record, tickets)
        finally:
            store.close()
    assert engine.pick_next(heads, services[:2]) == engine.pick_next(tickets, services[:2])
    assert len(heads) <= 2


# End of the business day ------------------------------------------------------------------


def test_a_new_business_day_cancels_what_the_last_one_left_unfinished(
    office: Office, clock: Clock
) -> None:
    called = issue(office)
    waiting = issue(office, "pagos")
    done = issue(office, "registro")
    office.call_next("centro", "2")
    office.call_next("centro", "4")
    office.finish("centro", "4")
    assert office.close_past_days() == 0, "nothing is cancelled while the day goes on"

    clock.advance(24 * 3600)
    assert office.close_past_days() == 2
    assert Phone(office).public_ticket(called.id).status is TicketStatus.CANCELLED
    assert Phone(office).public_ticket(waiting.id).status is TicketStatus.CANCELLED
    assert Phone(office).public_ticket(done.id).status is TicketStatus.DONE
    counter = office.counter("centro", "2")
    assert counter.current is None and counter.state is CounterState.CLOSED
    with office.store.read() as tx:
        last = tx.last_event_id("centro")
    kinds = [e.type for e in office.store.events_after("centro", last - 2)]
    assert kinds == [EventType.TICKET_CANCELLED, EventType.TICKET_CANCELLED]
    assert office.close_past_days() == 0, "a second sweep finds nothing left"


# Time: a machine clock stepped back or ahead -------------------------------------------

HOUR = 3600.0
DAY_SECONDS = 24 * HOUR


def branch_clock(day: date = TODAY, at: datetime = T0) -> engine.BranchClock:
    return engine.BranchClock("centro", day, at)


def test_queue_time_follows_the_clock_but_never_goes_back_nor_repeats() -> None:
    assert engine.next_queue_at(T0, None) == T0
    later = T0 + timedelta(minutes=5)
    assert engine.next_queue_at(later, branch_clock()) == later
    # Stepped back an hour, or twice the same reading: just after the previous queue time.
    tick = timedelta(microseconds=1)
    assert engine.next_queue_at(T0 - timedelta(hours=1), branch_clock()) == T0 + tick
    assert engine.next_queue_at(T0, branch_clock()) == T0 + tick


def test_a_branch_never_goes_back_to_a_day_it_left() -> None:
    assert engine.branch_day(TODAY, None) == TODAY
    assert engine.branch_day(TODAY - timedelta(days=1), branch_clock()) == TODAY
    assert engine.branch_day(TODAY + timedelta(days=1), branch_clock()) == TODAY + timedelta(1)


def test_a_clock_step_is_what_the_wall_clock_moved_beyond_real_time() -> None:
    before = (T0, 100.0)
    assert engine.clock_step(before, (T0 + timedelta(seconds=60), 160.0)) is None
    assert engine.clock_step(before, (T0 + timedelta(seconds=61), 160.0)) is None  # drift
    assert engine.clock_step(before, (T0 - timedelta(hours=1), 100.5)) == -timedelta(
        hours=1, seconds=0.5
    )
    assert engine.clock_step(before, (T0 + timedelta(days=1), 101.0)) == timedelta(
        days=1, seconds=-1
    )


def test_only_a_forward_step_into_a_later_day_holds_the_day_back() -> None:
    one_day, one_hour = timedelta(days=1), timedelta(hours=1)
    # 09:00 set to 10:00: the same day, nothing to hold.
    assert engine.hold_day(None, one_hour, T0 + one_hour, MEXICO) is None
    # 09:00 set to 09:00 the next day: the day is held while real time is still on it.
    held = engine.DayHold(TODAY, one_day)
    assert engine.hold_day(None, one_day, T0 + one_day, MEXICO) == held
    assert engine.hold_day(held, None, T0 + one_day + one_hour, MEXICO) == held
    assert engine.hold_day(held, one_day, T0 + 2 * one_day, MEXICO) == replace(
        held, ahead=2 * one_day
    )
    # Set right again: nothing held; a step back alone never holds anything.
    assert engine.hold_day(held, -one_day, T0, MEXICO) is None
    assert engine.hold_day(None, -one_day, T0 - one_day, MEXICO) is None
    # Real time reached the next day (15 h later, 00:00 of the 11th): the clock's day again.
    assert engine.hold_day(held, None, T0 + one_day + timedelta(hours=15), MEXICO) is None
    assert engine.hold_day(held, None, T0 + one_day + timedelta(hours=14), MEXICO) == held


def test_waits_are_never_negative() -> None:
    waiting = ticket(issued=60)
    assert engine.wait_seconds(waiting, T0 + timedelta(seconds=90)) == 30
    assert engine.wait_seconds(waiting, T0) == 0  # called after a step back


@given(
    st.lists(
        st.tuples(st.floats(-2 * DAY_SECONDS, 2 * DAY_SECONDS, allow_nan=False), st.booleans()),
        min_size=1,
        max_size=30,
    )
)
def test_for_any_clock_readings_the_queue_is_the_arrival_order(readings) -> None:
    """Whatever the clock says at each issue, within priority people are called as they came."""
    clock: engine.BranchClock | None = None
    arrived = []
    for n, (offset, priority) in enumerate(readings):
        now = T0 + timedelta(seconds=offset)
        queue_at = engine.next_queue_at(now, clock)
        clock = engine.BranchClock("centro", TODAY, queue_at)
        arrived.append(
            replace(ticket(f"A{n + 1:03d}", priority=priority, issued=offset), queue_at=queue_at)
        )
    order = sorted(arrived, key=lambda t: engine.queue_order(t, ["licencias"]))
    expected = [t for t in arrived if t.priority] + [t for t in arrived if not t.priority]
    assert order == expected
    for place, waiting in enumerate(order):
        assert engine.people_ahead(waiting, arrived) == place


def test_a_clock_stepped_back_does_not_put_a_newcomer_first(office: Office, clock: Clock) -> None:
    first = issue(office)
    clock.step(-HOUR)
    second = issue(office)
    assert (second.number, second.ahead) == ("A002", 1)
    assert office.call_next("centro", "2").id == first.id
    assert office.call_next("centro", "2").id == second.id


def test_a_clock_stepped_back_puts_no_negative_time_in_the_queue_or_the_stats(
    office: Office, clock: Clock
) -> None:
    issue(office)
    clock.step(-HOUR)
    (licencias, *_) = office.queue("centro").services
    assert licencias.longest_wait_seconds == 0
    office.call_next("centro", "2")
    clock.step(-HOUR)
    office.finish("centro", "2")
    (stats, *_) = office.stats("centro").services
    assert (stats.mean_wait_seconds, stats.p90_wait_seconds) == (0, 0)
    assert stats.within_target_share == 1
    assert stats.mean_service_seconds == 0


def test_a_clock_stepped_back_over_midnight_keeps_the_day_and_its_numbers(
    office: Office, clock: Clock
) -> None:
    clock.now = datetime(2026, 3, 11, 0, 10, tzinfo=MEXICO)
    first = issue(office)
    clock.step(-HOUR)  # 23:10 of the day before
    second = issue(office)
    assert (first.number, second.number) == ("A001", "A002")
    assert office.close_past_days() == 0
    clock.advance(HOUR)  # past midnight again
    assert office.close_past_days() == 0
    assert office.call_next("centro", "2").id == first.id
    assert office.call_next("centro", "2").id == second.id


def test_a_day_once_begun_stays_when_the_clock_steps_back_before_anyone_came(
    office: Office, clock: Clock
) -> None:
    clock.now = datetime(2026, 3, 10, 20, 0, tzinfo=MEXICO)
    issue(office)
    clock.now = datetime(2026, 3, 11, 0, 1, tzinfo=MEXICO)
    assert office.close_past_days() == 1  # the night sweep: yesterday's leftover
    clock.step(-10 * 60)  # 23:51 of the day just ended
    fresh = issue(office)
    assert fresh.number == "A001"
    assert office.today() == date(2026, 3, 10)  # the clock's day; the branch stays on the 11th
    clock.advance(HOUR)
    assert office.close_past_days() == 0
    assert Phone(office).public_ticket(fresh.id).status is TicketStatus.WAITING
    assert office.call_next("centro", "2").id == fresh.id


def test_a_clock_jumped_a_day_ahead_keeps_the_waiting_room(office: Office, clock: Clock) -> None:
    waiting = [issue(office) for _ in range(3)]
    clock.step(DAY_SECONDS)
    assert office.close_past_days() == 0
    assert office.queue("centro").services[0].waiting == 3
    assert issue(office).number == "A004"  # the same day goes on
    assert office.call_next("centro", "2").id == waiting[0].id
    clock.step(-DAY_SECONDS)  # someone sets it right
    assert office.close_past_days() == 0
    assert office.call_next("centro", "2").id == waiting[1].id
    # Real time reaches the next day: now the day's leftovers are cancelled, as every night.
    clock.advance(DAY_SECONDS)
    assert office.close_past_days() == 3
    assert issue(office).number == "A001"


def test_a_clock_jumped_ahead_and_left_there_ends_the_day_when_real_time_does(
    office: Office, clock: Clock
) -> None:
    issue(office)
    clock.step(DAY_SECONDS)
    assert office.close_past_days() == 0
    assert issue(office).number == "A002"
    clock.advance(15 * HOUR)  # past midnight in real time: 00:00 of the 11th
    assert office.close_past_days() == 2
    assert issue(office).number == "A001"


def test_each_clock_step_is_logged_once_with_its_size(
    office: Office, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="turnero.office")
    issue(office)
    clock.step(-HOUR)
    issue(office)
    office.queue("centro")
    clock.advance(60)
    office.queue("centro")
    clock.step(DAY_SECONDS)
    office.queue("centro")
    office.queue("centro")
    steps = [r.getMessage() for r in caplog.records if "clock was stepped" in r.getMessage()]
    assert len(steps) == 2, steps
    assert "stepped back by 3600.000 s (1:00:00)" in steps[0]
    assert "stepped forward by 86400.000 s (1 day, 0:00:00)" in steps[1]
    assert "the business day stays 2026-03-10" in steps[1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(-3 * 24 * 60, 3 * 24 * 60), st.booleans()), min_size=1, max_size=15
    )
)
def test_whatever_the_clock_does_the_office_calls_in_arrival_order(steps) -> None:
    """The real server's rules on a real SQLite file: steps of up to three days either way
    between issues; a counter calls priority first, then everybody as they came."""
    with tempfile.TemporaryDirectory() as folder:
        clock = Clock(T0)
        office = make_office(Path(folder), clock)
        try:
            arrived = []
            for minutes, priority in steps:
                clock.step(minutes * 60)
                clock.advance(1)
                arrived.append(issue(office, "licencias", priority))
            called = [office.call_next("centro", "2") for _ in arrived]
        finally:
            office.store.close()
    expected = [t for t in arrived if t.priority] + [t for t in arrived if not t.priority]
    assert [t.number for t in called] == [t.number for t in expected]
    assert [t.number for t in arrived] == [f"A{n:03d}" for n in range(1, len(arrived) + 1)]


# Device faults ----------------------------------------------------------------------------


def report(event_id: int, device: str, kind: str) -> ReportedAlert:
    return ReportedAlert(
        branch="centro", device=device, kind=kind, detail="", role="kiosk", event_id=event_id, at=T0
    )


def test_alert_kinds_name_a_part_and_say_when_it_works_again() -> None:
    assert report(1, "k", "printer.paper_out+cover_open").part == "printer"
    assert report(1, "k", "board").part == "board"
    assert report(1, "k", "printer.ok").all_clear and report(1, "k", "ok").all_clear
    assert not report(1, "k", "printer.paper_out").all_clear
    assert not report(1, "k", "board.lost").all_clear


def test_the_latest_word_per_device_and_part_stands_and_ok_clears_it() -> None:
    reports = [
        report(1, "kiosk", "printer.paper_near_end"),
        report(2, "desk-2", "board.lost"),
        report(3, "kiosk", "printer.paper_out"),  # replaces the near end
        report(4, "kiosk", "kiosk.pin_locked"),  # another part of the same device
        report(5, "desk-3", "board.lost"),
        report(6, "desk-2", "board.ok"),
        report(7, "desk-3", "printer.ok"),  # another part: the board stays lost
    ]
    standing = engine.standing_alerts(reports)
    assert [(a.event_id, a.device, a.kind) for a in standing] == [
        (3, "kiosk", "printer.paper_out"),
        (4, "kiosk", "kiosk.pin_locked"),
        (5, "desk-3", "board.lost"),
    ]
    assert engine.standing_alerts([*reports, report(8, "kiosk", "printer.ok")])[0].event_id == 4
    assert engine.standing_alerts([]) == []


def test_only_the_shape_of_a_ticket_id_may_reach_a_store() -> None:
    assert engine.could_be_ticket_id(engine.new_ticket_id())
    for text in ("", "a b", "abc\x00", "x" * 65, "ñandú", "../etc"):
        assert not engine.could_be_ticket_id(text), text
