"""What citizens see, in Spanish and English: home, priority question, ticket, out of service,
printer warning. Each runs against a fresh server, so numbers and counts are always the same."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest
from textual.pilot import Pilot

from device.config import DeviceConfig
from drivers.printer import Paper, PrinterStatus, TicketPrinter, VirtualPrinter
from tests.kiosk.conftest import SIZE, device_config, kiosk_app, ready, screen_of, until
from tests.pilot_wait import touch
from tests.server_process import TOKENS, ServerProcess, free_port, office_file

LANGUAGES = ["es", "en"]


@pytest.fixture(scope="module")
def quiet_device(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeviceConfig]:
    """One server for the snapshots that issue nothing, so they all see the same empty queue."""
    folder = tmp_path_factory.mktemp("quiet")
    server = ServerProcess(office_file(folder, folder / "turnero.db")).start()
    yield device_config(server.url, TOKENS["kiosk"])
    server.stop()


def kiosk_snapshot(
    snap_compare: Callable[..., bool],
    device: DeviceConfig,
    run_before: Callable[[Pilot], Awaitable[None]],
    printer: TicketPrinter | None = None,
) -> bool:
    """The kiosk on ``device`` (on a virtual printer unless given) matches its snapshot once
    ``run_before`` has brought it there."""
    app = kiosk_app(device, VirtualPrinter() if printer is None else printer)
    return snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def choose_language(pilot: Pilot, language: str) -> None:
    await ready(pilot)
    if language != "es":
        await touch(pilot, f"#lang-{language}")
        # A pressed button shows its press for a moment; the picture is of it at rest.
        button = pilot.app.screen.query_one(f"#lang-{language}")
        await until(pilot, lambda: not button.has_class("-active"))
    await pilot.pause()


@pytest.mark.parametrize("language", LANGUAGES)
def test_home(snap_compare, quiet_device: DeviceConfig, language: str) -> None:
    assert kiosk_snapshot(
        snap_compare, quiet_device, lambda pilot: choose_language(pilot, language)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_priority_question(snap_compare, quiet_device: DeviceConfig, language: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await choose_language(pilot, language)
        await touch(pilot, "#service-licencias")
        await until(pilot, lambda: screen_of(pilot.app).step == "priority")
        await pilot.pause()

    assert kiosk_snapshot(snap_compare, quiet_device, run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_ticket_shown(snap_compare, device: DeviceConfig, language: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await choose_language(pilot, language)
        await pilot.press("3")
        await until(pilot, lambda: screen_of(pilot.app).step == "ticket")
        await pilot.pause()

    assert kiosk_snapshot(snap_compare, device, run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_ticket_not_printed(snap_compare, device: DeviceConfig, language: str) -> None:
    printer = VirtualPrinter()

    async def run_before(pilot: Pilot) -> None:
        await choose_language(pilot, language)
        screen = screen_of(pilot.app)
        printer.simulate(PrinterStatus(known=True, online=False, paper=Paper.OUT))
        await pilot.press("3")
        await until(pilot, lambda: screen.step == "ticket")
        await pilot.pause()

    assert kiosk_snapshot(snap_compare, device, run_before, printer)


@pytest.mark.parametrize("language", LANGUAGES)
def test_out_of_service(
    snap_compare, server: ServerProcess, device: DeviceConfig, language: str
) -> None:
    """The server was up, then went away: services greyed, the notice says to ask staff."""

    async def run_before(pilot: Pilot) -> None:
        await choose_language(pilot, language)
        screen = screen_of(pilot.app)
        server.stop()
        await until(pilot, lambda: not screen.available, within=10)
        await pilot.pause()

    assert kiosk_snapshot(snap_compare, device, run_before)


def test_server_never_reached(snap_compare, tokens: dict[str, str]) -> None:
    """Started while the server is down: nothing to touch, the notice says to ask staff (in
    Spanish; its English is in test_out_of_service)."""
    device = device_config(f"http://127.0.0.1:{free_port()}", tokens["kiosk"])

    async def run_before(pilot: Pilot) -> None:
        screen = screen_of(pilot.app)
        await until(pilot, lambda: screen.query_one("#notice").display, within=10)
        await pilot.pause()

    assert kiosk_snapshot(snap_compare, device, run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_printer_warning(snap_compare, quiet_device: DeviceConfig, language: str) -> None:
    printer = VirtualPrinter()
    printer.simulate(PrinterStatus(known=True, online=False, paper=Paper.OUT))

    async def run_before(pilot: Pilot) -> None:
        await choose_language(pilot, language)
        await until(pilot, lambda: screen_of(pilot.app).printer_blocked)
        await pilot.pause()

    assert kiosk_snapshot(snap_compare, quiet_device, run_before, printer)


def test_ticket_number_with_any_letter(snap_compare, tmp_path) -> None:
    """Every prefix in the same big glyphs: M is no smaller than A to F."""
    config = office_file(tmp_path, tmp_path / "turnero.db")
    text = config.read_text(encoding="utf-8")
    registro = 'id = "registro"\nprefix = "C"'
    assert registro in text
    config.write_text(text.replace(registro, registro.replace('"C"', '"M"')), encoding="utf-8")
    server = ServerProcess(config).start()

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("3")
        await until(pilot, lambda: screen_of(pilot.app).step == "ticket")
        assert screen_of(pilot.app).query_one("#ticket-number").text == "M001"
        await pilot.pause()

    try:
        device = device_config(server.url, TOKENS["kiosk"])
        assert kiosk_snapshot(snap_compare, device, run_before)
    finally:
        server.stop()
