"""The waiting-time estimate (queue_api.estimate): learning desk times, simulating who is called
next, and the range people read. Pure functions, tested directly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from device.clock import FrozenClock
from queue_api import engine
from queue_api.config import load_office_config
from queue_api.engine import TicketRecord
from queue_api.estimate import (
    DEFAULT_DESK_SECONDS,
    PAUSE_SECONDS,
    CounterNow,
    DeskTime,
    Estimate,
    cut_in_rates,
    desk_samples,
    desk_times,
    estimate_waits,
    forecast,
    learn_desk_time,
    people_estimate,
)
from queue_api.office import Office
from queue_api.phone import Phone
from queue_api.schema import IssueTicket, TicketStatus
from queue_api.store.sqlite import SqliteStore
from tests.server_process import office_file

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
TEN_MINUTES = DeskTime.typical(600)
FIVE_MINUTES = DeskTime.typical(300)


def waiting(
    number: str,
    service: str = "licencias",
    *,
    ago: float = 0,
    priority: bool = False,
    for_counter: str | None = None,
) -> TicketRecord:
    """A ticket waiting since ``ago`` seconds before NOW."""
    at = NOW - timedelta(seconds=ago)
    return TicketRecord(
        id=number,
        branch="centro",
        service=service,
        number=number,
        day=NOW.date(),
        priority=priority,
        language="es",
        issued_at=at,
        queue_at=at,
        for_counter=for_counter,
    )


def visit(
    number: str,
    counter: str,
    called: float,
    finished: float | None,
    *,
    service: str = "licencias",
    queued: float | None = None,
    status: TicketStatus = TicketStatus.DONE,
) -> TicketRecord:
    """A ticket called to ``counter`` ``called`` seconds before NOW (queued before that, or at
    ``queued``), finished ``finished`` seconds before NOW."""
    ticket = waiting(number, service, ago=queued if queued is not None else called + 60)
    return replace(
        ticket,
        status=status,
        counter=counter,
        called_at=NOW - timedelta(seconds=called),
        finished_at=NOW - timedelta(seconds=finished) if finished is not None else None,
    )


def seconds(estimates: dict[str, Estimate]) -> dict[str, int]:
    return {ticket_id: estimate.seconds for ticket_id, estimate in estimates.items()}


ONE = CounterNow("1", ("licencias",), True)


# Learning desk times ----------------------------------------------------------------------


def test_cold_start_uses_the_typical_duration_else_the_default() -> None:
    desk = desk_times([], {"licencias": 600.0, "pagos": None})
    assert desk["licencias"].mean == pytest.approx(600)
    assert desk["pagos"].mean == pytest.approx(DEFAULT_DESK_SECONDS)
    found, _ = estimate_waits(NOW, [ONE], [waiting("A1", ago=30), waiting("A2")], desk)
    assert seconds(found) == {"A1": 0, "A2": 600}


def test_desk_time_runs_from_call_to_next_call_and_counts_no_shows() -> None:
    calls = [
        # Walk-up and the clerk's wrap-up after the finish count: 400 s, not 300.
        visit("A1", "1", called=1000, finished=700),
        visit("A2", "1", called=600, finished=480, queued=900, status=TicketStatus.NO_SHOW),
        # Nobody waited after A2 until A3 came, 100 s after its end: that idle time is no work;
        # the 80 s from A3's arrival to its call are (120 + 80).
        visit("A3", "1", called=300, finished=None, queued=380, status=TicketStatus.SERVING),
    ]
    assert desk_samples(calls) == {"licencias": [200.0, 400.0]}


def test_the_prior_guides_until_there_are_visits_then_they_do() -> None:
    assert learn_desk_time([], 600).mean == pytest.approx(600)
    few = learn_desk_time([300.0], 600).mean
    many = learn_desk_time([300.0] * 30, 600).mean
    assert 300 < many < few < 600
    assert many == pytest.approx(300, rel=0.15)


def test_one_very_long_visit_does_not_swing_the_desk_time() -> None:
    usual = [240.0, 300.0, 360.0, 280.0, 320.0, 310.0, 290.0, 330.0, 270.0, 300.0]
    before = learn_desk_time(usual, 300).mean
    after = learn_desk_time([3600.0, *usual], 300).mean
    assert after == pytest.approx(before, rel=0.05)


def test_the_rest_of_a_visit_shrinks_as_it_goes_on_but_never_to_nothing() -> None:
    rests = [TEN_MINUTES.rest(elapsed) for elapsed in (0, 120, 300, 600, 3000)]
    assert rests[0] == pytest.approx(600)
    assert rests[1] < rests[0]
    assert all(rest >= 60 for rest in rests)  # a tenth of a visit at least


# Simulating forward ---------------------------------------------------------------------


def test_a_counter_busy_with_a_ticket_is_free_after_its_rest() -> None:
    held = visit("A0", "1", called=120, finished=None, status=TicketStatus.SERVING)
    counter = replace(ONE, current=held)
    found, _ = estimate_waits(NOW, [counter], [waiting("A1")], {"licencias": TEN_MINUTES})
    assert found["A1"].seconds == pytest.approx(TEN_MINUTES.rest(120), abs=1)


def test_a_counter_serving_two_services_splits_its_time_between_them() -> None:
    both = CounterNow("1", ("licencias", "pagos"), True)
    queue = [waiting("A1", ago=300), waiting("B1", "pagos", ago=200), waiting("A2", ago=100)]
    desk = {"licencias": TEN_MINUTES, "pagos": FIVE_MINUTES}
    found, _ = estimate_waits(NOW, [both], queue, desk)
    # A2 waits for A1 and for B1, which came before it.
    assert seconds(found) == {"A1": 0, "B1": 600, "A2": 900}


def test_more_open_counters_share_the_queue() -> None:
    queue = [waiting(f"A{n}", ago=100 - n) for n in range(1, 5)]
    two = [ONE, CounterNow("2", ("licencias",), True)]
    found, _ = estimate_waits(NOW, two, queue, {"licencias": TEN_MINUTES})
    assert seconds(found) == {"A1": 0, "A2": 0, "A3": 600, "A4": 600}


def test_a_priority_ticket_goes_first_and_future_ones_cut_in() -> None:
    queue = [waiting("A1", ago=300), waiting("A2", ago=200), waiting("P1", ago=10, priority=True)]
    desk = {"licencias": TEN_MINUTES}
    found, _ = estimate_waits(NOW, [ONE], queue, desk)
    assert seconds(found) == {"P1": 0, "A1": 600, "A2": 1200}
    # Two priority tickets an hour take a third of the counter's time: the rest wait longer.
    rates = {"licencias": 2 / 3600}
    cut, _ = estimate_waits(NOW, [ONE], queue, desk, cut_ins=rates)
    assert cut["P1"].seconds == 0
    assert cut["A2"].seconds == pytest.approx(1200 * 1.5, abs=1)


def test_the_cut_in_rate_is_the_last_hour_of_priority_tickets() -> None:
    day = [
        waiting("P1", ago=7200, priority=True),  # too long ago
        waiting("P2", ago=1800, priority=True),
        waiting("P3", "pagos", ago=600, priority=True),
        waiting("A1", ago=9000),
    ]
    assert cut_in_rates(day, NOW) == {"licencias": 1 / 3600, "pagos": 1 / 3600}


def test_a_paused_counter_calls_no_one_until_it_is_expected_back() -> None:
    queue = [waiting("A1", ago=30), waiting("A2", ago=20), waiting("A3", ago=10)]
    paused = CounterNow("2", ("licencias",), False, paused=True)
    found, _ = estimate_waits(NOW, [ONE, paused], queue, {"licencias": TEN_MINUTES})
    # Counter 1 takes A1 now and A2 at 600 s; counter 2 is back at PAUSE_SECONDS for A3.
    assert seconds(found) == {"A1": 0, "A2": 600, "A3": PAUSE_SECONDS}


def test_a_closed_counter_calls_no_one() -> None:
    queue = [waiting("A1", ago=30), waiting("A2", ago=20), waiting("A3", ago=10)]
    closed = CounterNow("2", ("licencias",), False)
    found, _ = estimate_waits(NOW, [ONE, closed], queue, {"licencias": TEN_MINUTES})
    assert seconds(found) == {"A1": 0, "A2": 600, "A3": 1200}


def test_with_no_counter_open_a_stand_in_is_halfway_through_a_visit() -> None:
    closed = CounterNow("1", ("licencias",), False)
    found, _ = estimate_waits(NOW, [closed], [waiting("A1")], {"licencias": TEN_MINUTES})
    assert found["A1"].seconds == 300


def test_a_ticket_for_one_counter_waits_for_that_counter() -> None:
    busy = visit("A0", "2", called=0, finished=None, status=TicketStatus.CALLED)
    two = CounterNow("2", ("licencias",), True, current=busy)
    queue = [waiting("A1", ago=300, for_counter="2"), waiting("A2", ago=100)]
    found, _ = estimate_waits(NOW, [ONE, two], queue, {"licencias": TEN_MINUTES})
    # Counter 1 is free now but may not call A1: it calls A2; A1 waits for counter 2.
    assert seconds(found) == {"A2": 0, "A1": 600}


def test_the_ranking_is_a_parameter() -> None:
    queue = [waiting("A1", ago=300), waiting("A2", ago=100)]

    def newest_first(ticket: TicketRecord, services: object) -> tuple[float, str]:
        return (-ticket.queue_at.timestamp(), ticket.id)

    found, _ = estimate_waits(NOW, [ONE], queue, {"licencias": TEN_MINUTES}, rank=newest_first)
    assert seconds(found) == {"A2": 0, "A1": 600}
    assert engine.queue_order is not newest_first


def test_a_probe_says_what_a_ticket_issued_now_would_wait() -> None:
    queue = [waiting("A1", ago=300), waiting("A2", ago=100)]
    desk = {"licencias": TEN_MINUTES}
    found, probed = estimate_waits(NOW, [ONE], queue, desk, probes=["licencias"])
    after, _ = estimate_waits(NOW, [ONE], [*queue, waiting("A3", ago=-1)], desk)
    assert probed["licencias"] == after["A3"]
    assert found == estimate_waits(NOW, [ONE], queue, desk)[0]  # a probe takes no one's turn


def test_the_same_state_gives_the_same_estimates() -> None:
    queue = [waiting(f"A{n}", ago=600 - n * 30) for n in range(12)]
    calls = [visit(f"X{n}", "1", called=3000 - n * 250, finished=2800 - n * 250) for n in range(8)]
    held = visit("X9", "1", called=200, finished=None, status=TicketStatus.SERVING)
    counters = [replace(ONE, current=held), CounterNow("2", ("licencias",), True)]

    def run() -> dict[str, Estimate]:
        desk = desk_times([*calls, held], {"licencias": 600.0})
        return estimate_waits(NOW, counters, queue, desk, cut_ins=cut_in_rates(queue, NOW))[0]

    assert run() == run()


# The range ----------------------------------------------------------------------------


def test_the_range_holds_the_estimate_on_the_grid_people_read() -> None:
    for expected in (0, 100, 290, 600, 1234, 2700, 5000, 9000):
        estimate = people_estimate(expected, (expected / 3) ** 2)
        assert estimate.low <= estimate.seconds <= estimate.high
        assert estimate.low % 300 == 0 and estimate.high % 300 == 0
        assert estimate.high > estimate.low


def test_a_short_wait_reads_under_five_minutes() -> None:
    assert people_estimate(90, 30**2).range == (0, 300)


def test_waits_further_ahead_get_wider_ranges() -> None:
    near = people_estimate(900, 200**2)
    far = people_estimate(3600, 400**2)
    assert far.high - far.low > near.high - near.low


def test_a_ticket_added_behind_lands_where_a_new_forecast_puts_it() -> None:
    both = CounterNow("1", ("licencias", "pagos"), True)
    two = CounterNow("2", ("licencias",), True)
    queue = [waiting("A1", ago=300), waiting("B1", "pagos", ago=200), waiting("A2", ago=100)]
    desk = {"licencias": TEN_MINUTES, "pagos": FIVE_MINUTES}
    kept = forecast(NOW, [both, two], queue, desk)
    issued = [waiting("B2", "pagos", ago=-1), waiting("A3", ago=-2), waiting("A4", ago=-3)]
    for ticket in issued:
        assert kept.add(ticket)
    fresh = forecast(NOW, [both, two], [*queue, *issued], desk)
    assert kept.estimates(NOW) == fresh.estimates(NOW)
    # Later, with nothing else happening, the estimate counts down from the same call time.
    later = NOW + timedelta(minutes=5)
    assert kept.estimate("A4", later) == fresh.estimate("A4", later)
    assert kept.estimate("A4", later).seconds == kept.estimate("A4", NOW).seconds - 300


# Through the office: the kept forecast ------------------------------------------------------


def office_on(folder: Path, clock: FrozenClock) -> Office:
    config = load_office_config(office_file(folder, folder / "turnero.db"))
    return Office(
        config, SqliteStore(folder / "turnero.db"), clock=clock, monotonic=clock.monotonic
    )


def test_the_office_kept_forecast_says_what_a_fresh_one_says(tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2026, 3, 10, 16, 0, tzinfo=UTC))  # 10:00 in Mexico City
    office = office_on(tmp_path, clock)
    services = ["licencias", "pagos", "registro", "licencias", "pagos"]

    def issue(n: int) -> str:
        request = IssueTicket(service=services[n % len(services)], priority=n % 7 == 3)
        return office.issue("centro", request, f"key-{n}")[0].id

    ids = [issue(n) for n in range(6)]
    office.call_next("centro", "1")
    clock.advance(240)
    office.call_next("centro", "3")
    clock.advance(100)
    ids += [issue(n) for n in range(6, 14)]  # placed on the kept forecast, one by one
    fresh = office_on(tmp_path, clock)  # nothing kept: simulates the whole queue again
    for ticket_id in ids:
        kept, made = Phone(office).public_ticket(ticket_id), Phone(fresh).public_ticket(ticket_id)
        assert (kept.ewt_seconds, kept.ewt_range_seconds) == (
            made.ewt_seconds,
            made.ewt_range_seconds,
        )
    assert office.queue("centro") == fresh.queue("centro")
    # Looking again changes nothing; a call does.
    before = Phone(office).public_ticket(ids[-1]).ewt_seconds
    assert Phone(office).public_ticket(ids[-1]).ewt_seconds == before
    office.call_next("centro", "2")
    assert Phone(office).public_ticket(ids[-1]).ewt_seconds != before
