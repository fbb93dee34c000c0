"""The KPIs (``queue_api.stats``), pure, against figures worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from statistics import StatisticsError

import pytest

from queue_api.config import BranchConfig, ServiceConfig
from queue_api.engine import TicketRecord
from queue_api.schema import ClerkStats, CounterStats, ServiceStats, TicketStatus
from queue_api.stats import branch_stats, mean, percentile

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
DAY = date(2026, 3, 10)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def waiting(number: str, service: str = "licencias", issued: float = 0) -> TicketRecord:
    return TicketRecord(
        id=f"id-{number}",
        branch="centro",
        service=service,
        number=number,
        day=DAY,
        priority=False,
        language="es",
        issued_at=at(issued),
        queue_at=at(issued),
    )


def served(
    number: str,
    *,
    called: float,
    started: float | None,
    finished: float,
    counter: str = "1",
    clerk: str | None = None,
    service: str = "licencias",
) -> TicketRecord:
    return replace(
        waiting(number, service),
        status=TicketStatus.DONE,
        called_at=at(called),
        started_at=None if started is None else at(started),
        finished_at=at(finished),
        counter=counter,
        clerk=clerk,
    )


def no_show(number: str, *, called: float, counter: str = "1", clerk: str | None = None):
    return replace(
        waiting(number),
        status=TicketStatus.NO_SHOW,
        called_at=at(called),
        finished_at=at(called + 60),
        counter=counter,
        clerk=clerk,
    )


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [
        ([7.0], 0.9, 7.0),
        ([7.0], 0.0, 7.0),
        # ten values: the 90th percentile is the 9th smallest (ceil(0.9 * 10) = 9)
        ([10, 1, 9, 2, 8, 3, 7, 4, 6, 5], 0.9, 9),
        # four values: 0.5 * 4 = 2, the 2nd smallest (no interpolation between 2 and 3)
        ([4, 3, 2, 1], 0.5, 2),
        # 0.99 of 3 values is past the 2nd: the largest
        ([1, 2, 3], 0.99, 3),
        ([1, 2, 3], 1.0, 3),
    ],
)
def test_percentile_is_the_nearest_rank(values, share, expected) -> None:
    assert percentile(values, share) == expected


def test_percentile_of_nothing_is_an_error_like_the_median() -> None:
    with pytest.raises(StatisticsError):
        percentile([], 0.9)


def test_mean_is_to_a_tenth_and_none_for_nothing() -> None:
    assert mean([]) is None
    assert mean([1, 2]) == 1.5
    assert mean([1, 1, 2]) == 1.3  # 1.333...


def test_branch_stats_per_service_counter_and_clerk() -> None:
    branch = BranchConfig(
        id="centro",
        name="Centro",
        services=[
            ServiceConfig(id="licencias", prefix="A", name={"es": "Licencias"}),  # target 15 min
            ServiceConfig(
                id="registro", prefix="R", name={"es": "Registro"}, target_wait_minutes=1
            ),
        ],
        counters=[
            {"id": "1", "label": "Ventanilla 1", "services": ["licencias", "registro"]},
            {"id": "2", "label": "Ventanilla 2", "services": ["licencias"]},
        ],
    )
    tickets = [
        # waits 100 s, served 200 s (from its start at 150 to 350) by Ana at desk 1
        served("A001", called=100, started=150, finished=350, clerk="Ana"),
        # waits 1000 s (over the 900 s target), served 100 s counted from the call (never started)
        served("A002", called=1000, started=None, finished=1100, counter="2", clerk="Beto"),
        # waits 400 s, never came
        no_show("A003", called=400, clerk="Ana"),
        waiting("A004", issued=500),
        # waits 90 s, over registro's 60 s target, served 30 s by Ana
        served("R001", called=90, started=90, finished=120, clerk="Ana", service="registro"),
    ]

    stats = branch_stats(branch, DAY, tickets)

    assert stats.branch == "centro"
    assert stats.day == "2026-03-10"
    assert stats.services == [
        ServiceStats(
            service="licencias",
            issued=4,
            waiting=1,
            served=2,
            no_shows=1,
            mean_wait_seconds=500.0,  # (100 + 1000 + 400) / 3
            p90_wait_seconds=1000.0,  # ceil(0.9 * 3) = 3rd of 100, 400, 1000
            mean_service_seconds=150.0,  # (200 + 100) / 2
            within_target_share=2 / 3,  # 100 and 400 are within 900 s
        ),
        ServiceStats(
            service="registro",
            issued=1,
            waiting=0,
            served=1,
            no_shows=0,
            mean_wait_seconds=90.0,
            p90_wait_seconds=90.0,
            mean_service_seconds=30.0,
            within_target_share=0.0,
        ),
    ]
    assert stats.counters == [
        CounterStats(counter="1", served=2, no_shows=1, mean_service_seconds=115.0),
        CounterStats(counter="2", served=1, no_shows=0, mean_service_seconds=100.0),
    ]
    assert stats.clerks == [
        ClerkStats(clerk="Ana", served=2, no_shows=1, mean_service_seconds=115.0),
        ClerkStats(clerk="Beto", served=1, no_shows=0, mean_service_seconds=100.0),
    ]


def test_a_service_with_no_calls_has_no_waits() -> None:
    branch = BranchConfig(
        id="centro",
        name="Centro",
        services=[ServiceConfig(id="licencias", prefix="A", name={"es": "Licencias"})],
    )

    stats = branch_stats(branch, DAY, [waiting("A001")])

    (service,) = stats.services
    assert (service.issued, service.waiting, service.served) == (1, 1, 0)
    assert service.mean_wait_seconds is None
    assert service.p90_wait_seconds is None
    assert service.mean_service_seconds is None
    assert service.within_target_share is None
    assert stats.counters == [] and stats.clerks == []
