"""Calls as the lobby sees them: built from events, kept newest first, judged fresh or late."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pydantic import ValidationError

from queue_api.schema import Call, Event, EventType

log = logging.getLogger(__name__)

CALL_EVENTS = (EventType.TICKET_CALLED, EventType.TICKET_RECALLED)

FRESH_FOR = timedelta(seconds=30)
"""A call older than this when it reaches the screen is shown but not announced: a late
announcement would send someone to a desk that has moved on."""


def call_from_event(event: Event, labels: dict[str, str]) -> Call | None:
    """The Call that a ``ticket.called``/``ticket.recalled`` event announces, else None."""
    if event.type not in CALL_EVENTS:
        return None
    ticket = event.data.get("ticket") or {}
    counter = event.data.get("counter") or {}
    counter_id = str(ticket.get("counter") or counter.get("id") or "")
    if not ticket.get("number") or not counter_id:
        return None
    try:
        # Validated from the event's own values: a missing or garbled time fails here.
        return Call.model_validate(
            {
                "event_id": event.id,
                "number": ticket["number"],
                "service": ticket.get("service", ""),
                "counter": counter_id,
                "counter_label": counter.get("label") or labels.get(counter_id, counter_id),
                "recall": event.type is EventType.TICKET_RECALLED,
                "at": event.data.get("at"),
            }
        )
    except ValidationError:
        log.warning("event %s is not a call the board can show: %r", event.id, event.data)
        return None


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
    number = (event.data.get("ticket") or {}).get("number")
    return [call for call in calls if call.number != number] if number else calls
