"""Reports computed by each store (SQL), against tickets the test wrote with chosen times: the
figures worked out by hand, and those of a plain Python count over the same tickets."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from queue_api import engine
from queue_api.engine import TicketRecord
from queue_api.reports import (
    GROUPINGS,
    TOTAL,
    ReportQuery,
    figures,
    percentile_rank,
    sorted_tallies,
    utc_offsets,
)
from queue_api.schema import ReportRow, TicketStatus
from queue_api.stats import percentile
from queue_api.store import FeedbackRecord, Store, open_store
from tests.queue_api.conftest import STORES, database_for

DAY = date(2026, 3, 10)
T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 09:00 in Mexico City
ZONE = "America/Mexico_City"
TARGETS = (("centro", "licencias", 900), ("centro", "pagos", 600), ("norte", "pagos", 600))


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    database = database_for(request, tmp_path)
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    opened = open_store(url)
    yield opened
    opened.close()


def at(seconds: float, day: date = DAY) -> datetime:
    return T0 + timedelta(days=(day - DAY).days, seconds=seconds)


def ticket(
    n: int,
    *,
    service: str = "licencias",
    status: TicketStatus = TicketStatus.DONE,
    issued: float = 0,
    called: float | None = None,
    started: float | None = None,
    finished: float | None = None,
    counter: str | None = "1",
    clerk: str | None = None,
    channel: str = "kiosk",
    outcome: str | None = None,
    branch: str = "centro",
    day: date = DAY,
) -> TicketRecord:
    def moment(seconds: float | None) -> datetime | None:
        return None if seconds is None else at(seconds, day)

    return TicketRecord(
        id=f"{branch}-{day}-{n}",
        branch=branch,
        service=service,
        number=f"A{n:03d}",
        day=day,
        priority=False,
        language="es",
        issued_at=at(issued, day),
        queue_at=at(issued, day),
        status=status,
        called_at=moment(called),
        started_at=moment(started),
        finished_at=moment(finished),
        counter=counter,
        clerk=clerk,
        channel=channel,
        outcome=outcome,
    )


def write(store: Store, tickets: list[TicketRecord]) -> None:
    with store.write() as tx:
        for t in tickets:
            tx.insert_ticket(t)


def run(store: Store, by: str, first: date = DAY, last: date = DAY, zone: str = ZONE):
    query = ReportQuery(("centro", "norte"), first, last, by, TARGETS, zone)
    with store.read() as tx:
        return [figures(t) for t in sorted_tallies(tx.report(query))]


HAND_MADE = [
    # waits 100 s (within 900), served 200 s from its start, Ana, outcome ok
    ticket(1, called=100, started=150, finished=350, clerk="Ana", outcome="ok"),
    # waits 1000 s (over 900), served 100 s from the call (never started), Beto at desk 2
    ticket(2, called=1000, finished=1100, counter="2", clerk="Beto", channel="remote"),
    # waits 400 s, never came
    ticket(3, status=TicketStatus.NO_SHOW, called=400, finished=460, clerk="Ana"),
    # still waiting: issued, no wait yet
    ticket(4, status=TicketStatus.WAITING, issued=500, counter=None),
    # cancelled before its call
    ticket(5, status=TicketStatus.CANCELLED, issued=20, counter=None),
    # pagos: waits 90 s (within 600), served 30 s, an hour later
    ticket(6, service="pagos", issued=3600, called=3690, started=3690, finished=3720),
]


def test_a_report_by_service_counts_waits_and_service_times_as_worked_out_by_hand(
    store: Store,
) -> None:
    write(store, HAND_MADE)

    licencias, pagos = run(store, "service")

    assert licencias == ReportRow(
        branch="centro",
        key="licencias",
        issued=5,
        served=2,
        no_shows=1,
        cancelled=1,
        mean_wait_seconds=500.0,  # (100 + 1000 + 400) / 3
        p50_wait_seconds=400.0,  # ceil(0.5 * 3) = 2nd of 100, 400, 1000
        p90_wait_seconds=1000.0,  # ceil(0.9 * 3) = 3rd
        mean_service_seconds=150.0,  # (200 + 100) / 2
        p90_service_seconds=200.0,
        within_target_share=2 / 3,
        feedback_mean=None,
        feedback_count=0,
    )
    assert (pagos.key, pagos.issued, pagos.p90_wait_seconds, pagos.within_target_share) == (
        "pagos",
        1,
        90.0,
        1.0,
    )
    (total,) = run(store, TOTAL)
    assert (total.branch, total.key, total.issued, total.served) == (None, None, 6, 3)
    assert total.p50_wait_seconds == 100.0  # 90, 100, 400, 1000: the 2nd
    assert total.within_target_share == 3 / 4


def test_every_grouping_has_its_keys(store: Store) -> None:
    write(store, HAND_MADE)

    def keys(by: str) -> list[str | None]:
        return [row.key for row in run(store, by)]

    assert keys("counter") == ["1", "2", None]
    assert keys("clerk") == ["Ana", "Beto", None]  # no clerk last
    assert keys("hour") == ["09:00", "10:00"]  # local time, America/Mexico_City
    assert keys("day") == ["2026-03-10"]
    assert keys("channel") == ["kiosk", "remote"]
    assert keys("outcome") == ["ok", None]
    ana = next(row for row in run(store, "clerk") if row.key == "Ana")
    assert (ana.served, ana.no_shows, ana.mean_wait_seconds) == (1, 1, 250.0)


def test_the_range_is_inclusive_and_only_the_branches_asked(store: Store) -> None:
    write(
        store,
        [
            ticket(1, called=60, day=date(2026, 3, 9)),
            ticket(2, called=60, day=date(2026, 3, 10)),
            ticket(3, called=60, day=date(2026, 3, 11)),
            ticket(4, called=60, day=date(2026, 3, 12)),
            ticket(5, service="pagos", called=60, branch="norte"),
            ticket(6, service="pagos", called=60, branch="sur"),  # not asked for
        ],
    )
    rows = run(store, "day", date(2026, 3, 10), date(2026, 3, 11))
    assert [(r.branch, r.key, r.issued) for r in rows] == [
        ("centro", "2026-03-10", 1),
        ("centro", "2026-03-11", 1),
        ("norte", "2026-03-10", 1),
    ]


def test_hours_follow_the_zone_across_a_daylight_saving_change(store: Store) -> None:
    # Madrid moves from UTC+1 to UTC+2 at 01:00 UTC on 2026-03-29.
    change = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    first, second = date(2026, 3, 28), date(2026, 3, 29)
    write(
        store,
        [
            # 09:30 UTC on the 28th is 10:30 in Madrid; on the 29th it is 11:30
            ticket(1, issued=(change - T0).total_seconds() - 15.5 * 3600, called=None),
            ticket(2, issued=(change - T0).total_seconds() + 8.5 * 3600, called=None),
        ],
    )
    spans = utc_offsets("Europe/Madrid", first, second)
    assert [offset for _, offset in spans] == [3600, 7200]
    assert spans[1][0] == int(change.timestamp())
    rows = run(store, "hour", date(2026, 3, 1), date(2026, 3, 31), zone="Europe/Madrid")
    assert [(r.key, r.issued) for r in rows] == [("10:00", 1), ("11:00", 1)]


def python_report(tickets: list[TicketRecord], by: str, zone: str) -> list[ReportRow]:
    """The same report counted in Python over the tickets, with ``stats.percentile``."""
    targets = {(b, s): seconds for b, s, seconds in TARGETS}
    keyed: Callable[[TicketRecord], str | None] = {
        "service": lambda t: t.service,
        "counter": lambda t: t.counter,
        "clerk": lambda t: t.clerk,
        "hour": lambda t: f"{t.issued_at.astimezone(ZoneInfo(zone)).hour:02d}:00",
        "day": lambda t: t.day.isoformat(),
        "channel": lambda t: t.channel,
        "outcome": lambda t: t.outcome,
    }[by]
    groups: dict[tuple[str, str | None], list[TicketRecord]] = defaultdict(list)
    for t in tickets:
        groups[t.branch, keyed(t)].append(t)
    rows = []
    for (branch, key), mine in sorted(
        groups.items(), key=lambda g: (g[0][0], g[0][1] is None, g[0][1] or "")
    ):
        called = [t for t in mine if t.called_at]
        waits = [engine.wait_seconds(t, t.called_at) for t in called if t.called_at]
        desk = [s for t in mine if (s := engine.service_seconds(t)) is not None]
        rows.append(
            ReportRow(
                branch=branch,
                key=key,
                issued=len(mine),
                served=sum(t.status is TicketStatus.DONE for t in mine),
                no_shows=sum(t.status is TicketStatus.NO_SHOW for t in mine),
                cancelled=sum(t.status is TicketStatus.CANCELLED for t in mine),
                mean_wait_seconds=round(sum(waits) / len(waits), 1) if waits else None,
                p50_wait_seconds=round(percentile(waits, 0.5), 1) if waits else None,
                p90_wait_seconds=round(percentile(waits, 0.9), 1) if waits else None,
                mean_service_seconds=round(sum(desk) / len(desk), 1) if desk else None,
                p90_service_seconds=round(percentile(desk, 0.9), 1) if desk else None,
                within_target_share=(
                    sum(
                        engine.wait_seconds(t, t.called_at) <= targets[t.branch, t.service]
                        for t in called
                        if t.called_at
                    )
                    / len(called)
                    if called
                    else None
                ),
                feedback_mean=None,
                feedback_count=0,
            )
        )
    return rows


def many_tickets(seed: int) -> list[TicketRecord]:
    """Three days of two branches: every status, whole seconds, ties among the waits."""
    rng = random.Random(seed)
    made = []
    for n in range(300):
        branch = rng.choice(["centro", "centro", "norte"])
        service = "pagos" if branch == "norte" else rng.choice(["licencias", "pagos"])
        status = rng.choice(list(TicketStatus))
        issued = rng.randrange(0, 9 * 3600)
        called = issued + rng.choice([0, 60, 300, 600, 600, rng.randrange(0, 2400)])
        started = called + rng.randrange(0, 120) if rng.random() < 0.7 else None
        finished = (started or called) + rng.randrange(0, 900)
        unstarted = status in (TicketStatus.WAITING, TicketStatus.CANCELLED)
        made.append(
            ticket(
                n,
                service=service,
                status=status,
                issued=issued,
                called=None if unstarted else called,
                started=started if status in (TicketStatus.SERVING, TicketStatus.DONE) else None,
                finished=finished if status in (TicketStatus.DONE, TicketStatus.NO_SHOW) else None,
                counter=None if unstarted else rng.choice(["1", "2", "3"]),
                clerk=None if unstarted else rng.choice(["Ana", "Beto", None]),
                channel=rng.choice(["kiosk", "remote", "appointment"]),
                outcome=rng.choice(["ok", "later", None]) if status is TicketStatus.DONE else None,
                branch=branch,
                day=DAY + timedelta(days=rng.randrange(0, 3)),
            )
        )
    return made


@pytest.mark.parametrize("by", GROUPINGS)
def test_every_grouping_agrees_with_a_python_count_of_the_same_tickets(
    store: Store, by: str
) -> None:
    tickets = many_tickets(seed=17)
    write(store, tickets)
    found = run(store, by, DAY, DAY + timedelta(days=2))
    expected = python_report(tickets, by, ZONE)
    assert [(r.branch, r.key) for r in found] == [(r.branch, r.key) for r in expected]
    for mine, theirs in zip(found, expected, strict=True):
        # The means are rounded to a tenth from exact sums: equal, or a rounding apart.
        for mean in ("mean_wait_seconds", "mean_service_seconds"):
            assert getattr(mine, mean) == pytest.approx(getattr(theirs, mean), abs=0.1)
        means = {"mean_wait_seconds": 0, "mean_service_seconds": 0}
        assert mine.model_copy(update=means) == theirs.model_copy(update=means)


NOON = datetime(2026, 3, 10, 12, tzinfo=UTC)


def add_feedback(store: Store, scores: dict[str, int]) -> None:
    """Citizens' scores of tickets of licencias at counter 1, as the phone page keeps them."""
    with store.write() as tx:
        for ticket_id, score in scores.items():
            record = FeedbackRecord(
                "centro", ticket_id, "licencias", "1", date(2026, 3, 10), score, "", NOON
            )
            assert tx.insert_feedback(record)


def test_feedback_counts_with_the_tickets_scored(store: Store) -> None:
    write(store, HAND_MADE)
    assert [(r.feedback_mean, r.feedback_count) for r in run(store, "service")] == [
        (None, 0),
        (None, 0),
    ]
    add_feedback(store, {"centro-2026-03-10-1": 5, "centro-2026-03-10-2": 2})
    licencias, pagos = run(store, "service")
    assert (licencias.feedback_mean, licencias.feedback_count) == (3.5, 2)
    assert (pagos.feedback_mean, pagos.feedback_count) == (None, 0)
    by_clerk = {r.key: r.feedback_count for r in run(store, "clerk")}
    assert by_clerk == {"Ana": 1, "Beto": 1, None: 0}


def test_nothing_in_range_gives_no_rows(store: Store) -> None:
    write(store, HAND_MADE)
    assert run(store, "service", date(2025, 1, 1), date(2025, 1, 31)) == []


@pytest.mark.parametrize(("count", "share", "rank"), [(1, 0.9, 1), (3, 0.5, 2), (10, 0.9, 9)])
def test_percentile_rank_is_the_nearest_rank(count: int, share: float, rank: int) -> None:
    values = list(range(1, count + 1))
    assert percentile_rank(count, share) == rank == percentile(values, share)


def test_both_stores_give_the_same_tallies_for_the_same_tickets(tmp_path: Path, pg_cluster) -> None:
    """To the microsecond: the same tickets in SQLite and in PostgreSQL, every grouping."""
    stores = [open_store(f"sqlite:///{tmp_path / 'turnero.db'}"), open_store(pg_cluster.database())]
    try:
        tickets = many_tickets(seed=4)
        for store in stores:
            write(store, tickets)
        for by in (*GROUPINGS, TOTAL):
            query = ReportQuery(
                ("centro", "norte"), DAY, DAY + timedelta(days=2), by, TARGETS, "Europe/Madrid"
            )
            found = []
            for store in stores:
                with store.read() as tx:
                    found.append(sorted_tallies(tx.report(query)))
            assert found[0] == found[1], by
            assert sum(t.issued for t in found[0]) == len(tickets)
    finally:
        for store in stores:
            store.close()


def test_a_store_takes_no_grouping_but_the_known_ones(store: Store) -> None:
    """The grouping becomes a column name in the SQL: anything else is refused first."""
    with pytest.raises(ValueError, match="unknown grouping"), store.read() as tx:
        tx.report(ReportQuery(("centro",), DAY, DAY, "service; DROP TABLE tickets", TARGETS))
