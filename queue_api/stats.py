"""A branch's KPIs for one day, from its tickets; and the one percentile rule of the project.

Pure: no I/O, no clock. The benchmark scripts use ``percentile`` too, so their figures and the
stats endpoint's read alike.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from statistics import StatisticsError, fmean
from typing import Literal, TypedDict

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


# KPI alerts (API.md v1 additions: kpi.alert / kpi.cleared) --------------------------------

WAIT_KPI = "wait_minutes"
"""The longest wait of a service, in minutes, against ``alert_wait_minutes``."""
WAITING_KPI = "waiting"
"""How many wait for a service, against ``alert_waiting``."""
CLEAR_SHARE = 0.9
"""A wait alert clears at this share of its threshold: no flapping around the line."""
CLOSE_SHARE = 0.75
"""A wait at this share of the target or more is ``close``; past the target ``over``."""


@dataclass(frozen=True, slots=True)
class KpiReading:
    """One KPI of one service now, with the threshold it is held to."""

    service: str
    kpi: str
    value: float
    threshold: float


@dataclass(frozen=True, slots=True)
class KpiState:
    """A KPI alert that stands (the store keeps these): since when, at which value."""

    branch: str
    service: str
    kpi: str
    value: float
    threshold: float
    since: datetime


def kpi_readings(
    service: ServiceConfig, waiting: int, longest_wait_seconds: float | None
) -> list[KpiReading]:
    """The KPIs of ``service`` that have a threshold (0 turns one off)."""
    readings = []
    if service.alert_wait_minutes:
        minutes = round((longest_wait_seconds or 0.0) / 60, 1)
        readings.append(KpiReading(service.id, WAIT_KPI, minutes, service.alert_wait_minutes))
    if service.alert_waiting:
        readings.append(KpiReading(service.id, WAITING_KPI, waiting, service.alert_waiting))
    return readings


def crosses(reading: KpiReading) -> bool:
    """Whether the KPI passed its threshold ("more than")."""
    return reading.value > reading.threshold


def clears(reading: KpiReading) -> bool:
    """Whether a standing alert is over: a wait back to 90% of its threshold, a line back to
    one fewer than its threshold (a small hysteresis, so one ticket does not flap it)."""
    if reading.kpi == WAIT_KPI:
        return reading.value <= reading.threshold * CLEAR_SHARE
    return reading.value <= reading.threshold - 1


def kpi_changes(
    branch: str,
    readings: Iterable[KpiReading],
    standing: Iterable[KpiState],
    now: datetime,
) -> tuple[list[KpiState], list[KpiState]]:
    """The alerts to raise and the standing ones to clear, given the readings now. A standing
    alert whose threshold was turned off (or whose service is gone) clears too."""
    stood = {(s.service, s.kpi): s for s in standing}
    raised: list[KpiState] = []
    cleared: list[KpiState] = []
    seen = set()
    for reading in readings:
        key = (reading.service, reading.kpi)
        seen.add(key)
        state = stood.get(key)
        if state is None and crosses(reading):
            raised.append(
                KpiState(
                    branch, reading.service, reading.kpi, reading.value, reading.threshold, now
                )
            )
        elif state is not None and clears(reading):
            cleared.append(replace(state, value=reading.value, threshold=reading.threshold))
    cleared += [state for key, state in stood.items() if key not in seen]
    return raised, cleared


def wait_level(
    longest_wait_seconds: float | None, target_minutes: int
) -> Literal["fine", "close", "over"]:
    """``fine``, ``close`` (from 75% of the target) or ``over`` (past it): the colour of a wait."""
    share = (longest_wait_seconds or 0.0) / (target_minutes * 60)
    if share > 1:
        return "over"
    return "close" if share >= CLOSE_SHARE else "fine"


def within_target_share(tickets: Sequence[TicketRecord], target_minutes: int) -> float | None:
    """The share of called tickets that were called within ``target_minutes``; None if none."""
    waits = [engine.wait_seconds(t, t.called_at) for t in tickets if t.called_at]
    return sum(w <= target_minutes * 60 for w in waits) / len(waits) if waits else None


def slot_counts(
    moments: Iterable[datetime], start: datetime, slot: timedelta, slots: int
) -> list[int]:
    """How many of ``moments`` fall in each of ``slots`` slots of ``slot`` from ``start``."""
    counts = [0] * slots
    for moment in moments:
        index = int((moment - start) / slot)
        if 0 <= index < slots:
            counts[index] += 1
    return counts


WAIT_BUCKET_MINUTES = (5, 10, 15, 20, 30, 45, 60)
"""Upper bounds of the wait distribution's buckets; the last bucket is "more than 60"."""


def wait_histogram(waits_seconds: Iterable[float]) -> list[int]:
    """How many waits fall in each bucket of ``WAIT_BUCKET_MINUTES`` (plus one for longer)."""
    counts = [0] * (len(WAIT_BUCKET_MINUTES) + 1)
    for wait in waits_seconds:
        minutes = wait / 60
        index = next(
            (i for i, top in enumerate(WAIT_BUCKET_MINUTES) if minutes <= top),
            len(WAIT_BUCKET_MINUTES),
        )
        counts[index] += 1
    return counts
