"""The desk's rules: which actions make sense, and what the LED board should do."""

from __future__ import annotations

import pytest

from counter.clock import duration, minutes
from counter.desk import Action, BoardCommand, after_action, allowed, board_command
from queue_api.schema import Counter, CounterState, TicketStatus
from tests.counter.desks import T0, desk, ticket


def can(counter: Counter) -> set[str]:
    return {a.value for a in Action if allowed(a, counter, online=True, busy=False)}


@pytest.mark.parametrize(
    ("counter", "expected"),
    [
        (desk(CounterState.CLOSED), {"next", "open"}),
        (desk(CounterState.PAUSED), {"next", "pause_resume", "close"}),
        (desk(CounterState.OPEN), {"next", "pause_resume", "close"}),
        (
            desk(current=ticket(TicketStatus.CALLED)),
            {"next", "recall", "start", "finish", "no_show", "transfer"},
        ),
        (desk(current=ticket(TicketStatus.SERVING)), {"next", "finish", "transfer"}),
    ],
)
def test_actions_that_make_sense(counter: Counter, expected: set[str]) -> None:
    # Calling from the list and bringing a no-show back make sense whenever Next does.
    assert can(counter) == expected | {"call_ticket", "return_ticket"}


def test_nothing_while_offline_busy_or_unknown() -> None:
    counter = desk(current=ticket())
    for action in Action:
        assert not allowed(action, counter, online=False, busy=False)
        assert not allowed(action, counter, online=True, busy=True)
        assert not allowed(action, None, online=True, busy=False)


def test_after_action_keeps_only_a_ticket_still_at_this_desk() -> None:
    counter = desk(CounterState.CLOSED)
    called = after_action(counter, ticket(), opened=True)
    assert called.state is CounterState.OPEN and called.current == ticket()
    assert after_action(called, ticket(TicketStatus.DONE)).current is None
    moved = ticket(TicketStatus.WAITING).model_copy(update={"counter": None})
    assert after_action(called, moved).current is None
    assert after_action(called, None, opened=True).current is None


def test_board_follows_the_desk() -> None:
    empty = desk()
    called = desk(current=ticket())
    assert board_command(None, called) == BoardCommand("show", "A001")  # after a restart
    assert board_command(empty, called).kind == "blink"
    assert board_command(called, called) == BoardCommand("show", "A001")
    recalled = desk(current=ticket(recalls=1))
    assert board_command(called, recalled) == BoardCommand("blink", "A001", ("t1", 1))
    assert board_command(called, desk(current=ticket(id="t2"))).call == ("t2", 0)
    assert board_command(called, empty) == BoardCommand("blank")
    assert board_command(empty, desk(CounterState.PAUSED)) == BoardCommand("blank")


def test_times_read_as_a_clerk_expects() -> None:
    assert duration(T0, T0.replace(minute=1, second=5)) == "1:05"
    assert duration(T0, T0.replace(hour=10, second=2)) == "1:00:02"
    assert duration(None, T0) == "-"
    assert duration(T0.replace(second=30), T0) == "0:00"  # clocks drift: never negative
    assert minutes(59) == "0 min" and minutes(61, round_up=True) == "2 min"
    assert minutes(None) == "-"
