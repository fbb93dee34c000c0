"""Fixtures for the kiosk tests: a device file for the example office, fast timings, pollers,
and a real ESC/POS printer on a socat pty (the drivers' fake printer at the far end)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from textual.pilot import Pilot

from device.config import DeviceConfig
from drivers.printer import TicketPrinter, open_printer
from kiosk.app import KioskApp
from kiosk.kiosk_screen import KioskScreen
from kiosk.timings import KioskTimings
from queue_api.client import QueueClient
from queue_api.schema import Event, EventType
from tests import pilot_wait
from tests.drivers.fixtures import FakeSerialPrinter, socat_pty_pair
from tests.server_process import EXAMPLE_OFFICE, ServerProcess

PIN = "2468"
SIZE = (100, 32)
#: Short timers so tests wait on events, not on the clock; idle and ticket are long unless a
#: test is about them, so nothing ends a session behind a test's back.
#: No double-tap guard either: the double-tap test sets its own.
FAST = KioskTimings(idle=60, ticket=60, refresh=0.3, printer_poll=0.2, tap_guard=0.0)


def device_config(url: str, token: str, **sections: dict) -> DeviceConfig:
    """A kiosk's turnero.toml for branch "centro", validated like the real file."""
    raw = {
        "server": {"url": url, "token": token, "branch": "centro"},
        "device": {"name": "kiosk-test"},
        "kiosk": {"pin": PIN},
        **sections,
    }
    return DeviceConfig.model_validate(raw)


def office_with_closed_registro(folder: Path) -> Path:
    """The example office with "registro" closed for the day."""
    text = EXAMPLE_OFFICE.read_text(encoding="utf-8")
    text = text.replace(
        'database = "sqlite:///turnero-demo.db"', f'database = "sqlite:///{folder}/c.db"'
    )
    text = text.replace(
        "target_wait_minutes = 20\npriority_allowed = false",
        "target_wait_minutes = 20\npriority_allowed = false\nopen = false",
    )
    assert "open = false" in text
    path = folder / "office-closed.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def device(server: ServerProcess, tokens: dict[str, str]) -> DeviceConfig:
    return device_config(server.url, tokens["kiosk"])


@dataclass
class PtyPrinter:
    """A real ESC/POS printer driver talking over a pty to a fake printer that answers status."""

    driver: TicketPrinter
    fake: FakeSerialPrinter

    @property
    def data(self) -> bytes:
        return bytes(self.fake.brain.data)


@pytest.fixture
def pty_printer() -> Iterator[PtyPrinter]:
    with socat_pty_pair() as pair, FakeSerialPrinter(pair.far) as fake:
        driver = open_printer(f"serial://{pair.near}?baudrate=19200", timeout=1.0)
        yield PtyPrinter(driver, fake)
        driver.close()


def kiosk_app(
    device: DeviceConfig, printer: TicketPrinter, timings: KioskTimings = FAST
) -> KioskApp:
    return KioskApp(device, printer=printer, timings=timings)


@asynccontextmanager
async def running_kiosk(
    device: DeviceConfig, printer: TicketPrinter, timings: KioskTimings = FAST
) -> AsyncIterator[tuple[Pilot, KioskScreen]]:
    """A kiosk app under the Pilot, once it shows the branch's services."""
    app = kiosk_app(device, printer, timings)
    async with app.run_test(size=SIZE) as pilot:
        yield pilot, await ready(pilot)


def screen_of(app: KioskApp) -> KioskScreen:
    screen = app.screen
    assert isinstance(screen, KioskScreen)
    return screen


# The kiosk answers within a second; five are plenty before a test gives up.
until = partial(pilot_wait.until, within=5.0)


async def ready(pilot: Pilot) -> KioskScreen:
    """Wait until the kiosk has read the branch and shows its services."""
    screen = screen_of(pilot.app)  # type: ignore[arg-type]

    def services_shown() -> bool:
        """the kiosk to read the branch and show every service tile"""
        tiles = screen.query("ServiceTile")
        return screen.available and bool(tiles) and all(map(pilot_wait.on_screen, tiles))

    await until(pilot, services_shown)
    return screen


async def alerts(
    url: str, token: str, count: int = 1, *, last_kind: str | None = None, within: float = 5.0
) -> list[Event]:
    """The branch's device.alert events replayed from the server's log: at least ``count``,
    and on to the first one of ``last_kind`` when given."""
    found: list[Event] = []

    def kind(event: Event) -> str:
        return event.data.alert.kind

    async with QueueClient(url, token) as client:

        async def collect() -> None:
            async for event in client.events("centro", last_event_id=0):
                if event.type is EventType.DEVICE_ALERT:
                    found.append(event)
                    if len(found) >= count and last_kind in (None, kind(event)):
                        return

        await asyncio.wait_for(collect(), within)
    return found
