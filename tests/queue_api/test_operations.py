"""The supervisor's use cases on each real store with a clock the test moves: the staffing plan
from the same weekday's history, device presence (kept across a restart, silence as a fault),
and KPI checks that run by themselves as time passes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from device.clock import FrozenClock as Clock
from queue_api import staffing
from queue_api.operations import SILENT_AFTER_MINUTES, Operations
from queue_api.schema import EventType
from queue_api.server.auth import Principal
from queue_api.server.kpi_watch import KpiWatch
from queue_api.server.presence import PresenceBook, parse_agent
from queue_api.slots import AppointmentRecord, BookingStatus
from tests.queue_api.conftest import STORES, database_for
from tests.queue_api.test_kpi_alerts import T0, Sink, alerting_office, issue, open_ops


@pytest.fixture(params=STORES)
def config_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return alerting_office(tmp_path, database_for(request, tmp_path))


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def ops(config_path: Path, clock: Clock) -> Iterator[Operations]:
    made = open_ops(config_path, clock, Sink())
    yield made
    made.office.store.close()


def test_staffing_learns_arrivals_and_desk_time_from_the_same_weekday(
    ops: Operations, clock: Clock
) -> None:
    office = ops.office
    target = T0.date()  # a Tuesday; history: the two Tuesdays before it
    for weeks in (2, 1):
        clock.now = T0 - timedelta(weeks=weeks)  # 09:00 in Mexico City
        for n in range(6 if weeks == 2 else 10):  # 8 an hour on average
            issue(office)
            clock.advance(60)
            if n < 2:
                office.call_next("centro", "2")
                clock.advance(600)  # 10 minutes at the desk
                office.finish("centro", "2")
        clock.now = T0 - timedelta(weeks=weeks, hours=-3)  # 12:00: one payment
        issue(office, "pagos")
    clock.now = T0 - timedelta(days=1)  # a Monday: not the same weekday, not learnt from
    for _ in range(30):
        issue(office)
    clock.now = T0 - timedelta(hours=1)

    plan = ops.staffing("centro", target)
    assert plan.history_days == [target - timedelta(weeks=1), target - timedelta(weeks=2)]
    by_hour = {(h.hour, h.service): h for h in plan.hours}
    assert set(by_hour) == {(9, "licencias"), (12, "pagos")}
    nine = by_hour[(9, "licencias")]
    assert nine.arrivals == 8.0 and nine.service_seconds == 600.0
    assert nine.erlangs == pytest.approx(8 * 600 / 3600, abs=0.001)
    assert nine.counters == 2 and nine.service_level >= plan.target_level
    twelve = by_hour[(12, "pagos")]
    assert twelve.arrivals == 1.0 and twelve.counters == 1
    assert twelve.service_seconds == 300.0  # no history of its desk time: the default
    assert plan.counters_per_hour[9] == 2 and plan.counters_per_hour[12] == 1
    assert sum(plan.counters_per_hour) == 3


def test_todays_advice_names_the_service_whose_estimate_passes_its_target(
    ops: Operations,
) -> None:
    office = ops.office
    for _ in range(5):  # registro: 20 min target; no desk open: 5.5 x 5 min = 28 min
        issue(office, "registro")
    kpis = ops.kpis("centro")
    assert kpis.advice == ["open one more desk for Registro civil: EWT 28 min, target 20"]
    assert ops.staffing("centro", T0.date()).advice == kpis.advice


KIOSK = Principal("kiosk-entrada", "kiosk", "centro", None)
SUPERVISOR = Principal("supervision", "supervisor", None, None, ("*",))


def test_presence_is_kept_in_the_store_and_silence_is_a_fault(
    config_path: Path, clock: Clock
) -> None:
    book = PresenceBook(clock)
    first = open_ops(config_path, clock, Sink())
    try:
        book.seen(KIOSK, "turnero-kiosk/0.1.0")
        book.seen(SUPERVISOR, "turnero-supervisor/0.1.0")
        assert book.flush(first.office.store) == 2
        assert book.flush(first.office.store) == 0  # nothing new: nothing written
    finally:
        first.office.store.close()

    clock.advance(SILENT_AFTER_MINUTES * 60 - 1)
    again = open_ops(config_path, clock, Sink())
    try:
        fresh = PresenceBook(clock)  # a restarted server: only the store remembers
        devices = {
            d.name: d
            for d in again.devices("centro", fresh.view(again.stored_presence("centro"))).devices
        }
        kiosk = devices["kiosk-entrada"]
        assert (kiosk.app, kiosk.version, kiosk.last_seen, kiosk.faults) == (
            "kiosk",
            "0.1.0",
            T0,
            [],
        )
        assert devices["supervision"].app == "supervisor"
        clock.advance(2)
        devices = {
            d.name: d
            for d in again.devices("centro", fresh.view(again.stored_presence("centro"))).devices
        }
        assert devices["kiosk-entrada"].faults == ["silent"]
        assert devices["supervision"].faults == []
        # A device whose stream stays open is not silent, whatever the time.
        fresh.stream_opened(KIOSK)
        devices = {
            d.name: d
            for d in again.devices("centro", fresh.view(again.stored_presence("centro"))).devices
        }
        assert devices["kiosk-entrada"].streaming and devices["kiosk-entrada"].faults == []
        fresh.stream_closed(KIOSK)
    finally:
        again.office.store.close()


@pytest.mark.parametrize(
    ("header", "app", "version"),
    [
        ("turnero-kiosk/0.1.0", "kiosk", "0.1.0"),
        ("turnero-counter/1.2.3 (linux)", "counter", "1.2.3"),
        ("curl/8.5.0", "curl", "8.5.0"),
        ("", None, None),
        (None, None, None),
        ("<script>/x", None, None),
    ],
)
def test_user_agent_gives_app_and_version(header: str | None, app: str | None, version) -> None:
    assert parse_agent(header) == (app, version)


async def test_the_watch_checks_every_branch_as_time_passes(
    config_path: Path, clock: Clock
) -> None:
    sink = Sink()
    ops = open_ops(config_path, clock, sink)
    try:
        watch = KpiWatch(ops, sink)
        ops.office.events = watch
        issue(ops.office)
        clock.advance(11 * 60)  # the wait crossed its threshold with no event at all
        running = asyncio.create_task(watch.run(every=0.05))
        try:
            for _ in range(400):
                if sink.kpi():
                    break
                await asyncio.sleep(0.01)
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        assert sink.kpi() == [("kpi.alert", "licencias", "wait_minutes", 11.0, 10)]
        assert sink.events[-1].type is EventType.KPI_ALERT
    finally:
        ops.office.store.close()


async def test_the_watch_checks_a_branch_on_every_change(config_path: Path, clock: Clock) -> None:
    sink = Sink()
    ops = open_ops(config_path, clock, sink)
    try:
        watch = KpiWatch(ops, sink)
        ops.office.events = watch
        running = asyncio.create_task(watch.run(every=3600))
        await asyncio.sleep(0)
        try:
            for _ in range(4):
                await asyncio.to_thread(issue, ops.office)
            for _ in range(400):
                if sink.kpi():
                    break
                await asyncio.sleep(0.01)
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        assert sink.kpi() == [("kpi.alert", "licencias", "waiting", 4, 3)]
    finally:
        ops.office.store.close()


def booking(n: int, service: str, start: datetime, status: BookingStatus) -> AppointmentRecord:
    return AppointmentRecord(
        id=f"booking-{n}",
        branch="centro",
        code=f"CODE{n:04d}",
        service=service,
        start=start,
        language="es",
        status=status,
        created_at=T0 - timedelta(days=3),
    )


def test_staffing_adds_the_days_bookings_to_the_walk_in_mean_of_their_hour(
    ops: Operations, clock: Clock
) -> None:
    office = ops.office
    target = T0.date() + timedelta(days=1)  # a Wednesday; history: the Wednesday before
    last_week = T0 + timedelta(days=1) - timedelta(weeks=1)  # 09:00 in Mexico City
    clock.now = last_week
    for _ in range(3):
        issue(office)
    with office.store.write() as tx:
        # Last week's appointment ticket at 09:00 is not a walk-in: this week's bookings count.
        old = replace(tx.tickets_of_days("centro", [last_week.date()])[0], id="appointment-1")
        tx.insert_ticket(replace(old, number="C001", channel="appointment"))
        day = T0 + timedelta(days=1)
        for n, (service, start, status) in enumerate(
            [
                ("licencias", day + timedelta(minutes=10), BookingStatus.BOOKED),
                ("licencias", day + timedelta(minutes=40), BookingStatus.CHECKED_IN),
                ("licencias", day + timedelta(minutes=50), BookingStatus.CANCELLED),
                ("licencias", day + timedelta(hours=2), BookingStatus.BOOKED),
                ("pagos", day + timedelta(minutes=20), BookingStatus.NO_SHOW),
                ("licencias", T0 + timedelta(minutes=10), BookingStatus.BOOKED),  # another day
            ]
        ):
            tx.insert_appointment(booking(n, service, start, status))
    clock.now = T0

    plan = ops.staffing("centro", target)
    by_hour = {(h.hour, h.service): h for h in plan.hours}
    assert set(by_hour) == {(9, "licencias"), (11, "licencias")}
    nine = by_hour[(9, "licencias")]
    assert (nine.arrivals, nine.booked) == (5.0, 2)  # 3 walk-ins + 2 bookings
    eleven = by_hour[(11, "licencias")]
    assert (eleven.arrivals, eleven.booked) == (1.0, 1)  # bookings alone, no history
    assert eleven.counters == 1 and plan.counters_per_hour[11] == 1


def test_expected_arrivals_are_the_walk_in_mean_plus_the_bookings() -> None:
    zone = ZoneInfo("America/Mexico_City")
    starts = [datetime(2026, 3, 10, 15, 5, tzinfo=UTC), datetime(2026, 3, 10, 15, 55, tzinfo=UTC)]
    booked = staffing.booked_per_hour(starts, zone)
    assert booked[9] == 2 and sum(booked) == 2
    means = [0.0] * 24
    means[9], means[10] = 1.5, 4.0
    arrivals = staffing.expected_arrivals(means, booked)
    assert arrivals[9] == 3.5 and arrivals[10] == 4.0 and sum(arrivals) == 7.5
