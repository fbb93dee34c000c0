"""Waiting-time estimates (issue #13): simulate forward who the counters will call, and when.

Pure: no I/O, no clock. The office hands in what the store knows (the waiting tickets, the
open counters and what each holds, the day's calls) and gets, per waiting ticket, its expected
wait and a range ``[low, high]`` meant to hold the real wait for about 80 % of tickets.

How (docs/estimates.md says it for people):

- desk time per service is learned from the day's calls, *call to next call* at the same
  counter (walk-up, no-shows and work before a transfer take desk time too), robustly: the
  median and spread of the logarithms, so a few very long visits barely move it, shrunk towards
  the service's ``typical_service_minutes`` (else ``DEFAULT_DESK_SECONDS``) while it has few;
- each open counter is free once its current ticket is done (the expected rest of a visit that
  has lasted so long); then the waiting tickets are handed out in the branch's order (``rank``,
  ``engine.queue_order`` by default) to whichever counter frees first, each counter keeping to
  its services and a transferred ticket to its one counter;
- priority tickets still to come take their recent share of each counter's time;
- the range comes from the spread of the desk times along the way plus a share of the wait for
  what no one can know (breaks, a counter opening), then is put on the grid people read
  (``i18n.range_minutes``): what the API gives is what the paper prints.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from queue_api.engine import ACTIVE, TicketRecord, queue_order
from queue_api.i18n import range_minutes
from queue_api.schema import TicketStatus

DEFAULT_DESK_SECONDS = 300.0
"""Desk time assumed for a service with no history and no ``typical_service_minutes``."""

RECENT_VISITS = 30
"""How many of a service's latest visits its desk time is learned from."""

PRIOR_VISITS = 3.0
"""The typical duration counts as this many visits: it guides until the day has a few."""

PRIOR_SPREAD = 0.5
"""Spread (sd of the logarithm) of desk times assumed before a service has history."""

MAX_SPREAD = 1.2
"""The learned spread is held under this: a day of odd visits must not make ranges absurd."""

IDLE_GAP_CAP = 300.0
"""At most this much of the time between a finish and the next call counts as desk time (the
rest is a pause, not work)."""

CUT_IN_WINDOW = 3600.0
"""Priority tickets issued in this last stretch of the day give their rate of cutting in."""

MIN_CUT_IN_WINDOW = 1800.0
"""The rate is never taken over less time than this: two early priority tickets are no trend."""

MAX_CUT_IN_SHARE = 0.5
"""Priority tickets to come never take more than this share of a counter's time."""

PAUSE_SECONDS = 900.0
"""A paused counter is expected back this long from now (a closed one not today)."""

SIMULATE_AT_MOST = 400
"""The office simulates at most this many waiting tickets (in queue order); further tickets
of a very long queue are placed behind them at the service's pace."""

UNKNOWN_SHARE = 0.2
"""What no one can know yet (breaks, a counter opening or closing, a clerk's pace) as a share
of the wait: part of the range's spread. Calibrated with scripts/simulate_day.py."""

Z_LOW = 1.0
"""The range's low end is this many spreads under the expected wait."""

Z_HIGH = 1.3
"""The range's high end is this many spreads over it (waits run long more than short)."""


@dataclass(frozen=True, slots=True)
class DeskTime:
    """What one visit to a service takes at the desk: a lognormal's ``mu`` and ``sigma`` (of
    the logarithm of seconds), and how many visits of today it was learned from."""

    mu: float
    sigma: float
    visits: int = 0

    @property
    def mean(self) -> float:
        """Expected seconds of one visit."""
        return math.exp(self.mu + self.sigma**2 / 2)

    @property
    def variance(self) -> float:
        """Variance of one visit's seconds."""
        return (math.exp(self.sigma**2) - 1) * self.mean**2

    def rest(self, elapsed: float) -> float:
        """Expected seconds left of a visit that has lasted ``elapsed``: the lognormal's mean
        residual life, held between a tenth of a visit and one whole visit."""
        mean = self.mean
        if elapsed <= 0:
            return mean
        z = (math.log(elapsed) - self.mu) / self.sigma
        survive = _upper(z)
        if survive < 1e-9:
            return 0.1 * mean
        left = mean * _upper(z - self.sigma) / survive - elapsed
        return min(max(left, 0.1 * mean), mean)

    @classmethod
    def typical(cls, seconds: float) -> DeskTime:
        """A desk time whose mean is ``seconds``, with the spread assumed before history."""
        return cls(math.log(seconds) - PRIOR_SPREAD**2 / 2, PRIOR_SPREAD)


def _upper(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


@dataclass(frozen=True, slots=True)
class CounterNow:
    """A counter as the estimate sees it: its services in its order, whether it is open, and
    the ticket at its desk (called or being served), if any."""

    id: str
    services: tuple[str, ...]
    open: bool
    current: TicketRecord | None = None
    #: Paused (not closed): the clerk is expected back (``PAUSE_SECONDS``).
    paused: bool = False


@dataclass(frozen=True, slots=True)
class Estimate:
    """Seconds until a ticket is called: expected, and the range ``[low, high]``."""

    seconds: int
    low: int
    high: int

    @property
    def range(self) -> tuple[int, int]:
        return (self.low, self.high)


Rank = Callable[[TicketRecord, Sequence[str]], Any]
"""Who a counter serving these services calls first: the smallest key (``engine.queue_order``)."""


# Learning desk times ----------------------------------------------------------------------


def desk_samples(calls: Iterable[TicketRecord]) -> dict[str, list[float]]:
    """Per service, the desk time of each finished visit, newest first: call to the counter's
    next call, less the time no one was waiting (the next ticket arrived after the finish) and
    at most ``IDLE_GAP_CAP`` of the gap; the counter's latest visit counts call to finish."""
    by_counter: dict[str, list[TicketRecord]] = {}
    for ticket in calls:
        if ticket.called_at is not None and ticket.counter is not None:
            by_counter.setdefault(ticket.counter, []).append(ticket)
    dated: list[tuple[datetime, str, float]] = []
    for tickets in by_counter.values():
        tickets.sort(key=lambda t: (t.called_at, t.id))
        for visit, after in zip(tickets, [*tickets[1:], None], strict=True):
            assert visit.called_at is not None
            if visit.status in ACTIVE or visit.finished_at is None:
                continue
            seconds = (visit.finished_at - visit.called_at).total_seconds()
            if after is not None and after.called_at is not None:
                busy_from = max(visit.finished_at, min(after.queue_at, after.called_at))
                gap = (after.called_at - busy_from).total_seconds()
                seconds += min(max(gap, 0.0), IDLE_GAP_CAP)
            dated.append((visit.called_at, visit.service, max(seconds, 1.0)))
    dated.sort(reverse=True)
    samples: dict[str, list[float]] = {}
    for _, service, seconds in dated:
        samples.setdefault(service, []).append(seconds)
    return samples


def learn_desk_time(samples: Sequence[float], typical_seconds: float | None) -> DeskTime:
    """The desk time of a service from its latest visits (``samples``, newest first): median and
    spread (MAD) of the logarithms, shrunk towards ``typical_seconds`` while visits are few."""
    prior = DeskTime.typical(typical_seconds or DEFAULT_DESK_SECONDS)
    recent = [math.log(s) for s in samples[:RECENT_VISITS]]
    n = len(recent)
    if n == 0:
        return prior
    mid = median(recent)
    # 1.4826 x MAD estimates a normal's sd; one visit gives no spread, so the prior's stands.
    spread = 1.4826 * median(abs(x - mid) for x in recent) if n > 1 else PRIOR_SPREAD
    spread = min(max(spread, 0.1), MAX_SPREAD)
    weight = PRIOR_VISITS + n
    mu = (PRIOR_VISITS * prior.mu + n * mid) / weight
    variance = (PRIOR_VISITS * prior.sigma**2 + n * spread**2) / weight
    return DeskTime(mu, math.sqrt(variance), n)


def desk_times(
    calls: Iterable[TicketRecord], typical_seconds: Mapping[str, float | None]
) -> dict[str, DeskTime]:
    """Desk time of every service in ``typical_seconds`` (its typical visit, or None) from the
    day's ``calls`` (tickets called today, any status)."""
    samples = desk_samples(calls)
    return {
        service: learn_desk_time(samples.get(service, []), typical)
        for service, typical in typical_seconds.items()
    }


def cut_in_rates(tickets: Iterable[TicketRecord], now: datetime) -> dict[str, float]:
    """Per service, priority tickets issued per second lately (``CUT_IN_WINDOW``): the rate at
    which priority tickets still to come will cut in ahead."""
    since = now - timedelta(seconds=CUT_IN_WINDOW)
    seen: dict[str, set[str]] = {}
    first: datetime | None = None
    for ticket in tickets:
        first = ticket.queue_at if first is None else min(first, ticket.queue_at)
        if ticket.priority and since <= ticket.queue_at <= now:
            seen.setdefault(ticket.service, set()).add(ticket.id)
    if first is None:
        return {}
    window = min(max((now - first).total_seconds(), MIN_CUT_IN_WINDOW), CUT_IN_WINDOW)
    return {service: len(ids) / window for service, ids in seen.items()}


# Simulating forward -----------------------------------------------------------------------


@dataclass
class _Desk:
    """A counter in the simulation: when it is free next, and the variance of that time."""

    counter: CounterNow
    free_at: float
    variance: float
    stretch: float


Lines = dict[tuple[str, str | None], deque[TicketRecord]]
"""The waiting tickets by (service, the one counter it waits for or None), each in order."""


def _lines(waiting: Iterable[TicketRecord], rank: Rank) -> Lines:
    lines: Lines = {}
    for ticket in sorted(waiting, key=lambda t: rank(t, (t.service,))):
        if ticket.status is TicketStatus.WAITING:
            lines.setdefault((ticket.service, ticket.for_counter), deque()).append(ticket)
    return lines


def _staff(
    counters: Sequence[CounterNow], lines: Lines, services: Iterable[str]
) -> tuple[list[CounterNow], set[str]]:
    """The open (and paused) counters, and stand-ins (their ids the second item): one per
    service of ``services`` or ``lines`` no such counter serves, and one per closed counter a
    ticket waits for."""
    staff = [c for c in counters if c.open or c.paused]
    standing_in: set[str] = set()
    served = {s for c in staff for s in c.services}
    open_ids = {c.id for c in staff}
    wanted = [(s, None) for s in services] + sorted(lines, key=lambda k: (k[0], k[1] or ""))
    for service, kept_for in wanted:
        if kept_for is None and service not in served:
            staff.append(CounterNow(f"~{service}", (service,), True))
            served.add(service)
            standing_in.add(f"~{service}")
        elif kept_for is not None and kept_for not in open_ids:
            staff.append(CounterNow(kept_for, (), True))
            open_ids.add(kept_for)
            standing_in.add(kept_for)
    return staff, standing_in


Found = dict[str, tuple[float, float, str]]
"""Per ticket id: seconds from the forecast's ``now`` to its call, their variance, service."""


@dataclass
class Forecast:
    """Who the counters call and when, from ``now`` on: each waiting ticket's call (seconds
    from ``now``), and each counter's time free once they are all called. A ticket issued
    later is placed behind them (``add``, ``probe``) without simulating again."""

    now: datetime
    desks: list[_Desk]
    called: Found
    serving: dict[str, int]
    desk: Mapping[str, DeskTime]

    def desk_of(self, service: str) -> DeskTime:
        """The desk time of ``service`` (``DEFAULT_DESK_SECONDS`` for an unknown one)."""
        return self.desk.get(service) or DeskTime.typical(DEFAULT_DESK_SECONDS)

    def _estimate(self, found: tuple[float, float, str], at: datetime) -> Estimate:
        seconds, variance, service = found
        left = max(seconds - (at - self.now).total_seconds(), 0.0)
        return people_estimate(left, variance / self.serving.get(service, 1))

    def estimate(self, ticket_id: str, at: datetime) -> Estimate | None:
        """The estimate, at ``at``, of a ticket waiting when the forecast was made (or added)."""
        found = self.called.get(ticket_id)
        return self._estimate(found, at) if found is not None else None

    def estimates(self, at: datetime) -> dict[str, Estimate]:
        """Every waiting ticket's estimate at ``at``, by id."""
        return {ticket_id: self._estimate(found, at) for ticket_id, found in self.called.items()}

    def _first_free(self, ticket: TicketRecord) -> _Desk | None:
        """The desk that frees first among those that may call ``ticket`` (ties: list order)."""
        able = [
            d
            for d in self.desks
            if (ticket.for_counter is None and ticket.service in d.counter.services)
            or d.counter.id == ticket.for_counter
        ]
        return min(able, key=lambda d: d.free_at, default=None)

    def probe(self, service: str, at: datetime) -> Estimate:
        """The estimate, at ``at``, of a ticket issued to ``service`` now (behind all)."""
        first = self._first_free(_probe(service, self.now))
        if first is None:  # no counter serves it: a stand-in halfway through a visit
            rest = self.desk_of(service).mean / 2
            return self._estimate((rest, rest**2 / 3, service), at)
        return self._estimate((first.free_at, first.variance, service), at)

    def add(self, ticket: TicketRecord) -> bool:
        """Place ``ticket``, issued after the forecast and behind every waiting ticket, at the
        counter that frees first for it; False when no counter may call it (simulate again)."""
        first = self._first_free(ticket)
        if first is None:
            return False
        self.called[ticket.id] = (first.free_at, first.variance, ticket.service)
        visit = self.desk_of(ticket.service)
        first.free_at += visit.mean * first.stretch
        first.variance += visit.variance
        return True


def forecast(
    now: datetime,
    counters: Sequence[CounterNow],
    waiting: Sequence[TicketRecord],
    desk: Mapping[str, DeskTime],
    *,
    rank: Rank = queue_order,
    cut_ins: Mapping[str, float] | None = None,
) -> Forecast:
    """Simulate forward: the open counters take the waiting tickets in ``rank`` order as each
    frees, each visit taking the expected desk time of ``desk``. A paused counter is back in
    ``PAUSE_SECONDS``. A ticket no open counter can take is served by a stand-in counter, as if
    one were open for it and halfway through a visit (there is no better guess)."""
    cut_ins = cut_ins or {}
    lines = _lines(waiting, rank)
    staff, standing_in = _staff(counters, lines, desk)
    serving: dict[str, int] = {}
    for counter in staff:
        for service in counter.services:
            serving[service] = serving.get(service, 0) + 1
    result = Forecast(now, [], {}, serving, desk)
    for counter in staff:
        rest, variance = 0.0, 0.0
        if counter.current is not None and counter.current.called_at is not None:
            held = result.desk_of(counter.current.service)
            rest = held.rest((now - counter.current.called_at).total_seconds())
            variance = held.variance * (rest / held.mean) ** 2
        elif counter.paused and not counter.open:
            rest = PAUSE_SECONDS
        elif counter.id in standing_in:
            # As if a counter were open for it and halfway through a visit.
            services = counter.services or tuple(k[0] for k in lines if k[1] == counter.id)
            rest = result.desk_of(services[0]).mean / 2 if services else 0.0
            variance = rest**2 / 3
        share = sum(
            cut_ins.get(s, 0.0) * result.desk_of(s).mean / serving[s] for s in counter.services
        )
        result.desks.append(_Desk(counter, rest, variance, 1 / (1 - min(share, MAX_CUT_IN_SHARE))))
    _run(result, lines, rank)
    return result


def estimate_waits(
    now: datetime,
    counters: Sequence[CounterNow],
    waiting: Sequence[TicketRecord],
    desk: Mapping[str, DeskTime],
    *,
    rank: Rank = queue_order,
    cut_ins: Mapping[str, float] | None = None,
    probes: Sequence[str] = (),
) -> tuple[dict[str, Estimate], dict[str, Estimate]]:
    """Each waiting ticket's estimate (by id), and for each service in ``probes`` the estimate
    of a ticket issued to it now (what a kiosk tile shows): ``forecast`` read at ``now``."""
    ahead = forecast(now, counters, waiting, desk, rank=rank, cut_ins=cut_ins)
    return ahead.estimates(now), {service: ahead.probe(service, now) for service in probes}


def _probe(service: str, now: datetime) -> TicketRecord:
    """A ticket issued to ``service`` just now, behind every waiting one."""
    at = now + timedelta(microseconds=1)
    return TicketRecord(
        id="~probe",
        branch="",
        service=service,
        number="",
        day=now.date(),
        priority=False,
        language="",
        issued_at=at,
        queue_at=at,
    )


def _run(result: Forecast, lines: Lines, rank: Rank) -> None:
    """Hand the waiting tickets out, in ``rank`` order, to whichever desk frees first."""
    desks = result.desks
    heap = [(d.free_at, index) for index, d in enumerate(desks)]
    heapq.heapify(heap)
    left = sum(len(line) for line in lines.values())
    while heap and left:
        free_at, index = heapq.heappop(heap)
        current = desks[index]
        services = current.counter.services
        keys: list[tuple[str, str | None]] = [(s, None) for s in services]
        keys += [key for key in lines if key[1] == current.counter.id]
        heads = [lines[key][0] for key in keys if lines.get(key)]
        best = min(heads, key=lambda t: rank(t, services), default=None)
        if best is None:
            continue  # nothing left this counter may call: it drops out
        lines[(best.service, best.for_counter)].popleft()
        left -= 1
        result.called[best.id] = (free_at, current.variance, best.service)
        visit = result.desk_of(best.service)
        current.free_at = free_at + visit.mean * current.stretch
        current.variance += visit.variance
        heapq.heappush(heap, (current.free_at, index))


def people_estimate(seconds: float, variance: float) -> Estimate:
    """The estimate of an expected wait of ``seconds`` whose variance from the desk times
    along the way is ``variance``: its range widened by ``UNKNOWN_SHARE`` and set on the grid
    people read (``i18n.range_minutes``), the expected wait inside it."""
    spread = math.sqrt(variance + (UNKNOWN_SHARE * seconds) ** 2)
    low_minutes, high_minutes = range_minutes(
        max(seconds - Z_LOW * spread, 0.0), seconds + Z_HIGH * spread
    )
    low, high = low_minutes * 60, high_minutes * 60
    return Estimate(min(max(math.ceil(seconds), low), high), low, high)


def behind(estimate: Estimate, more: int, desk: DeskTime, counters: int) -> Estimate:
    """``estimate`` for a ticket with ``more`` tickets of its service ahead that the office did
    not simulate (past ``SIMULATE_AT_MOST``), shared by ``counters``."""
    if more <= 0:
        return estimate
    extra = more * desk.mean / max(counters, 1)
    seconds = estimate.seconds + extra
    variance = ((estimate.high - estimate.seconds) / Z_HIGH) ** 2 + more * desk.variance
    return people_estimate(seconds, variance / max(counters, 1))
