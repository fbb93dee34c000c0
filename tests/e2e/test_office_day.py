"""A morning at the office, end to end: the real server process, a kiosk with a printer on a
pty, two counters with LED boards on ptys, and the lobby display, all driven as people would.
"""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot

from counter.app import CounterApp
from counter.desk_dialogs import ConfirmCall, OutcomePicker, ReturnPrompt, WaitingPicker
from counter.transfer_picker import TransferPicker
from device.config import DeviceConfig
from display.app import DisplayApp
from display.board_screen import BoardScreen
from drivers.board import open_board
from drivers.printer import open_printer
from kiosk.app import KioskApp
from kiosk.kiosk_screen import KioskScreen
from kiosk.timings import KioskTimings
from queue_api.client import QueueClient, new_idempotency_key
from queue_api.schema import Event, EventType
from tests.counter.led_frames import shown
from tests.desk_office import desk_office
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


@pytest.fixture
def desk_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """The example office with outcomes for registro and ``return_after = 1``."""
    process = ServerProcess(desk_office(tmp_path, tmp_path / "turnero.db")).start()
    yield process
    process.stop()


async def test_a_morning_with_a_late_citizen_an_urgent_case_and_a_desk_of_its_own(
    desk_server: ServerProcess, tokens: dict[str, str]
) -> None:
    """The clerk's day as it really is, at two desks: a no-show who comes back late, a ticket
    called out of order, a case sent to one desk, outcomes at the desk; then the stats."""
    server = desk_server
    async with QueueClient(server.url, tokens["kiosk"]) as kiosk:
        issued = {}
        for service in ("licencias", "pagos", "registro", "licencias", "registro"):
            ticket = await kiosk.issue_ticket(
                "centro", service, idempotency_key=new_idempotency_key()
            )
            issued[ticket.number] = ticket
    assert list(issued) == ["A001", "B001", "C001", "A002", "C002"]
    desks = {c: CounterApp(device(server, tokens[f"counter{c}"], counter=c)) for c in COUNTERS}
    async with AsyncExitStack() as stack:
        pilots = {
            c: await stack.enter_async_context(app.run_test(size=SIZE)) for c, app in desks.items()
        }
        one, three = desks["1"].counter_screen, desks["3"].counter_screen
        p1, p3 = pilots["1"], pilots["3"]
        for pilot, screen in ((p1, one), (p3, three)):
            await until(pilot, lambda s=screen: s.online and s.counter is not None and s.branch)

        # Desk 1 calls A001, who does not come.
        assert await press_next(p1, desks["1"]) == "A001"
        await p1.press("x")
        await until(p1, lambda: one.counter.current is None and not one.busy)
        # Desk 3 serves B001, then calls C002 out of order (its papers were ready).
        assert await press_next(p3, desks["3"]) == "B001"
        await p3.press("l")
        await until(p3, lambda: isinstance(desks["3"].screen, WaitingPicker))
        assert [t.number for t in desks["3"].screen.tickets] == ["C001", "C002"]
        await p3.press("2")
        await until(p3, lambda: isinstance(desks["3"].screen, ConfirmCall))
        await p3.press("enter")
        await until(p3, lambda: three.counter.current is not None and not three.busy)
        assert three.counter.current.number == "C002"
        assert "called out of order by the clerk" in str(three.query_one("#why").content)
        # A001 arrives late: desk 1 brings it back, behind one ticket (return_after = 1).
        await p1.press("b")
        await until(p1, lambda: isinstance(desks["1"].screen, ReturnPrompt))
        await p1.press(*"a001", "enter")
        await until(p1, lambda: desks["1"].screen is one and not one.busy)
        # C002's case belongs at desk 1: sent there, it waits for that desk only.
        await p3.press("t")
        await until(p3, lambda: isinstance(desks["3"].screen, TransferPicker))
        choices = [service for service, _ in desks["3"].screen.services]
        await p3.press(str(choices.index("counter:1") + 1))
        await until(p3, lambda: three.counter.current is None and not three.busy)
        async with QueueClient(server.url, tokens["kiosk"]) as phone:
            where = await phone.public_ticket(issued["C002"].id)
        assert (where.counter_label, where.for_counter_label) == (None, "Ventanilla 1")
        # Desk 3 serves C001 and records how it ended.
        assert await press_next(p3, desks["3"]) == "C001"
        await p3.press("f")
        await until(p3, lambda: isinstance(desks["3"].screen, OutcomePicker))
        await p3.press("1")
        await until(p3, lambda: three.counter.current is None and not three.busy)
        assert await press_next(p3, desks["3"]) is None  # C002 is not desk 3's any more
        # Desk 1: A002, then A001 behind it, then C002 sent to this desk; then nobody.
        called = [await press_next(p1, desks["1"]) for _ in range(4)]
        assert called == ["A002", "A001", "C002", None]

    async with QueueClient(server.url, tokens["admin"]) as admin:
        stats = await admin.stats("centro")
    services = {s.service: s for s in stats.services}
    # C002 now counts for licencias, the service desk 1 took it in.
    assert {s: (v.issued, v.served, v.no_shows, v.waiting) for s, v in services.items()} == {
        "licencias": (3, 3, 0, 0),
        "pagos": (1, 1, 0, 0),
        "registro": (1, 1, 0, 0),
    }
    assert services["licencias"].returned == 1
    assert services["registro"].outcomes == {"ok": 1}
    assert {c.counter: c.served for c in stats.counters if c.served} == {"1": 3, "3": 2}
