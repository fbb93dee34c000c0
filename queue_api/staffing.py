"""How many desks an hour needs to meet the target wait: the Erlang C model (M/M/N queue).

Pure: no I/O, no clock. ``queue_api.operations`` feeds it the history of the same weekday.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

SERVICE_LEVEL = 0.8
"""The share of citizens who should be called within the target wait (the usual 80/x rule)."""
MAX_COUNTERS = 200
"""No plan asks for more desks than this; past it the load is not a staffing question."""


def erlang_c(counters: int, erlangs: float) -> float:
    """The probability that an arrival has to wait with ``counters`` desks and ``erlangs`` of
    offered load (arrivals per unit time x mean service time in that unit); 1 when the desks
    cannot keep up (``erlangs >= counters``).

    Through the Erlang B recursion, which neither overflows nor loses precision for large N."""
    if erlangs <= 0:
        return 0.0
    if counters <= erlangs:
        return 1.0
    blocking = 1.0
    for n in range(1, counters + 1):
        blocking = erlangs * blocking / (n + erlangs * blocking)
    return counters * blocking / (counters - erlangs * (1 - blocking))


def service_level(
    counters: int, erlangs: float, target_seconds: float, service_seconds: float
) -> float:
    """The share of arrivals called within ``target_seconds``."""
    if erlangs <= 0:
        return 1.0
    if counters <= erlangs:
        return 0.0
    waits = erlang_c(counters, erlangs)
    return 1 - waits * math.exp(-(counters - erlangs) * target_seconds / service_seconds)


def mean_wait_seconds(counters: int, erlangs: float, service_seconds: float) -> float:
    """The mean wait of all arrivals (the "average speed of answer"); inf when overloaded."""
    if erlangs <= 0:
        return 0.0
    if counters <= erlangs:
        return math.inf
    return erlang_c(counters, erlangs) * service_seconds / (counters - erlangs)


def counters_needed(
    arrivals_per_hour: float,
    service_seconds: float,
    target_seconds: float,
    level: float = SERVICE_LEVEL,
) -> int:
    """The fewest desks that call ``level`` of arrivals within ``target_seconds``; 0 when
    nobody is expected."""
    if arrivals_per_hour <= 0:
        return 0
    erlangs = arrivals_per_hour * service_seconds / 3600
    counters = max(math.floor(erlangs) + 1, 1)
    while counters < MAX_COUNTERS and (
        service_level(counters, erlangs, target_seconds, service_seconds) < level
    ):
        counters += 1
    return counters


@dataclass(frozen=True, slots=True)
class HourPlan:
    """One hour of one service in a staffing plan."""

    hour: int
    service: str
    arrivals: float
    service_seconds: float
    erlangs: float
    counters: int
    service_level: float
    #: Of ``arrivals``, the bookings of that hour (the rest is history's walk-in mean).
    booked: int = 0


def plan_hour(
    hour: int,
    service: str,
    arrivals: float,
    service_seconds: float,
    target_seconds: float,
    booked: int = 0,
) -> HourPlan:
    """The desks ``service`` needs in ``hour`` for ``arrivals`` (expected, per hour, of which
    ``booked`` are bookings)."""
    counters = counters_needed(arrivals, service_seconds, target_seconds)
    erlangs = arrivals * service_seconds / 3600
    return HourPlan(
        hour=hour,
        service=service,
        arrivals=round(arrivals, 2),
        service_seconds=round(service_seconds, 1),
        erlangs=round(erlangs, 3),
        counters=counters,
        service_level=round(service_level(counters, erlangs, target_seconds, service_seconds), 3)
        if counters
        else 1.0,
        booked=booked,
    )


def hourly_means(counts_per_day: Sequence[Sequence[int]]) -> list[float]:
    """The mean of each hour over days (each day a list of 24 counts); zeros for no days."""
    if not counts_per_day:
        return [0.0] * 24
    return [sum(day[h] for day in counts_per_day) / len(counts_per_day) for h in range(24)]


def booked_per_hour(starts: Iterable[datetime], zone: tzinfo) -> list[int]:
    """How many bookings start in each local hour (0-23) of the day, in ``zone``."""
    counts = [0] * 24
    for start in starts:
        counts[start.astimezone(zone).hour] += 1
    return counts


def expected_arrivals(walk_in_means: Sequence[float], booked: Sequence[int]) -> list[float]:
    """Arrivals to plan for, per hour: history's walk-in mean plus that hour's bookings.

    Bookings add on top because history counts walk-ins only (their appointment tickets
    are left out of it): a booked slot is a citizen who comes besides the usual walk-ins."""
    return [mean + count for mean, count in zip(walk_in_means, booked, strict=True)]


def advice(
    service_name: str, waiting: int, ewt_seconds: int | None, target_minutes: int
) -> str | None:
    """What to do now when a service's estimated wait passes its target, in one line:
    "open one more desk for Licencias: EWT 42 min, target 20"; None when all is well."""
    if not waiting or ewt_seconds is None or ewt_seconds <= target_minutes * 60:
        return None
    minutes = math.ceil(ewt_seconds / 60)
    return f"open one more desk for {service_name}: EWT {minutes} min, target {target_minutes}"
