"""The queue rules: numbering, which ticket is next, ticket and counter transitions, waiting
time, and which device faults still stand.

Pure: no I/O, no clock. Both stores call these functions, so SQLite and PostgreSQL behave alike.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from queue_api.config import PolicyConfig
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
    #: When a no-show was brought back (``return_ticket``): at equal rank it goes behind.
    returned_at: datetime | None = None
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


def transfer(ticket: TicketRecord, service: str, for_counter: str | None = None) -> TicketRecord:
    """Back to ``waiting`` in another service (or for one counter, ``for_counter``, only),
    keeping number, issue time and queue time."""
    if ticket.status not in ACTIVE:
        raise RuleViolation(
            f"{ticket.number} is {ticket.status.value}: only a current ticket moves"
        )
    if ticket.service == service and for_counter is None:
        raise RuleViolation(f"{ticket.number} is already in {service}: pick another service")
    if for_counter is not None and for_counter == ticket.counter:
        raise RuleViolation(
            f"{ticket.number} is already at counter {for_counter}: pick another counter"
        )
    return replace(
        ticket,
        service=service,
        status=TicketStatus.WAITING,
        counter=None,
        called_at=None,
        started_at=None,
        recalls=0,
        for_counter=for_counter,
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


# Fairness policy ------------------------------------------------------------------------

ALWAYS_FIRST = -1
"""``priority_head_start_minutes`` for "a priority ticket is always called first" (v1's rule)."""

RankKey = tuple[int, datetime, tuple[bool, datetime], int, str]


def may_call(ticket: TicketRecord, counter: str | None) -> bool:
    """Whether ``counter`` may call ``ticket``: a ticket transferred to one counter waits for
    that counter only (``counter`` None: any counter, for a view of the whole line)."""
    return ticket.for_counter is None or counter is None or ticket.for_counter == counter


def head_start(ticket: TicketRecord, services: Sequence[str], policy: PolicyConfig) -> timedelta:
    """How much longer than its queue time ``ticket`` counts as waiting at a counter serving
    ``services`` (the always-first priority rule is not a head start: see ``policy_key``)."""
    start = timedelta(0)
    if ticket.priority and policy.priority_head_start_minutes > 0:
        start += timedelta(minutes=policy.priority_head_start_minutes)
    if services and ticket.service == services[0]:
        start += timedelta(minutes=policy.first_service_head_start_minutes)
    return start


def policy_key(policy: PolicyConfig, services: Sequence[str]) -> Callable[[TicketRecord], RankKey]:
    """The sort key of the branch ``policy`` at a counter serving ``services``, in its order.

    A ticket ranks by its queue time less its head starts (an appointment's queue time is its
    booked time; a transfer keeps its own); priority tickets come first of all when the
    priority head start is ``ALWAYS_FIRST``; at an equal time a returned no-show goes behind
    (``return_ticket``), then the counter's service order decides. The defaults give exactly
    v1's order, ``queue_order``.
    """

    def key(ticket: TicketRecord) -> RankKey:
        first = ticket.priority and policy.priority_head_start_minutes == ALWAYS_FIRST
        rank = services.index(ticket.service) if ticket.service in services else len(services)
        line = line_order(ticket)
        ranked_at = ticket.queue_at - head_start(ticket, services, policy)
        return (0 if first else 1, ranked_at, line[1], rank, ticket.id)

    return key


def policy_rank(policy: PolicyConfig) -> Callable[[TicketRecord, Sequence[str]], RankKey]:
    """``policy_key`` as a rank of a ticket at a counter serving ``services`` (the form the
    waiting-time estimate simulates counters with)."""

    def rank(ticket: TicketRecord, services: Sequence[str]) -> RankKey:
        return policy_key(policy, services)(ticket)

    return rank


LINE_PEEK = 5
"""How many tickets a store reads from the front of a line (one service and priority, by queue
time and id) to find its head: more only when all of them share one queue time."""


def line_order(ticket: TicketRecord) -> tuple[datetime, tuple[bool, datetime], str]:
    """The order within one line of one service and priority, as ``policy_key`` keeps it under
    any policy: queue time, a returned no-show behind at an equal time, then id."""
    return (
        ticket.queue_at,
        (ticket.returned_at is not None, ticket.returned_at or ticket.queue_at),
        ticket.id,
    )


def line_head(front: Sequence[TicketRecord]) -> TicketRecord | None:
    """The head of a line from its front (``LINE_PEEK`` tickets by queue time and id, or every
    ticket of its first queue time when those all share it)."""
    return min(front, key=line_order, default=None)


@dataclass(frozen=True, slots=True)
class Ranked:
    """A waiting ticket in a counter's order, with one line saying why it stands there."""

    ticket: TicketRecord
    why: str


def _minutes(seconds: float) -> int:
    return int(seconds // 60)


def why_chosen(
    ticket: TicketRecord, services: Sequence[str], policy: PolicyConfig, now: datetime
) -> str:
    """One line on why the policy puts ``ticket`` where it is, e.g. "priority; waited 14 min;
    your first service"."""
    reasons = []
    if ticket.for_counter is not None:
        reasons.append("sent to this counter")
    if ticket.priority:
        minutes = policy.priority_head_start_minutes
        reasons.append("priority" if minutes == ALWAYS_FIRST else f"priority (+{minutes} min)")
    if ticket.appointment_at is not None:
        reasons.append("appointment, at its booked time")
    if ticket.returned_at is not None:
        reasons.append(f"back after a no-show, behind {policy.return_after}")
    reasons.append(f"waited {_minutes(wait_seconds(ticket, now))} min")
    if len(services) > 1 and services[0] == ticket.service:
        bonus = policy.first_service_head_start_minutes
        reasons.append("your first service" + (f" (+{bonus} min)" if bonus else ""))
    return "; ".join(reasons)


def rank_waiting(
    waiting: Iterable[TicketRecord],
    services: Sequence[str],
    policy: PolicyConfig,
    now: datetime,
    counter: str | None = None,
) -> list[Ranked]:
    """The waiting tickets ``counter`` (serving ``services``) may call, in the order the branch
    ``policy`` calls them, each with its ``why``."""
    key = policy_key(policy, services)
    callable_here = sorted(
        (
            ticket
            for ticket in waiting
            if ticket.status is TicketStatus.WAITING
            and ticket.service in services
            and may_call(ticket, counter)
        ),
        key=key,
    )
    return [Ranked(ticket, why_chosen(ticket, services, policy, now)) for ticket in callable_here]


def choose_next(
    waiting: Iterable[TicketRecord],
    services: Sequence[str],
    policy: PolicyConfig,
    now: datetime,
    counter: str | None = None,
) -> Ranked | None:
    """The ticket ``counter`` calls next under the branch ``policy``, and why; None if none."""
    ranked = rank_waiting(waiting, services, policy, now, counter)
    return ranked[0] if ranked else None


def call_out_of_order(
    ticket: TicketRecord,
    waiting: Iterable[TicketRecord],
    counter: str,
    services: Sequence[str],
    policy: PolicyConfig,
    now: datetime,
) -> Ranked:
    """The clerk calls ``ticket`` at ``counter`` ahead of its turn: a RuleViolation unless the
    counter may call it; the ``why`` says so, and where the policy had it."""
    if ticket.status is not TicketStatus.WAITING:
        raise RuleViolation(
            f"{ticket.number} is {ticket.status.value}, not waiting: only a waiting ticket can be"
            " called"
        )
    if ticket.service not in services:
        raise RuleViolation(
            f"{ticket.number} is for {ticket.service}, which counter {counter} does not serve:"
            " transfer it first"
        )
    if not may_call(ticket, counter):
        raise RuleViolation(
            f"{ticket.number} waits for counter {ticket.for_counter} only: that counter calls it"
        )
    others = [other for other in waiting if other.id != ticket.id]
    ranked = rank_waiting([*others, ticket], services, policy, now, counter)
    place = next(i for i, r in enumerate(ranked) if r.ticket.id == ticket.id) + 1
    why = (
        f"called out of order by the clerk; number {place} in line;"
        f" waited {_minutes(wait_seconds(ticket, now))} min"
    )
    if place > 1:
        first = ranked[0].ticket
        why += f"; {first.number} was next"
    return Ranked(ticket, why)


def return_ticket(
    ticket: TicketRecord,
    waiting: Iterable[TicketRecord],
    policy: PolicyConfig,
    now: datetime,
    today: date,
) -> TicketRecord:
    """A no-show of ``today`` back to waiting (the citizen came late), placed by the ``policy``:
    behind the first ``return_after`` tickets of its line that counters calling it also call.

    It takes a queue time just after the ticket it goes behind, or goes first if none is ahead
    of it. A priority ticket keeps its priority: with priority
    always first it goes behind that many priority tickets (fewer if fewer wait).
    """
    if ticket.status is not TicketStatus.NO_SHOW:
        raise RuleViolation(
            f"{ticket.number} is {ticket.status.value}: only a no-show can be brought back"
        )
    if ticket.day != today:
        raise RuleViolation(
            f"{ticket.number} is a no-show of {ticket.day}, not of today: issue a new ticket"
        )
    back = replace(
        ticket,
        status=TicketStatus.WAITING,
        counter=None,
        called_at=None,
        started_at=None,
        finished_at=None,
        recalls=0,
        outcome=None,
        returned_at=now,
    )
    key = policy_key(policy, [ticket.service])
    line = sorted(
        (
            other
            for other in waiting
            if other.status is TicketStatus.WAITING
            and other.service == ticket.service
            and other.id != ticket.id
            and other.for_counter in (None, ticket.for_counter)
        ),
        key=key,
    )
    mine = key(back)
    shift = back.queue_at - mine[1]
    same = [other for other in line if key(other)[0] == mine[0]]
    behind = sum(1 for other in line[: policy.return_after] if key(other)[0] == mine[0])
    if behind:
        # Just after the ticket it goes behind; on its very time if the next one leaves no
        # room (then ``returned_at`` breaks the tie in ``policy_key``).
        ranked_at = key(same[behind - 1])[1]
        after = same[behind : behind + 1]
        if not after or key(after[0])[1] > ranked_at + QUEUE_TICK:
            ranked_at += QUEUE_TICK
    elif same:
        ranked_at = min(mine[1], key(same[0])[1] - QUEUE_TICK)
    else:
        ranked_at = mine[1]
    return replace(back, queue_at=ranked_at + shift)


def finish_with(ticket: TicketRecord, now: datetime, outcome: str | None) -> TicketRecord:
    """``finish``, noting how the visit ended (a code the caller checked against the service)."""
    done = finish(ticket, now)
    return replace(done, outcome=outcome) if outcome is not None else done
