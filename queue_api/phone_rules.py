"""The citizen's phone as a channel: who may join from outside, who may say how it went, and
how many people wait ahead of every ticket at once. Pure, like ``engine``: no I/O, no clock."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from queue_api.engine import TicketRecord, queue_order
from queue_api.schema import TicketStatus

FEEDBACK_COMMENT_CHARS = 500


def ahead_by_ticket(waiting: Iterable[TicketRecord]) -> dict[str, int]:
    """``engine.people_ahead`` of every waiting ticket, from one sort per service instead of
    one count per ticket: what each phone shows after a call moves the whole line."""
    lines: dict[str, list[TicketRecord]] = defaultdict(list)
    for ticket in waiting:
        if ticket.status is TicketStatus.WAITING:
            lines[ticket.service].append(ticket)
    ahead: dict[str, int] = {}
    for service, line in lines.items():
        line.sort(key=lambda t: queue_order(t, [service]))
        ahead.update((ticket.id, place) for place, ticket in enumerate(line))
    return ahead


def remote_join_refusal(
    *,
    service: str,
    remote_join: bool,
    service_open: bool,
    closed_days: Iterable[date],
    today: date,
    daily_limit: int,
    joined_today: int,
) -> str | None:
    """Why a citizen may not take a ticket for ``service`` from a phone now (a sentence to show),
    or None when they may. ``daily_limit`` 0 means no limit."""
    if not remote_join:
        return f"service {service} does not take tickets from phones: take one at the kiosk"
    if today in set(closed_days):
        return f"the office is closed today ({today.isoformat()}): no tickets are issued"
    if not service_open:
        return f"service {service} is closed today: no tickets are issued"
    if daily_limit and joined_today >= daily_limit:
        return (
            f"service {service} has given all {daily_limit} of today's tickets for phones:"
            " take one at the kiosk, or try again tomorrow"
        )
    return None


def feedback_refusal(number: str, status: TicketStatus, already_given: bool) -> str | None:
    """Why feedback on ticket ``number`` is refused (a sentence), or None: only once, and only
    after it was served."""
    if already_given:
        return f"feedback on {number} was already received: thank you"
    if status is not TicketStatus.DONE:
        return f"{number} is {status.value}: feedback is taken once it has been served"
    return None
