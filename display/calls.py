"""Calls as the lobby sees them: built from events, kept newest first, judged fresh or late."""

from __future__ import annotations

from datetime import datetime, timedelta

from queue_api.schema import Call, Event, EventType

CALL_EVENTS = (EventType.TICKET_CALLED, EventType.TICKET_RECALLED)

FRESH_FOR = timedelta(seconds=30)
"""A call older than this when it reaches the screen is shown but not announced: a late
announcement would send someone to a desk that has moved on."""


def call_from_event(event: Event, labels: dict[str, str]) -> Call | None:
    """The Call that a ``ticket.called``/``ticket.recalled`` event announces, else None."""
    ticket, counter = event.data.ticket, event.data.counter
    if event.type not in CALL_EVENTS or ticket is None:
        return None
    counter_id = ticket.counter or (counter.id if counter else "")
    if not ticket.number or not counter_id:
        return None
    return Call(
        event_id=event.id,
        number=ticket.number,
        service=ticket.service,
        counter=counter_id,
        counter_label=(counter.label if counter else "") or labels.get(counter_id, counter_id),
        recall=event.type is EventType.TICKET_RECALLED,
        at=event.data.at,
    )


def is_fresh(call: Call, now: datetime, window: timedelta = FRESH_FOR) -> bool:
    """Whether ``call`` is young enough to be announced at ``now``."""
    return now - call.at <= window


def newest_first(calls: list[Call], call: Call, keep: int) -> list[Call]:
    """``calls`` with ``call`` on top, at most ``keep``; an earlier call of the same ticket
    (the same event again, or the call a recall repeats) leaves its row."""
    rest = [
        known for known in calls if known.event_id != call.event_id and known.number != call.number
    ]
    return [call, *rest][:keep]


def one_per_ticket(calls: list[Call]) -> list[Call]:
    """``calls`` (newest first) with only the newest call of each ticket: a recalled number
    shows once, where its recall put it."""
    seen: set[str] = set()
    kept = []
    for call in calls:
        if call.number not in seen:
            seen.add(call.number)
            kept.append(call)
    return kept


def without_ticket(calls: list[Call], event: Event) -> list[Call]:
    """``calls`` without those of the ticket a ``ticket.transferred`` event sent back to
    waiting: nobody should walk to the desk that called it."""
    number = event.data.ticket.number if event.data.ticket else None
    return [call for call in calls if call.number != number] if number else calls
