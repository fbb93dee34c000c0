"""A branch's KPIs for one day, from its tickets; and the one percentile rule of the project.

Pure: no I/O, no clock. The benchmark scripts use ``percentile`` too, so their figures and the
stats endpoint's read alike.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from statistics import StatisticsError, fmean
from typing import TypedDict

from queue_api import engine
from queue_api.config import BranchConfig, ServiceConfig
from queue_api.engine import TicketRecord
from queue_api.schema import ClerkStats, CounterStats, ServiceStats, Stats, TicketStatus


def percentile(values: Iterable[float], share: float) -> float:
    """Nearest rank: the smallest of ``values`` with at least ``share`` (0-1) of them at or
    below it. Always one of the values (``statistics.quantiles`` interpolates between two).

    Like ``statistics.median``, raises ``StatisticsError`` for no values."""
    ordered = sorted(values)
    if not ordered:
        raise StatisticsError("percentile requires at least one data point")
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def mean(values: Sequence[float]) -> float | None:
    """The mean to a tenth of a second, or None for no values."""
    return round(fmean(values), 1) if values else None


def _service_times(tickets: Iterable[TicketRecord]) -> list[float]:
    """How long each finished ticket took at the desk."""
    return [d for t in tickets if (d := engine.service_seconds(t)) is not None]


def _no_shows(tickets: Iterable[TicketRecord]) -> int:
    return sum(t.status is TicketStatus.NO_SHOW for t in tickets)


def _served(tickets: Iterable[TicketRecord]) -> int:
    return sum(t.status is TicketStatus.DONE for t in tickets)


def service_stats(service: ServiceConfig, tickets: Sequence[TicketRecord]) -> ServiceStats:
    """Issued, waiting, served, no-shows, waits and service time of ``service``'s tickets."""
    mine = [t for t in tickets if t.service == service.id]
    waits = [engine.wait_seconds(t, t.called_at) for t in mine if t.called_at]
    target = service.target_wait_minutes * 60
    return ServiceStats(
        service=service.id,
        issued=len(mine),
        waiting=sum(t.status is TicketStatus.WAITING for t in mine),
        served=_served(mine),
        no_shows=_no_shows(mine),
        mean_wait_seconds=mean(waits),
        p90_wait_seconds=round(percentile(waits, 0.9), 1) if waits else None,
        mean_service_seconds=mean(_service_times(mine)),
        within_target_share=sum(w <= target for w in waits) / len(waits) if waits else None,
        outcomes=dict(Counter(t.outcome for t in mine if t.outcome is not None)),
        returned=sum(t.returned_at is not None for t in mine),
    )


class _DeskWork(TypedDict):
    """What a counter or a clerk did: the figures ``CounterStats`` and ``ClerkStats`` share."""

    served: int
    no_shows: int
    mean_service_seconds: float | None


def _desk_work(mine: Sequence[TicketRecord]) -> _DeskWork:
    return _DeskWork(
        served=_served(mine),
        no_shows=_no_shows(mine),
        mean_service_seconds=mean(_service_times(mine)),
    )


def counter_stats(counter: str, tickets: Sequence[TicketRecord]) -> CounterStats:
    """Served, no-shows and mean service time of the tickets ``counter`` called."""
    return CounterStats(counter=counter, **_desk_work([t for t in tickets if t.counter == counter]))


def clerk_stats(clerk: str, tickets: Sequence[TicketRecord]) -> ClerkStats:
    """Served, no-shows and mean service time of the tickets called while ``clerk`` worked."""
    return ClerkStats(clerk=clerk, **_desk_work([t for t in tickets if t.clerk == clerk]))


def branch_stats(branch: BranchConfig, day: date, tickets: Sequence[TicketRecord]) -> Stats:
    """The KPIs of ``branch`` on ``day`` from that day's ``tickets``: per service, per
    configured counter and per clerk (by name)."""
    return Stats(
        branch=branch.id,
        day=day.isoformat(),
        services=[service_stats(service, tickets) for service in branch.services],
        counters=[counter_stats(counter.id, tickets) for counter in branch.counters],
        clerks=[
            clerk_stats(clerk, tickets) for clerk in sorted({t.clerk for t in tickets if t.clerk})
        ],
    )
