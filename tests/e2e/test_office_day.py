"""A morning at the office, end to end: the real server process, a kiosk with a printer on a
pty, two counters with LED boards on ptys, and the lobby display, all driven as people would.
"""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass

import pytest
from textual.app import App
from textual.pilot import Pilot

from counter.app import CounterApp
from device.config import DeviceConfig
from display.app import DisplayApp
from display.board_screen import BoardScreen
from drivers.board import open_board
from drivers.printer import open_printer
from kiosk.app import KioskApp
from kiosk.kiosk_screen import KioskScreen
from kiosk.timings import KioskTimings
from queue_api.client import QueueClient
from queue_api.schema import Event, EventType
from tests.counter.led_frames import shown
from tests.display.conftest import RecordingPlayer
from tests.drivers.escpos_decoder import decode
from tests.drivers.fixtures import FakeBoard, FakeSerialPrinter, socat_pty_pair
from tests.pilot_wait import touch, until
from tests.server_process import ServerProcess

SIZE = (120, 40)
TICKETS = 20
# Counter 1 serves licencias and pagos, counter 3 pagos and registro: together, every line.
COUNTERS = ("1", "3")
SERVICES = ("licencias", "pagos", "registro")
PREFIXES = {"A": "licencias", "B": "pagos", "C": "registro"}


def device(server: ServerProcess, token: str, counter: str | None = None) -> DeviceConfig:
    return DeviceConfig.model_validate(
        {
            "server": {"url": server.url, "token": token, "branch": "centro", "counter": counter},
            "counter": {"clerk": f"Clerk {counter}"},
        }
    )


@dataclass
class Desk:
    app: CounterApp
    fake_board: FakeBoard


@pytest.fixture
def hardware() -> Iterator[tuple[FakeSerialPrinter, dict[str, FakeBoard], list[str]]]:
    """A printer and two LED boards at the far ends of socat pty pairs."""
    with ExitStack() as stack:
        printer_pty = stack.enter_context(socat_pty_pair())
        printer = stack.enter_context(FakeSerialPrinter(printer_pty.far))
        boards: dict[str, FakeBoard] = {}
        near: list[str] = [printer_pty.near]
        for counter in COUNTERS:
            pair = stack.enter_context(socat_pty_pair())
            boards[counter] = stack.enter_context(FakeBoard(pair.far, address=int(counter)))
            near.append(pair.near)
        yield printer, boards, near


async def issue_at_kiosk(pilot: Pilot, screen: KioskScreen, service: str) -> str:
    """Touch the service (and "no" to priority where asked); return the number shown."""
    await touch(pilot, f"#service-{service}")
    await until(pilot, lambda: screen.step in ("priority", "ticket"))
    if screen.step == "priority":
        await touch(pilot, "#priority-no")
    await until(pilot, lambda: screen.step == "ticket")
    number = screen.query_one("#ticket").number
    await touch(pilot, "#ticket")
    await until(pilot, lambda: screen.step == "home")
    return number


async def test_twenty_citizens_are_each_called_once_shown_announced_and_printed(
    server: ServerProcess, tokens: dict[str, str], hardware
) -> None:
    fake_printer, fake_boards, (printer_port, *board_ports) = hardware
    printer = open_printer(f"serial://{printer_port}?baudrate=19200", timeout=1.0)
    kiosk = KioskApp(
        device(server, tokens["kiosk"]),
        printer=printer,
        timings=KioskTimings(idle=120, ticket=120, refresh=0.5, printer_poll=5, tap_guard=0),
    )
    desks = {
        counter: CounterApp(
            device(server, tokens[f"counter{counter}"], counter=counter),
            board=open_board(port, protocol="modbus-rtu", address=int(counter), timeout=1.0),
        )
        for counter, port in zip(COUNTERS, board_ports, strict=True)
    }
    player = RecordingPlayer()
    display = DisplayApp(device(server, tokens["display"]), player=player, reconnect_max=0.5)

    async with AsyncExitStack() as stack:
        pilots: dict[str, Pilot] = {}
        apps: dict[str, App] = {"kiosk": kiosk, "display": display, **desks}
        for name, app in apps.items():
            pilots[name] = await stack.enter_async_context(app.run_test(size=SIZE))
        kiosk_screen = kiosk.screen
        lobby = display.screen
        assert isinstance(kiosk_screen, KioskScreen) and isinstance(lobby, BoardScreen)
        await until(pilots["kiosk"], lambda: kiosk_screen.available)

        issued = [
            await issue_at_kiosk(pilots["kiosk"], kiosk_screen, SERVICES[i % len(SERVICES)])
            for i in range(TICKETS)
        ]
        assert len(set(issued)) == TICKETS

        # The desks take turns pressing Next until nobody is left (which also finishes
        # each desk's last citizen).
        called: list[str] = []
        called_at: dict[str, list[str]] = {counter: [] for counter in desks}
        idle_desks: set[str] = set()
        while len(idle_desks) < len(desks):
            for counter, app in desks.items():
                if counter in idle_desks:
                    continue
                number = await press_next(pilots[counter], app)
                if number is None:
                    idle_desks.add(counter)
                    continue
                called.append(number)
                called_at[counter].append(number)
                # The lobby shows each call as the newest, in the order they happen.
                await until(
                    pilots["display"],
                    lambda n=number: bool(lobby.calls) and lobby.calls[0].number == n,
                )

        assert sorted(called) == sorted(issued), "every ticket is called"
        assert len(called) == len(set(called)), "no ticket is called twice"
        await until(pilots["display"], lambda: chimes(player) >= TICKETS)
        assert chimes(player) == TICKETS, "one chime per call"

        # Every number lit its desk's LED board.
        for counter, numbers in called_at.items():
            board = fake_boards[counter]
            assert board.wait_until(
                lambda b=board, n=numbers: set(n) <= {t.strip() for t in shown(b.frames)}
            ), f"board {counter} showed {shown(board.frames)}, expected {numbers}"

    # Every ticket reached the printer.
    printed = decode(bytes(fake_printer.brain.data)).text
    assert [number for number in issued if number not in printed] == []

    async with QueueClient(server.url, tokens["admin"]) as admin:
        stats = await admin.stats("centro")
        issued_per_service = Tally(PREFIXES[number[0]] for number in issued)
        for service in stats.services:
            assert service.issued == issued_per_service[service.service]
            assert service.served == service.issued, "the last press of Next finished everyone"
            assert service.waiting == 0 and service.no_shows == 0
        served_per_desk = {c.counter: c.served for c in stats.counters if c.served}
        assert served_per_desk == {counter: len(n) for counter, n in called_at.items() if n}
        # Each desk opened with its clerk's name (from the device file), for the stats.
        served_per_clerk = {c.clerk: c.served for c in stats.clerks}
        assert served_per_clerk == {f"Clerk {c}": len(n) for c, n in called_at.items() if n}
        log = [
            event.ticket.number
            async for event in replay(admin, until_called=TICKETS)
            if event.type is EventType.TICKET_CALLED
        ]
        assert log == called, "the server's log holds the calls in the order the desks made them"


def chimes(player: RecordingPlayer) -> int:
    return sum(part.kind == "chime" for part in player.parts)


async def press_next(pilot: Pilot, app: CounterApp) -> str | None:
    """Press Next at a desk; the number it now calls, or None when nobody was waiting."""
    screen = app.counter_screen
    await until(pilot, lambda: screen.online and not screen.busy)
    before = screen.counter.current.number if screen.counter and screen.counter.current else None
    await pilot.press("n")
    await until(pilot, lambda: not screen.busy)
    await until(
        pilot,
        lambda: (
            screen.counter is not None
            and (screen.counter.current is None or screen.counter.current.number != before)
        ),
    )
    return screen.counter.current.number if screen.counter.current else None


async def replay(client: QueueClient, until_called: int) -> AsyncIterator[Event]:
    """The branch's log from the start, up to the ``until_called``-th call."""
    calls = 0
    async with asyncio.timeout(10):
        async for event in client.events("centro", last_event_id=0):
            yield event
            calls += event.type is EventType.TICKET_CALLED
            if calls == until_called:
                return
