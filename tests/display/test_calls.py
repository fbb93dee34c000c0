"""Calls built from events: labels, recalls, freshness, a bounded newest-first list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from display.calls import call_from_event, is_fresh, newest_first
from queue_api.schema import Event, EventType

AT = datetime(2026, 1, 15, 9, 41, tzinfo=UTC)
TICKET = {
    "id": "t-42",
    "number": "A042",
    "branch": "centro",
    "service": "licencias",
    "priority": False,
    "status": "called",
    "language": "es",
    "issued_at": AT,
    "counter": "3",
}
COUNTER = {"id": "3", "label": "Caja 3", "services": ["licencias"], "state": "open"}


def event(type: EventType, event_id: int = 7, **data: object) -> Event:
    return Event(id=event_id, type=type, data={"ticket": TICKET, "at": AT.isoformat(), **data})


def test_a_called_ticket_becomes_a_call_with_its_counter_label():
    called = event(EventType.TICKET_CALLED, counter=COUNTER)
    call = call_from_event(called, {"3": "Ventanilla 3"})
    assert (call.number, call.counter, call.counter_label, call.recall, call.at) == (
        "A042",
        "3",
        "Caja 3",
        False,
        AT,
    )
    # Without the counter in the event, the board's labels name it.
    assert call_from_event(event(EventType.TICKET_CALLED), {"3": "Ventanilla 3"}).counter_label == (
        "Ventanilla 3"
    )
    assert call_from_event(event(EventType.TICKET_RECALLED), {}).recall


def test_other_and_malformed_events_are_not_calls():
    assert call_from_event(event(EventType.TICKET_ISSUED), {}) is None
    nowhere = {**TICKET, "counter": None}
    assert call_from_event(event(EventType.TICKET_CALLED, ticket=nowhere), {}) is None
    # Malformed data never reaches the board: the event refuses it when it is read.
    with pytest.raises(ValidationError):
        event(EventType.TICKET_CALLED, at="yesterday")
    with pytest.raises(ValidationError):
        event(EventType.TICKET_CALLED, ticket={"number": "A1"})


def test_freshness_and_the_bounded_list():
    call = call_from_event(event(EventType.TICKET_CALLED), {})
    assert is_fresh(call, AT + timedelta(seconds=30))
    assert not is_fresh(call, AT + timedelta(seconds=31))
    calls = []
    for n in range(15):
        calls = newest_first(
            calls, call.model_copy(update={"event_id": n, "number": f"A{n:03d}"}), keep=11
        )
    assert [c.event_id for c in calls] == list(range(14, 3, -1))
    again = newest_first(calls, calls[3], keep=11)
    assert [c.event_id for c in again][:2] == [11, 14] and len(again) == 11
