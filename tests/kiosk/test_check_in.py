"""Check-in at the kiosk: the code on the keypad or from a scanner's burst of keys, the ticket
it prints, and the messages (in Spanish and English at once) when it gives none."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from device.config import DeviceConfig
from drivers.printer import VirtualPrinter
from kiosk.check_in import CheckInMessage, CodePadScreen, ScannerBurst, clean_code
from kiosk.kiosk_screen import KioskScreen
from kiosk.technician import TechnicianScreen
from kiosk.ticket_panel import TicketPanel
from kiosk.wording import Words
from queue_api.schema import CheckedIn, TicketStatus
from tests.kiosk.conftest import (
    PIN,
    SIZE,
    device_config,
    kiosk_app,
    ready,
    running_kiosk,
    until,
)
from tests.pilot_wait import touch
from tests.queue_api.appointments_office import appointments_office
from tests.server_process import TOKENS, ServerProcess

MEXICO = ZoneInfo("America/Mexico_City")
LANGUAGES = ["es", "en"]


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("check-in")
    server = ServerProcess(appointments_office(folder, folder / "turnero.db")).start()
    yield server
    server.stop()


@pytest.fixture
def kiosk(office: ServerProcess) -> DeviceConfig:
    return device_config(office.url, TOKENS["kiosk"])


@pytest.fixture(scope="module")
def quiet_kiosk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeviceConfig]:
    """A server of their own for the snapshots, which issue nothing: the same counts always."""
    folder = tmp_path_factory.mktemp("check-in-quiet")
    server = ServerProcess(appointments_office(folder, folder / "turnero.db")).start()
    yield device_config(server.url, TOKENS["kiosk"])
    server.stop()


def book(office: ServerProcess, after_hours: float) -> dict:
    """A booking (made by an admin) of the first free slot ``after_hours`` from now."""
    # Ten seconds' margin: a slot about to begin could begin before the booking reaches it.
    after = datetime.now(UTC) + timedelta(hours=after_hours, seconds=10)
    admin = {"Authorization": f"Bearer {TOKENS['admin']}"}
    with httpx.Client(base_url=office.url, timeout=30) as http:
        for days in range(3):
            day = (after.astimezone(MEXICO) + timedelta(days=days)).date().isoformat()
            slots = http.get(
                "/api/v1/branches/centro/slots", params={"service": "registro", "date": day}
            ).json()["slots"]
            for slot in slots:
                if datetime.fromisoformat(slot["start"]) >= after:
                    body = {"service": "registro", "start": slot["start"], "language": "es"}
                    answer = http.post(
                        "/api/v1/branches/centro/appointments", json=body, headers=admin
                    )
                    assert answer.status_code == 201, answer.text
                    return answer.json()
    raise AssertionError("no free slot")


async def scan(pilot: Pilot, text: str) -> None:
    """What a 2D scanner in keyboard mode does: the code as fast keystrokes, then Enter.

    A loaded test machine may take longer between two of the Pilot's keys than a scanner
    ever does: the kiosk's gap is widened for the test (ScannerBurst's own test keeps it)."""
    screen = pilot.app.screen
    if isinstance(screen, KioskScreen):
        screen.check_in.burst.gap = 5.0
    await pilot.press(*text, "enter")


def message_lines(pilot: Pilot) -> list[str]:
    screen = pilot.app.screen
    assert isinstance(screen, CheckInMessage)
    return [str(label.content) for label in screen.query(".check-in-line")]


# The scanner's burst, without an app ----------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def feed(burst: ScannerBurst, text: str, clock: Clock, step: float = 0.01) -> list:
    out = []
    for char in text:
        clock.now += step
        out.append(burst.feed(char, char))
    clock.now += step
    out.append(burst.feed("enter", "\r"))
    return out


def test_a_burst_starts_with_a_letter_and_ends_with_enter() -> None:
    clock = Clock()
    burst = ScannerBurst(clock, gap=0.25)
    out = feed(burst, "K7PX3MWQ", clock)
    assert out[:-1] == [(True, None)] * 8 and out[-1] == (True, "K7PX3MWQ")
    # A digit alone is a service pressed on the keypad; Enter alone is nothing.
    assert burst.feed("3", "3") == (False, None)
    assert burst.feed("enter", "\r") == (False, None)


def test_a_pause_ends_a_burst() -> None:
    clock = Clock()
    burst = ScannerBurst(clock, gap=0.25)
    assert burst.feed("K", "K") == (True, None)
    clock.now += 1.0
    assert burst.feed("7", "7") == (False, None)  # the K was someone else's key
    assert burst.feed("enter", "\r") == (False, None)


def test_codes_are_cleaned_as_the_server_reads_them() -> None:
    assert clean_code("k7px-3mwq") == "K7PX3MWQ"
    assert clean_code("K7PX3MW0") is None and clean_code("7KPX3MWQ") is None
    assert clean_code("K7PX") is None


# The kiosk -------------------------------------------------------------------------------


async def test_the_home_offers_check_in_only_where_the_branch_takes_appointments(
    kiosk: DeviceConfig, device: DeviceConfig
) -> None:
    async with running_kiosk(kiosk, VirtualPrinter()) as (_, screen):
        button = screen.query_one("#home-appointment")
        assert button.display and "Tengo cita" in str(button.label)
    async with running_kiosk(device, VirtualPrinter()) as (_, screen):  # no appointments
        assert not screen.query_one("#home-appointment").display


async def test_keypad_check_in_prints_the_appointment_ticket(
    office: ServerProcess, kiosk: DeviceConfig
) -> None:
    booked = book(office, 0)  # begins within five minutes
    start = datetime.fromisoformat(booked["start"]).astimezone()
    printer = VirtualPrinter()
    async with running_kiosk(kiosk, printer) as (pilot, screen):
        await touch(pilot, "#home-appointment")
        await until(pilot, lambda: isinstance(pilot.app.screen, CodePadScreen))
        pad = pilot.app.screen
        assert isinstance(pad, CodePadScreen)
        for char in booked["code"][:-1]:
            await touch(pilot, f"#code-{char}")
        await touch(pilot, "#code-ok")  # seven of eight: not yet
        assert pilot.app.screen is pad and "8" in str(pad.message.content)
        await touch(pilot, f"#code-{booked['code'][-1]}")
        await touch(pilot, "#code-ok")
        await until(pilot, lambda: screen.step == "ticket")
        panel = screen.query_one(TicketPanel)
        assert panel.number.startswith("C")
        shown = " ".join(str(label.content) for label in panel.query("Label"))
        assert f"Cita {start:%H:%M}" in shown
        (ticket,) = printer.tickets
        printed = "\n".join(ticket)
        assert f"Registro civil - Cita {start:%H:%M}" in printed


async def test_a_scanner_burst_on_the_home_checks_in_without_a_screen(
    office: ServerProcess, kiosk: DeviceConfig
) -> None:
    booked = book(office, 0)
    printer = VirtualPrinter()
    async with running_kiosk(kiosk, printer) as (pilot, screen):
        await scan(pilot, booked["code"])
        await until(pilot, lambda: screen.step == "ticket")
        (ticket,) = printer.tickets
        assert "Cita" in "\n".join(ticket)
        # Digits in the code picked no service: the one ticket is the appointment's.
        # The next citizen scans while that ticket still shows: it gives way to them.
        await scan(pilot, booked["code"])  # the same code: already checked in
        await until(pilot, lambda: isinstance(pilot.app.screen, CheckInMessage))
        assert message_lines(pilot) == [
            "Esa cita ya se registró: su turno ya se emitió.",
            "That appointment was already checked in: its ticket was issued.",
        ]
        assert len(printer.tickets) == 1


async def test_too_early_says_when_to_come_back_in_both_languages_and_issues_nothing(
    office: ServerProcess, kiosk: DeviceConfig
) -> None:
    booked = book(office, 2)
    opens = datetime.fromisoformat(booked["start"]).astimezone() - timedelta(minutes=15)
    printer = VirtualPrinter()
    async with running_kiosk(kiosk, printer) as (pilot, screen):
        await scan(pilot, booked["code"].lower())
        await until(pilot, lambda: isinstance(pilot.app.screen, CheckInMessage))
        assert message_lines(pilot) == [
            f"Es pronto para su cita: vuelva después de las {opens:%H:%M}.",
            f"It is early for your appointment: come back after {opens:%H:%M}.",
        ]
        assert printer.tickets == [] and screen.step == "home"
        await pilot.click()
        await until(pilot, lambda: pilot.app.screen is screen)


async def test_unknown_codes_are_said_and_the_technician_sees_them(
    kiosk: DeviceConfig,
) -> None:
    printer = VirtualPrinter()
    async with running_kiosk(kiosk, printer) as (pilot, screen):
        await scan(pilot, "ABCD-EFGH")
        await until(pilot, lambda: isinstance(pilot.app.screen, CheckInMessage))
        assert message_lines(pilot)[1].startswith("We found no appointment with that code")
        await pilot.press("x")
        await until(pilot, lambda: pilot.app.screen is screen)
        await scan(pilot, "K7PX")  # a partial scan: unreadable, said the same way
        await until(pilot, lambda: isinstance(pilot.app.screen, CheckInMessage))
        await pilot.press("x")
        await until(pilot, lambda: pilot.app.screen is screen)
        assert printer.tickets == []
        await pilot.press("ctrl+t")
        await until(pilot, lambda: pilot.app.screen is not screen)
        await pilot.press(*PIN, "enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, TechnicianScreen))
        line = str(pilot.app.screen.query_one("#tech-check_ins").content)
        assert line.startswith("Citas no registradas:") and "ABCD… código desconocido" in line
        assert line.count("código desconocido") == 2


async def test_the_keypad_goes_back_and_idleness_closes_it(kiosk: DeviceConfig) -> None:
    async with running_kiosk(kiosk, VirtualPrinter()) as (pilot, screen):
        await touch(pilot, "#home-appointment")
        await until(pilot, lambda: isinstance(pilot.app.screen, CodePadScreen))
        pad = pilot.app.screen
        await touch(pilot, "#code-K")
        await pilot.click("#code-K")  # the same key again at once: a second character
        assert pad.code == "KK"
        await touch(pilot, "#code-back")
        await touch(pilot, "#code-back")
        assert pad.code == ""
        await pilot.press("escape")
        await until(pilot, lambda: pilot.app.screen is screen and screen.step == "home")
        await touch(pilot, "#home-appointment")
        await until(pilot, lambda: isinstance(pilot.app.screen, CodePadScreen))
        screen.session.idle = 0  # the citizen walked away
        await until(pilot, lambda: pilot.app.screen is screen and screen.step == "home")


# Snapshots ------------------------------------------------------------------------------


def snapshot(snap_compare: Callable[..., bool], device: DeviceConfig, run_before) -> bool:
    return snap_compare(
        kiosk_app(device, VirtualPrinter()), terminal_size=SIZE, run_before=run_before
    )


async def in_language(pilot: Pilot, language: str) -> None:
    await ready(pilot)
    if language != "es":
        await touch(pilot, f"#lang-{language}")
        button = pilot.app.screen.query_one(f"#lang-{language}")
        await until(pilot, lambda: not button.has_class("-active"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_home_with_appointments(snap_compare, quiet_kiosk: DeviceConfig, language: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await in_language(pilot, language)
        await pilot.pause()

    assert snapshot(snap_compare, quiet_kiosk, run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_code_keypad(snap_compare, quiet_kiosk: DeviceConfig, language: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await in_language(pilot, language)
        await touch(pilot, "#home-appointment")
        await until(pilot, lambda: isinstance(pilot.app.screen, CodePadScreen))
        await pilot.press(*"K7PX3")
        await until(pilot, lambda: pilot.app.screen.code == "K7PX3")
        await pilot.pause()

    assert snapshot(snap_compare, quiet_kiosk, run_before)


def test_unknown_code_message(snap_compare, quiet_kiosk: DeviceConfig) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await scan(pilot, "ABCDEFGH")
        await until(pilot, lambda: isinstance(pilot.app.screen, CheckInMessage))
        await pilot.pause()

    assert snapshot(snap_compare, quiet_kiosk, run_before)


async def test_a_late_check_in_says_its_ticket_is_an_ordinary_one() -> None:
    ticket = CheckedIn(
        id="t",
        number="C007",
        branch="centro",
        service="registro",
        priority=False,
        status=TicketStatus.WAITING,
        language="en",
        issued_at=datetime(2026, 3, 10, 16, 0, tzinfo=UTC),
        late=True,
    )

    class Panel(App[None]):
        def compose(self) -> ComposeResult:
            yield TicketPanel(id="ticket")

    app = Panel()
    async with app.run_test():
        panel = app.query_one(TicketPanel)
        panel.show(ticket, "Civil registry", Words("en"), printed=True)
        keep = str(panel.query_one("#ticket-keep").content)
        assert keep.startswith("You arrived after your appointment: this is an ordinary ticket.")
        service = str(panel.query_one("#ticket-service").content)
        assert "Appointment" not in service  # a walk-in's ticket now
