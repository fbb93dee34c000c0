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
        return Call(
            event_id=event.id,
            number=ticket["number"],
            service=ticket.get("service", ""),
            counter=counter_id,
            counter_label=counter.get("label") or labels.get(counter_id, counter_id),
            recall=event.type is EventType.TICKET_RECALLED,
            at=event.data.get("at"),
        )
    except ValidationError:
        log.warning("event %s is not a call the board can show: %r", event.id, event.data)
        return None


def is_fresh(call: Call, now: datetime, window: timedelta = FRESH_FOR) -> bool:
    """Whether ``call`` is young enough to be announced at ``now``."""
    return now - call.at <= window


def newest_first(calls: list[Call], call: Call, keep: int) -> list[Call]:
    """``calls`` with ``call`` on top, without a repeat of the same event, at most ``keep``."""
    rest = [known for known in calls if known.event_id != call.event_id]
    return [call, *rest][:keep]
