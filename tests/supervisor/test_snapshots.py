"""What the supervisor sees on a laptop's terminal (real server on SQLite, a fixed morning).

Waits and times on screen are whole minutes: a test runs well inside the first one. The charts
are drawn from a fixed day the test builds, so the picture does not move with the time of day
the tests run at."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from textual.pilot import Pilot

from queue_api.schema import Appointment, KpiCharts, Kpis, ServiceKpi
from supervisor.bookings_screen import BookingsScreen
from supervisor.branch_screen import BranchScreen
from supervisor.charts import ChartsScreen
from supervisor.devices_screen import DevicesScreen
from supervisor.overview import OverviewScreen
from tests.pilot_wait import until
from tests.supervisor.conftest import make_app, morning

SIZE = (120, 36)


async def overview_loaded(pilot: Pilot) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, OverviewScreen)
    await until(pilot, lambda: set(screen.kpis) == {"centro", "norte"})
    await pilot.pause()


async def branch_loaded(pilot: Pilot) -> None:
    await overview_loaded(pilot)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, BranchScreen))
    screen = pilot.app.screen
    assert isinstance(screen, BranchScreen)
    await until(pilot, lambda: screen.kpis is not None and screen.devices is not None)
    await pilot.pause()


def test_overview(snap_compare, server):
    morning(server)
    assert snap_compare(make_app(server), terminal_size=SIZE, run_before=overview_loaded)


def test_branch(snap_compare, server):
    morning(server)
    assert snap_compare(make_app(server), terminal_size=SIZE, run_before=branch_loaded)


def test_devices(snap_compare, server):
    morning(server)

    async def devices_loaded(pilot: Pilot) -> None:
        await branch_loaded(pilot)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(pilot.app.screen, DevicesScreen))
        screen = pilot.app.screen
        assert isinstance(screen, DevicesScreen)
        await until(pilot, lambda: screen.devices is not None)
        await pilot.pause()

    assert snap_compare(make_app(server), terminal_size=SIZE, run_before=devices_loaded)


def a_day() -> Kpis:
    """A Tuesday at Oficina Centro at 13:00, against a usual Tuesday."""
    slots = 96
    arrivals = [0] * slots
    served = [0] * slots
    usual = [0.0] * slots
    busy = [0] * slots
    for i in range(36, 52):  # 09:00-13:00
        arrivals[i] = 4 + (i % 5)
        served[i] = 3 + (i % 4)
        usual[i] = 5.0
        busy[i] = 2 + (i % 3)
    service = ServiceKpi(
        service="licencias",
        name={"es": "Licencias de conducir", "en": "Driver licences"},
        waiting=0,
        longest_wait_seconds=None,
        ewt_seconds=None,
        target_wait_minutes=15,
        level="fine",
        within_target_share=None,
        issued=0,
        served=0,
        no_shows=0,
    )
    charts = KpiCharts(
        slot_minutes=15,
        start=datetime(2026, 3, 10, 6, 0, tzinfo=UTC),
        arrivals=arrivals,
        served=served,
        usual_arrivals=usual,
        usual_served=[u * 0.9 for u in usual],
        counters_busy=busy,
        history_days=[date(2026, 3, 3)],
        wait_buckets=[5, 10, 15, 20, 30, 45, 60],
        waits={"licencias": [20, 14, 9, 4, 2, 1, 0, 0]},
    )
    return Kpis(
        branch="centro",
        name="Oficina Centro",
        day=date(2026, 3, 10),
        at=datetime(2026, 3, 10, 19, 0, tzinfo=UTC),
        services=[service],
        counters=[],
        alerts=[],
        advice=[],
        last_event_id=0,
        charts=charts,
    )


def test_charts(snap_compare, server):
    app = make_app(server)

    async def charts_drawn(pilot: Pilot) -> None:
        await overview_loaded(pilot)
        await pilot.app.push_screen(ChartsScreen(app.client, "es", "centro", kpis=a_day()))
        await pilot.pause()
        await asyncio.sleep(0)

    assert snap_compare(app, terminal_size=(140, 44), run_before=charts_drawn)


def a_day_of_bookings() -> list[Appointment]:
    """Registro civil's bookings of a morning, one in each state."""
    states = [
        ("checked_in", False),
        ("no_show", False),
        ("late", True),
        ("booked", False),
        ("cancelled", False),
    ]
    return [
        Appointment(
            id=f"booking-{n}",
            code=None,
            branch="centro",
            service="registro",
            service_name={"es": "Registro civil", "en": "Civil registry"},
            start=datetime(2026, 3, 10, 15, 0, tzinfo=UTC) + timedelta(minutes=10 * n),
            status="booked" if status == "late" else status,
            late=late,
        )
        for n, (status, late) in enumerate(states)
    ]


def test_bookings(snap_compare, server):
    app = make_app(server)

    async def bookings_drawn(pilot: Pilot) -> None:
        await overview_loaded(pilot)
        screen = BookingsScreen(app.client, "es", "centro", appointments=a_day_of_bookings())
        await pilot.app.push_screen(screen)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=bookings_drawn)
