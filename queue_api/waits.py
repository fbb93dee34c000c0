"""The office side of the waiting-time estimate: what ``queue_api.estimate`` needs, read in the
caller's transaction (a few indexed queries, bounded whatever the length of the day)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from statistics import median

from queue_api import engine
from queue_api.config import BranchConfig
from queue_api.engine import CounterRecord, TicketRecord
from queue_api.estimate import (
    RECENT_VISITS,
    SIMULATE_AT_MOST,
    CounterNow,
    Estimate,
    Rank,
    behind,
    cut_in_rates,
    desk_samples,
    estimate_waits,
    learn_desk_time,
)
from queue_api.schema import CounterState
from queue_api.store import ReadTx

HISTORY_CALLS = 300
"""The day's latest calls the desk times are learned from (``RECENT_VISITS`` per service)."""


def branch_waits(
    tx: ReadTx,
    branch: BranchConfig,
    day: date,
    now: datetime,
    *,
    rank: Rank = engine.queue_order,
    probes: Sequence[str] = (),
    target: TicketRecord | None = None,
) -> tuple[dict[str, Estimate], dict[str, Estimate]]:
    """``estimate.estimate_waits`` for ``branch`` on ``day`` at ``now``: per waiting ticket id,
    and per service in ``probes`` for a ticket issued now. ``target``, a waiting ticket, gets
    its estimate even when more than ``SIMULATE_AT_MOST`` tickets wait before it."""
    waiting = tx.waiting_in_order(branch.id, day, SIMULATE_AT_MOST)
    outside = target is not None and all(t.id != target.id for t in waiting)
    if target is not None and outside:
        waiting.append(target)
    calls = tx.recent_calls(branch.id, day, HISTORY_CALLS)
    records = tx.counters(branch.id)
    held: dict[str, TicketRecord] = {}
    for ticket in calls:  # newest call first: a counter's first one here is what it holds
        if ticket.counter is not None and ticket.counter not in held:
            held[ticket.counter] = ticket
    states = {
        c.id: engine.counter_state(records.get(c.id, CounterRecord(branch.id, c.id)), day)
        for c in branch.counters
    }
    counters = [
        CounterNow(
            id=counter.id,
            services=tuple(counter.services),
            open=states[counter.id] is CounterState.OPEN,
            paused=states[counter.id] is CounterState.PAUSED,
            current=(
                held[counter.id]
                if counter.id in held and held[counter.id].status in engine.ACTIVE
                else None
            ),
        )
        for counter in branch.counters
    ]
    samples = desk_samples(calls)
    desk = {}
    for service in branch.services:
        typical = (service.typical_service_minutes or 0) * 60 or None
        if typical is None and service.id not in samples:
            # Nothing today and nothing configured: start from the last days' visits.
            before = tx.recent_service_seconds(branch.id, service.id, RECENT_VISITS)
            typical = median(before) if before and median(before) > 0 else None
        desk[service.id] = learn_desk_time(samples.get(service.id, []), typical)
    found, probed = estimate_waits(
        now,
        counters,
        waiting,
        desk,
        rank=rank,
        cut_ins=cut_in_rates([*calls, *waiting], now),
        probes=probes,
    )
    if target is not None and outside and target.id in found:
        # Simulated right after the first SIMULATE_AT_MOST: add those between, at its pace.
        ahead = tx.waiting_ahead(target)
        simulated = sum(1 for t in waiting if t.service == target.service and t.id != target.id)
        serving = sum(1 for c in counters if c.open and target.service in c.services)
        found[target.id] = behind(
            found[target.id], ahead - simulated, desk[target.service], serving
        )
    return found, probed
