"""An appointment's ticket at the counter: when it was booked for and when the citizen came."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from counter.app import CounterApp
from tests.counter.conftest import device_for
from tests.pilot_wait import until
from tests.queue_api.appointments_office import appointments_office
from tests.server_process import TOKENS, ServerProcess

MEXICO = ZoneInfo("America/Mexico_City")


@pytest.fixture
def office(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(appointments_office(tmp_path, tmp_path / "turnero.db")).start()
    yield server
    server.stop()


def checked_in(server: ServerProcess) -> dict:
    """Book the next slot of registro and check in at once (on time): the ticket."""
    admin = {"Authorization": f"Bearer {TOKENS['admin']}"}
    after = datetime.now(UTC) + timedelta(seconds=10)
    with httpx.Client(base_url=f"{server.url}/api/v1/branches/centro", timeout=30) as http:
        slots = http.get(
            "/slots",
            params={"service": "registro", "date": after.astimezone(MEXICO).date().isoformat()},
        ).json()["slots"]
        if not slots or datetime.fromisoformat(slots[0]["start"]) < after:
            slots = slots[1:]
        body = {"service": "registro", "start": slots[0]["start"], "language": "es"}
        booked = http.post("/appointments", json=body, headers=admin).json()
        kiosk = {"Authorization": f"Bearer {TOKENS['kiosk']}"}
        answer = http.post("/check-in", json={"code": booked["code"]}, headers=kiosk)
        assert answer.status_code == 201, answer.text
        return answer.json()


@pytest.mark.parametrize(
    ("language", "words"),
    [("es", "Cita {booked}, llegó {arrived}"), ("en", "Appointment {booked}, arrived {arrived}")],
)
async def test_the_current_ticket_says_when_it_was_booked_and_when_it_came(
    office: ServerProcess, language: str, words: str
) -> None:
    ticket = checked_in(office)
    booked = datetime.fromisoformat(ticket["appointment_at"]).astimezone()
    arrived = datetime.fromisoformat(ticket["issued_at"]).astimezone()
    device = device_for(office.url, TOKENS["counter3"], counter="3")  # serves registro
    languages = [language, *({"es", "en"} - {language})]
    device = device.model_copy(
        update={"device": device.device.model_copy(update={"languages": languages})}
    )
    app = CounterApp(device)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = app.counter_screen
        await until(pilot, lambda: screen.online and screen.counter is not None)
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None and not screen.busy)
        shown = str(screen.query_one("#service").content)
        assert words.format(booked=f"{booked:%H:%M}", arrived=f"{arrived:%H:%M}") in shown
