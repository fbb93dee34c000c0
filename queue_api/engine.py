"""The queue rules: numbering, which ticket is next, ticket and counter transitions, waiting
time, and which device faults still stand.

Pure: no I/O, no clock. Both stores call these functions, so SQLite and PostgreSQL behave alike.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from queue_api.schema import CounterState, ReportedAlert, TicketStatus

ACTIVE = (TicketStatus.CALLED, TicketStatus.SERVING)

QUEUE_TICK = timedelta(microseconds=1)
"""The smallest step between two queue times: the resolution of the stored times."""

CLOCK_STEP_THRESHOLD = timedelta(seconds=2)
"""A wall clock moving this much more (or less) than real time has been stepped, not drifted."""


class RuleViolation(Exception):
    """The action does not fit the current state; the message says what to do instead."""


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """A ticket as the store keeps it."""

    id: str
    branch: str
    service: str
    number: str
    day: date
    priority: bool
    language: str
    issued_at: datetime
    status: TicketStatus = TicketStatus.WAITING
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counter: str | None = None
    recalls: int = 0
    #: Who was at the counter when it called this ticket (for the stats only).
    clerk: str | None = None
    #: How it was taken (API.md v1 additions): ``kiosk``, ``remote`` or ``appointment``.
    channel: str = "kiosk"
    #: The booked time of an appointment's ticket.
    appointment_at: datetime | None = None
    #: How the visit ended: a code from the service's ``outcomes``.
    outcome: str | None = None
    #: Transferred to one counter: only that counter may call it.
    for_counter: str | None = None
    #: Its queue time (API.md): the issue time made monotonic per branch (``next_queue_at``);
    #: what orders the queue and what waits count from. Keyword-only, so it can follow the
    #: defaults above and still be required: every ticket has one.
    queue_at: datetime = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class BranchClock:
    """What a branch's clock has reached: its business day and the latest queue time given.

    Neither goes backwards, whatever the machine's clock does (offices without NTP are common).
    """

    branch: str
    day: date
    queue_at: datetime


@dataclass(frozen=True, slots=True)
class CounterRecord:
    """A counter's state as the store keeps it; ``day`` is when the state was set."""

    branch: str
    id: str
    state: CounterState = CounterState.CLOSED
    day: date | None = None
    #: Who last opened the counter; the tickets it calls count for them.
    clerk: str | None = None


# Numbering ------------------------------------------------------------------------------


def business_day(now: datetime, zone: ZoneInfo) -> date:
    """The office's calendar day at ``now``: numbering and counter states restart with it."""
    return now.astimezone(zone).date()


def branch_day(clock_day: date, stored: BranchClock | None) -> date:
    """The business day a branch runs on: the clock's, but never before the day it already
    reached (a clock stepped back across midnight must not reopen yesterday's numbering)."""
    return max(clock_day, stored.day) if stored is not None else clock_day


def next_queue_at(now: datetime, stored: BranchClock | None) -> datetime:
    """The queue time of a ticket issued at ``now``: never earlier than, nor equal to, the
    previous one of its branch, so arrival order is queue order whatever the clock does."""
    if stored is None:
        return now
    return max(now, stored.queue_at + QUEUE_TICK)


def clock_step(
    previous: tuple[datetime, float], current: tuple[datetime, float]
) -> timedelta | None:
    """How far the wall clock jumped between two (wall, monotonic seconds) readings beyond the
    real time that passed, or None when that is under ``CLOCK_STEP_THRESHOLD`` (drift, jitter)."""
    step = (current[0] - previous[0]) - timedelta(seconds=current[1] - previous[1])
    return step if abs(step) >= CLOCK_STEP_THRESHOLD else None


@dataclass(frozen=True, slots=True)
class DayHold:
    """The business day stays ``day`` although the wall clock, ``ahead`` in front of real
    time, already shows a later one."""

    day: date
    ahead: timedelta


def hold_day(
    hold: DayHold | None, step: timedelta | None, now: datetime, zone: ZoneInfo
) -> DayHold | None:
    """The hold on the business day after a clock reading at ``now`` (``step``: its jump).

    The rollover rule: a new business day starts, and cancels the last day's leftovers, only
    when real time reaches it. A clock set a day ahead by mistake would otherwise cancel the
    whole waiting room at once. So a forward jump that carries the clock into a later day holds
    the day where real time is, until real time reaches the next day (the night's rollover) or
    a step back undoes the jump; a jump within the day holds nothing. Steps back need no hold:
    ``branch_day`` already keeps the day from going back.
    """
    ahead = (hold.ahead if hold else timedelta(0)) + (step or timedelta(0))
    if ahead <= timedelta(0):
        return None
    real_day = business_day(now - ahead, zone)
    if real_day >= business_day(now, zone) or (hold is not None and real_day > hold.day):
        return None
    return DayHold(day=hold.day if hold else real_day, ahead=ahead)


def wait_seconds(ticket: TicketRecord, until: datetime) -> float:
    """Seconds ``ticket`` has waited in the queue at ``until``: never negative, even when the
    clock was stepped back after it was issued."""
    return max((until - ticket.queue_at).total_seconds(), 0.0)


def ticket_number(prefix: str, sequence: int) -> str:
    """``A`` and 42 give ``A042``; past 999 the number simply grows (``A1000``)."""
    if sequence < 1:
        raise ValueError("ticket sequences start at 1")
    return f"{prefix}{sequence:03d}"


def new_ticket_id() -> str:
    """An opaque, unguessable id: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


TICKET_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def could_be_ticket_id(text: str) -> bool:
    """Whether ``text`` has the shape of a ``new_ticket_id``: only then may a store look it up."""
    return TICKET_ID.fullmatch(text) is not None


def new_ticket(
    *,
    branch: str,
    service: str,
    prefix: str,
    sequence: int,
    day: date,
    priority: bool,
    language: str,
    now: datetime,
    queue_at: datetime | None = None,
) -> TicketRecord:
    """A freshly issued, waiting ticket; ``queue_at`` from ``next_queue_at`` (default ``now``)."""
    return TicketRecord(
        id=new_ticket_id(),
        branch=branch,
        service=service,
        number=ticket_number(prefix, sequence),
        day=day,
        priority=priority,
        language=language,
        issued_at=now,
        queue_at=queue_at or now,
    )


# Who is next ----------------------------------------------------------------------------


def queue_order(ticket: TicketRecord, services: Sequence[str]) -> tuple[bool, datetime, int, str]:
    """Sort key of API.md: priority first, then queue time, then the counter's service order."""
    rank = services.index(ticket.service) if ticket.service in services else len(services)
    return (not ticket.priority, ticket.queue_at, rank, ticket.id)


def pick_next(waiting: Iterable[TicketRecord], services: Sequence[str]) -> TicketRecord | None:
    """The waiting ticket a counter serving ``services`` calls next, or None."""
    candidates = [t for t in waiting if t.status is TicketStatus.WAITING and t.service in services]
    return min(candidates, key=lambda t: queue_order(t, services), default=None)


def people_ahead(ticket: TicketRecord, waiting: Iterable[TicketRecord]) -> int:
    """How many waiting tickets of the same service will be called before ``ticket``."""
    key = queue_order(ticket, [ticket.service])
    return sum(
        1
        for other in waiting
        if other.service == ticket.service
        and other.status is TicketStatus.WAITING
        and other.id != ticket.id
        and queue_order(other, [ticket.service]) < key
    )


# Waiting time ---------------------------------------------------------------------------


def service_seconds(ticket: TicketRecord) -> float | None:
    """Seconds spent on a finished ticket: from start, or from the call if never started."""
    begin = ticket.started_at or ticket.called_at
    if ticket.status is not TicketStatus.DONE or begin is None or ticket.finished_at is None:
        return None
    return max((ticket.finished_at - begin).total_seconds(), 0.0)


# Ticket transitions ---------------------------------------------------------------------


def call(
    ticket: TicketRecord, counter: str, now: datetime, clerk: str | None = None
) -> TicketRecord:
    """A waiting ticket is called to ``counter`` (where ``clerk`` works)."""
    if ticket.status is not TicketStatus.WAITING:
        raise RuleViolation(
            f"{ticket.number} is {ticket.status.value}, not waiting: cannot call it"
        )
    return replace(
        ticket, status=TicketStatus.CALLED, counter=counter, called_at=now, recalls=0, clerk=clerk
    )


def _only_called(ticket: TicketRecord, done: str) -> None:
    """RuleViolation unless ``ticket`` is called: only then can it be ``done``."""
    if ticket.status is not TicketStatus.CALLED:
        raise RuleViolation(
            f"{ticket.number} is {ticket.status.value}: only a called ticket can be {done}"
        )


def recall(ticket: TicketRecord, now: datetime) -> TicketRecord:
    """The called ticket is called again; it stays ``called``."""
    _only_called(ticket, "recalled")
    return replace(ticket, recalls=ticket.recalls + 1)


def start(ticket: TicketRecord, now: datetime) -> TicketRecord:
    """The citizen arrived at the counter: ``called`` → ``serving``."""
    _only_called(ticket, "started")
    return replace(ticket, status=TicketStatus.SERVING, started_at=now)


def finish(ticket: TicketRecord, now: datetime) -> TicketRecord:
    """The counter is done with the ticket."""
    if ticket.status not in ACTIVE:
        raise RuleViolation(f"{ticket.number} is {ticket.status.value}: nothing to finish")
    return replace(ticket, status=TicketStatus.DONE, finished_at=now)


def no_show(ticket: TicketRecord, now: datetime) -> TicketRecord:
    """The citizen never came: only a called ticket (not one being served) can be a no-show."""
    _only_called(ticket, "a no-show")
    return replace(ticket, status=TicketStatus.NO_SHOW, finished_at=now)


def transfer(ticket: TicketRecord, service: str) -> TicketRecord:
    """Back to ``waiting`` in another service, keeping number, issue time and queue time."""
    if ticket.status not in ACTIVE:
        raise RuleViolation(
            f"{ticket.number} is {ticket.status.value}: only a current ticket moves"
        )
    if ticket.service == service:
        raise RuleViolation(f"{ticket.number} is already in {service}: pick another service")
    return replace(
        ticket,
        service=service,
        status=TicketStatus.WAITING,
        counter=None,
        called_at=None,
        started_at=None,
        recalls=0,
    )


def cancel(ticket: TicketRecord, now: datetime) -> TicketRecord:
    """A ticket left waiting or called when its business day ended."""
    if ticket.status not in (TicketStatus.WAITING, *ACTIVE):
        raise RuleViolation(f"{ticket.number} is {ticket.status.value}: it cannot be cancelled")
    return replace(ticket, status=TicketStatus.CANCELLED, finished_at=now)


# Counter transitions --------------------------------------------------------------------


def counter_state(record: CounterRecord, today: date) -> CounterState:
    """Counters start each day closed, whatever they were yesterday."""
    return record.state if record.day == today else CounterState.CLOSED


def change_counter(
    record: CounterRecord,
    target: CounterState,
    current: TicketRecord | None,
    today: date,
    clerk: str | None = None,
) -> CounterRecord:
    """Open, pause or close a counter; pausing or closing with a ticket at the desk is refused.

    Opening with a ``clerk`` names who works there from now on; without one, the last stays.
    """
    if target is not CounterState.OPEN and current is not None:
        verb = "pause" if target is CounterState.PAUSED else "close"
        raise RuleViolation(
            f"counter {record.id} still holds {current.number}: finish it, transfer it or mark "
            f"it no-show before you {verb}"
        )
    if target is CounterState.OPEN and clerk:
        record = replace(record, clerk=clerk)
    return replace(record, state=target, day=today)


def standing_alerts(reports: Iterable[ReportedAlert]) -> list[ReportedAlert]:
    """The faults still standing after ``reports`` (in event order): per device and part the
    latest report counts, and ``<part>.ok`` clears it. Oldest first."""
    latest: dict[tuple[str, str], ReportedAlert] = {}
    for report in reports:
        latest[(report.device, report.part)] = report
    return sorted(
        (report for report in latest.values() if not report.all_clear),
        key=lambda report: report.event_id,
    )
