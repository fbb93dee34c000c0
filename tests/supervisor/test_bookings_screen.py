"""The supervisor's view of the day's bookings (issue #15), on a real server (SQLite) where
``registro`` takes appointments: bookings made, cancelled and checked in through the API show
with their state and the counts, and a check-in shows without a periodic read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from textual.widgets import DataTable, Label

from device.config import DeviceConfig
from supervisor.app import SupervisorApp
from supervisor.bookings_screen import BookingsScreen
from tests.pilot_wait import until
from tests.queue_api.appointments_office import appointments_office
from tests.queue_api.conftest import as_role
from tests.server_process import ServerProcess
from tests.supervisor.conftest import device_for, make_app
from tests.supervisor.test_supervisor import cell, open_home_branch

MEXICO = ZoneInfo("America/Mexico_City")


@pytest.fixture
def office_config(tmp_path: Path) -> Path:
    return appointments_office(tmp_path, tmp_path / "turnero.db")


def todays_slots(server: ServerProcess, n: int) -> list[str]:
    """The first ``n`` free slots of registro still ahead today (the office's day)."""
    after = datetime.now(UTC) + timedelta(seconds=10)  # not begun before the booking lands
    day = after.astimezone(MEXICO).date().isoformat()
    answer = httpx.get(
        f"{server.url}/api/v1/branches/centro/slots",
        params={"service": "registro", "date": day},
        timeout=10,
    )
    answer.raise_for_status()
    starts = [s["start"] for s in answer.json()["slots"]]
    ahead = [s for s in starts if datetime.fromisoformat(s) >= after]
    if len(ahead) < n:
        pytest.skip("too close to the office's midnight for bookings later today")
    return ahead[:n]


def book(server: ServerProcess, start: str) -> dict:
    answer = httpx.post(
        f"{server.url}/api/v1/branches/centro/appointments",
        json={"service": "registro", "start": start, "language": "es"},
        headers=as_role("admin"),  # admins are not limited per client address
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def cancel(server: ServerProcess, appointment_id: str) -> None:
    answer = httpx.delete(
        f"{server.url}/api/v1/appointments/{appointment_id}", headers=as_role("admin"), timeout=10
    )
    assert answer.status_code == 200, answer.text


def check_in(server: ServerProcess, code: str) -> None:
    """At the kiosk, as a citizen who came on time."""
    answer = httpx.post(
        f"{server.url}/api/v1/branches/centro/check-in",
        json={"code": code},
        headers=as_role("kiosk"),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text


def counts_of(screen: BookingsScreen) -> str:
    return str(screen.query_one("#counts", Label).render())


async def open_bookings(pilot) -> BookingsScreen:
    await open_home_branch(pilot)
    await pilot.press("a")
    await until(pilot, lambda: isinstance(pilot.app.screen, BookingsScreen))
    screen = pilot.app.screen
    assert isinstance(screen, BookingsScreen)
    await until(pilot, lambda: screen.appointments is not None)
    return screen


async def test_a_branch_without_bookings_says_so(server: ServerProcess) -> None:
    device = device_for(server.url)
    english = DeviceConfig.model_validate(
        {**device.model_dump(), "device": {"name": "supervision", "languages": ["en", "es"]}}
    )
    app = SupervisorApp(english, refresh_seconds=3600.0)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_bookings(pilot)
        await until(pilot, lambda: "no bookings today" in counts_of(screen))
        assert counts_of(screen) == "This branch has no bookings today."
        assert not screen.query_one(DataTable).display


async def test_the_days_bookings_with_their_state_and_a_check_in_live(
    server: ServerProcess,
) -> None:
    soon, later, gone = todays_slots(server, 3)
    arriving = book(server, soon)
    waiting = book(server, later)
    cancelled = book(server, gone)
    cancel(server, cancelled["id"])

    app = make_app(server)  # no periodic read for an hour: changes come by events
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_bookings(pilot)
        table = screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 3)
        assert counts_of(screen) == (
            "2 reservadas · 0 tarde · 0 llegaron · 0 no vinieron · 1 canceladas"
        )
        start = datetime.fromisoformat(soon).astimezone()
        assert cell(table, arriving["id"], "time") == f"{start:%H:%M}"
        assert cell(table, arriving["id"], "service") == "Registro civil"
        assert cell(table, arriving["id"], "status") == "Reservada"
        assert cell(table, waiting["id"], "status") == "Reservada"
        assert cell(table, cancelled["id"], "status") == "Cancelada"

        check_in(server, arriving["code"])
        await until(pilot, lambda: cell(table, arriving["id"], "status") == "Llegó")
        assert counts_of(screen) == (
            "1 reservadas · 0 tarde · 1 llegaron · 0 no vinieron · 1 canceladas"
        )
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, BookingsScreen))
