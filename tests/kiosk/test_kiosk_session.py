"""Sessions end by themselves, and the kiosk stays locked for citizens."""

from __future__ import annotations

import time
from dataclasses import replace

from textual.widgets import Button

from device.config import DeviceConfig
from drivers.printer import PrinterStatus, VirtualPrinter
from kiosk.pin_pad import WRONG_PINS_ALLOWED, PinAttempts
from kiosk.technician import TechnicianScreen
from kiosk.ticket_panel import TicketPanel
from tests.kiosk.conftest import (
    FAST,
    PIN,
    SIZE,
    alerts,
    device_config,
    kiosk_app,
    ready,
    screen_of,
    until,
)
from tests.pilot_wait import touch
from tests.server_process import ServerProcess


async def test_idle_goes_home_in_the_default_language(device: DeviceConfig) -> None:
    app = kiosk_app(device, VirtualPrinter(), replace(FAST, idle=1.5))
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await touch(pilot, "#lang-en")
        await touch(pilot, "#service-licencias")
        await until(pilot, lambda: screen.step == "priority")
        assert str(screen.query_one("#priority-question").content).startswith("Do you need")
        await until(pilot, lambda: screen.step == "home")
        assert screen.language == "es"
        assert str(screen.query_one("#home-title").content).startswith("Toque")
        assert str(screen.query_one("#priority-service").content) == ""


async def test_ticket_leaves_the_screen_by_itself(device: DeviceConfig) -> None:
    printer = VirtualPrinter()
    app = kiosk_app(device, printer, replace(FAST, ticket=1.0))
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await pilot.press("3")
        await until(pilot, lambda: screen.step == "ticket")
        panel = screen.query_one(TicketPanel)
        assert panel.number == "C001"
        await until(pilot, lambda: screen.step == "home")
        # Nothing of that citizen stays, not even in the hidden panel.
        assert panel.number == ""
        assert all(str(label.content) == "" for label in panel.query("Label"))


async def test_citizen_cannot_quit_or_open_the_palette(device: DeviceConfig) -> None:
    app = kiosk_app(device, VirtualPrinter())
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await pilot.press("ctrl+q", "ctrl+c", "ctrl+p", "escape", "tab")
        await pilot.pause()
        assert app.return_code is None
        assert app.screen is screen and screen.step == "home"


async def test_technician_menu_behind_chord_and_pin(device: DeviceConfig) -> None:
    printer = VirtualPrinter()
    app = kiosk_app(device, printer)
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await pilot.press("ctrl+t")
        assert screen.step == "pin"
        await pilot.press("1", "1", "1", "1", "enter")
        assert screen.step == "pin"
        assert str(app.screen.query_one("#pin-message").content) == "PIN incorrecto"
        await pilot.press(*PIN, "enter")
        assert screen.step == "technician"
        menu = app.screen.query_one("#technician")
        await until(pilot, lambda: "conectado" in str(menu.query_one("#tech-server").content))
        await until(pilot, lambda: "ok" in str(menu.query_one("#tech-printer").content))
        await touch(pilot, "#tech-reprint")
        await until(pilot, lambda: "ningún turno" in str(menu.query_one("#tech-result").content))
        await touch(pilot, "#tech-test")
        await until(pilot, lambda: len(printer.tickets) == 1)
        assert "TURNERO - TEST PAGE" in printer.printed[0]
        await touch(pilot, "#tech-back")
        assert screen.step == "home"
        await pilot.press("ctrl+t", *PIN, "enter")
        await touch(pilot, "#tech-exit")
        await until(pilot, lambda: app.return_code is not None)


async def test_technician_menu_works_from_the_keyboard(device: DeviceConfig) -> None:
    printer = VirtualPrinter()
    app = kiosk_app(device, printer)
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await pilot.press("ctrl+t", *PIN, "enter")
        assert screen.step == "technician"
        menu = app.screen.query_one("#technician")
        # Each button shows its key, and the menu says how to use the keyboard.
        assert str(menu.query_one("#tech-test", Button).label) == "2  Página de prueba"
        assert "Tab" in str(menu.query_one("#tech-keys").content)
        assert app.focused is menu.query_one("#tech-check")

        await pilot.press("2")  # a button's key
        await until(pilot, lambda: len(printer.tickets) == 1)
        await pilot.press("tab", "tab")  # Tab and Enter
        assert app.focused is menu.query_one("#tech-reprint")
        await pilot.press("enter")
        await until(pilot, lambda: "ningún turno" in str(menu.query_one("#tech-result").content))
        await pilot.press("shift+tab")
        assert app.focused is menu.query_one("#tech-test")
        await pilot.press("escape")  # back to the citizens, with no button focused
        assert screen.step == "home" and app.focused is None
        await pilot.press("tab", "enter")
        assert app.focused is None and len(printer.tickets) == 1

        await pilot.press("ctrl+t", *PIN, "enter", "9")  # exit
        await until(pilot, lambda: app.return_code is not None)


async def test_technician_buttons_stay_put_while_the_status_lines_fill_in(
    device: DeviceConfig,
) -> None:
    """A status read can answer with a long line (a device path, what to do) just as the
    technician reaches for a button: the buttons must not move under the finger."""
    app = kiosk_app(device, VirtualPrinter())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+t", *PIN, "enter")
        menu = app.screen
        assert isinstance(menu, TechnicianScreen)
        buttons = list(menu.query(".tech-action"))
        await pilot.pause()
        before = [button.region for button in buttons]
        long = "no device file /tmp/pytest-of-root/pytest-99/a-rather-long-folder-name/lp0"
        menu.show_printer(PrinterStatus.unknown(long, "plug the printer's cable back in " * 3))
        menu.set_line("result", "printed " * 40)
        await pilot.pause()
        assert [button.region for button in buttons] == before


async def test_technician_menu_says_the_server_refuses_the_token(server: ServerProcess) -> None:
    """The server answers its health to anyone: only a call with the token tells a wrong
    token from a working kiosk."""
    app = kiosk_app(device_config(server.url, "not-the-kiosks-token"), VirtualPrinter())
    async with app.run_test(size=SIZE) as pilot:
        screen = screen_of(app)
        await until(pilot, lambda: screen._server_lost)  # refused: no services to show
        await pilot.press("ctrl+t", *PIN, "enter")
        assert screen.step == "technician"
        line = app.screen.query_one("#tech-server")
        await until(pilot, lambda: "HTTP 401" in str(line.content))
        assert "rechaza el token de este quiosco" in str(line.content)
        assert "conectado" not in str(line.content)


async def test_technician_menu_locks_again_when_left_alone(device: DeviceConfig) -> None:
    app = kiosk_app(device, VirtualPrinter(), replace(FAST, idle=1.5))
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await pilot.press("ctrl+t", *PIN, "enter")
        assert screen.step == "technician"
        await until(pilot, lambda: screen.step == "home")


def test_pin_attempts_lock_after_five_wrong_in_a_row_and_unlock_later() -> None:
    attempts = PinAttempts(lockout=300.0)
    assert [attempts.wrong(now=10.0) for _ in range(4)] == [False] * 4
    assert not attempts.right()  # a technician who mistyped four times, then got it right
    assert [attempts.wrong(now=20.0) for _ in range(5)] == [False] * 4 + [True]
    assert attempts.locked_for(now=20.0) == 300.0
    assert attempts.locked_for(now=319.0) == 1.0
    assert attempts.locked_for(now=320.0) == 0.0
    assert not attempts.wrong(now=320.0)  # counting starts afresh after a lockout
    assert attempts.right()  # the first right PIN since the lockout: staff can stand down
    assert not attempts.right()


async def test_wrong_pins_lock_the_pad_and_tell_staff(
    device: DeviceConfig, server: ServerProcess, tokens: dict[str, str]
) -> None:
    app = kiosk_app(device, VirtualPrinter(), replace(FAST, pin_lockout=1.5))
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await pilot.press("ctrl+t")
        message = app.screen.query_one("#pin-message")
        for _ in range(WRONG_PINS_ALLOWED):
            await pilot.press("1", "1", "1", "1", "enter")
        assert str(message.content) == "Demasiados intentos: espere 1 min"
        # Locked: even the right PIN is refused.
        await pilot.press(*PIN, "enter")
        assert screen.step == "pin"
        assert str(message.content) == "Demasiados intentos: espere 1 min"
        (alert,) = await alerts(server.url, tokens["display"], 1)
        assert alert.data.alert.kind == "kiosk.pin_locked"
        assert PIN not in alert.data.alert.detail
        await until(pilot, lambda: not screen.pin_attempts.locked_for(time.monotonic()))
        await pilot.press(*PIN, "enter")
        assert screen.step == "technician"
        *_, cleared = await alerts(server.url, tokens["display"], 2)
        assert cleared.data.alert.kind == "kiosk.ok"
