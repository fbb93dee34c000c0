"""The office side of the waiting-time estimate: what ``queue_api.estimate`` needs, read in the
caller's transaction, and each branch's forecast kept while nothing real changes.

A forecast is made again only when the branch's event log moved on (every change of a ticket
or a counter appends an event) other than by a ticket issued behind the others (placed on the
kept forecast in a few operations, ``Waits.noted``), when its counters' states or its day
change, or when it is ``MAX_AGE`` old. So issuing stays cheap however long the queue, the
estimate does not jitter between two looks at an unchanged queue, and it moves when something
real happens: a call, a finish, a transfer, a counter opening or pausing, time going by.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from queue_api import engine
from queue_api.config import BranchConfig
from queue_api.engine import CounterRecord, TicketRecord
from queue_api.estimate import (
    RECENT_VISITS,
    SIMULATE_AT_MOST,
    CounterNow,
    Estimate,
    Forecast,
    Rank,
    behind,
    cut_in_rates,
    desk_samples,
    forecast,
    learn_desk_time,
)
from queue_api.schema import CounterState
from queue_api.store import ReadTx

HISTORY_CALLS = 200
"""The day's latest calls the desk times are learned from (``RECENT_VISITS`` per service)."""

MAX_AGE = timedelta(minutes=2)
"""A forecast is made again at least this often: a visit running long moves the estimate."""


@dataclass
class _Kept:
    key: tuple[object, ...]
    #: The branch's last event id the forecast knows of.
    seen: int
    made: datetime
    forecast: Forecast
    truncated: bool
    counters: list[CounterNow]
    #: The latest queue time among the tickets in the forecast.
    newest: datetime | None
    #: A ticket placed on the forecast whose issue event is not yet ``noted``.
    pending: str | None = None


class Waits:
    """Each branch's latest forecast, shared by the office's requests (thread-safe)."""

    def __init__(self, rank: Callable[[BranchConfig], Rank] = lambda _: engine.queue_order) -> None:
        #: The branch's next-order rule (its policy): who a counter calls first.
        self.rank = rank
        self._lock = threading.Lock()
        self._kept: dict[str, _Kept] = {}

    def estimate(
        self, tx: ReadTx, branch: BranchConfig, day: date, now: datetime, ticket: TicketRecord
    ) -> Estimate | None:
        """The estimate of ``ticket``, waiting at ``branch`` on ``day``."""
        with self._lock:
            kept = self._forecast(tx, branch, day, now, ticket)
            found = kept.forecast.estimate(ticket.id, now)
            if found is not None:
                return found
            # Past the SIMULATE_AT_MOST simulated: behind them, at its service's pace.
            simulated = sum(1 for *_, s in kept.forecast.called.values() if s == ticket.service)
            serving = sum(1 for c in kept.counters if c.open and ticket.service in c.services)
            return behind(
                kept.forecast.probe(ticket.service, now),
                tx.waiting_ahead(ticket) - simulated,
                kept.forecast.desk_of(ticket.service),
                serving,
            )

    def for_new(
        self, tx: ReadTx, branch: BranchConfig, day: date, now: datetime, services: Sequence[str]
    ) -> dict[str, Estimate]:
        """Per service, the estimate of a ticket issued to it now."""
        with self._lock:
            kept = self._forecast(tx, branch, day, now, None)
            return {service: kept.forecast.probe(service, now) for service in services}

    def noted(self, branch: str, ticket_id: str, event_id: int) -> None:
        """``ticket_id``'s issue was logged as ``event_id``: the kept forecast has it already."""
        with self._lock:
            kept = self._kept.get(branch)
            if kept is not None and kept.pending == ticket_id:
                kept.seen, kept.pending = event_id, None

    def _forecast(
        self,
        tx: ReadTx,
        branch: BranchConfig,
        day: date,
        now: datetime,
        ticket: TicketRecord | None,
    ) -> _Kept:
        seen = tx.last_event_id(branch.id)
        records = tx.counters(branch.id)
        states = tuple(
            engine.counter_state(records.get(c.id, CounterRecord(branch.id, c.id)), day)
            for c in branch.counters
        )
        key = (day, states)
        kept = self._kept.get(branch.id)
        if kept is not None and (kept.key != key or now - kept.made >= MAX_AGE):
            kept = None
        asked = ticket.id if ticket is not None else None
        if kept is not None and kept.seen == seen and kept.pending in (None, asked):
            if ticket is None or ticket.id in kept.forecast.called or kept.pending == asked:
                return kept
            # Past SIMULATE_AT_MOST the ticket is placed at its service's pace (``estimate``).
            if _issued_behind(kept, ticket) and (kept.truncated or kept.forecast.add(ticket)):
                # Issued in this transaction, behind every waiting ticket; its event comes next.
                kept.newest, kept.pending = ticket.queue_at, ticket.id
                return kept
        kept = self._make(tx, branch, day, now, seen, key, states)
        if ticket is not None and (kept.newest is None or ticket.queue_at >= kept.newest):
            # Perhaps issued in this transaction: then ``noted`` brings its event.
            kept.newest, kept.pending = ticket.queue_at, ticket.id
        self._kept[branch.id] = kept
        return kept

    def _make(
        self,
        tx: ReadTx,
        branch: BranchConfig,
        day: date,
        now: datetime,
        seen: int,
        key: tuple[object, ...],
        states: tuple[CounterState, ...],
    ) -> _Kept:
        waiting = tx.waiting_in_order(branch.id, day, SIMULATE_AT_MOST)
        calls = tx.recent_calls(branch.id, day, HISTORY_CALLS)
        held: dict[str, TicketRecord] = {}
        for ticket in calls:  # newest call first: a counter's first one here is what it holds
            if ticket.counter is not None and ticket.counter not in held:
                held[ticket.counter] = ticket
        counters = []
        for counter, state in zip(branch.counters, states, strict=True):
            current = held.get(counter.id)
            counters.append(
                CounterNow(
                    id=counter.id,
                    services=tuple(counter.services),
                    open=state is CounterState.OPEN,
                    current=current if current and current.status in engine.ACTIVE else None,
                    paused=state is CounterState.PAUSED,
                )
            )
        samples = desk_samples(calls)
        desk = {}
        for service in branch.services:
            typical = (service.typical_service_minutes or 0) * 60 or None
            if typical is None and service.id not in samples:
                # Nothing today and nothing configured: start from the last days' visits.
                before = tx.recent_service_seconds(branch.id, service.id, RECENT_VISITS)
                typical = median(before) if before and median(before) > 0 else None
            desk[service.id] = learn_desk_time(samples.get(service.id, []), typical)
        made = forecast(
            now,
            counters,
            waiting,
            desk,
            rank=self.rank(branch),
            cut_ins=cut_in_rates([*calls, *waiting], now),
        )
        truncated = len(waiting) >= SIMULATE_AT_MOST
        newest = max((t.queue_at for t in waiting), default=None)
        return _Kept(key, seen, now, made, truncated, counters, newest)


def _issued_behind(kept: _Kept, ticket: TicketRecord) -> bool:
    """Whether ``ticket`` (not in the forecast) goes behind every ticket in it: not priority,
    for any counter, issued after them."""
    return (
        not ticket.priority
        and ticket.for_counter is None
        and (kept.newest is None or kept.newest < ticket.queue_at)
    )
