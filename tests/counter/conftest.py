"""Fixtures of the counter app's tests: a device file for a desk, tickets, a pty LED board."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from counter.app import CounterApp
from counter.clock import FrozenClock
from device.config import DeviceConfig
from drivers.board import LedBoard, open_board
from tests.drivers.fixtures import FakeBoard, PtyPair, socat_pty_pair
from tests.pilot_wait import until
from tests.server_process import ServerProcess


def device_for(url: str, token: str, counter: str = "1", clerk: str = "Ana") -> DeviceConfig:
    """The device file of counter ``counter`` of branch centro."""
    return DeviceConfig.model_validate(
        {
            "server": {"url": url, "token": token, "branch": "centro", "counter": counter},
            "device": {"name": f"ventanilla-{counter}"},
            "counter": {"clerk": clerk},
        }
    )


@pytest.fixture
def device(server: ServerProcess, tokens: dict[str, str]) -> DeviceConfig:
    return device_for(server.url, tokens["counter1"])


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))


def issue(server: ServerProcess, token: str, service: str, *, priority: bool = False) -> dict:
    """Issue a ticket as the kiosk does (synchronously: this is the test's set-up)."""
    response = httpx.post(
        f"{server.url}/api/v1/branches/centro/tickets",
        json={"service": service, "priority": priority, "language": "es"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


async def api(server: ServerProcess, token: str, method: str, path: str) -> httpx.Response:
    """One call to the real server as another device (the admin, another terminal)."""
    async with httpx.AsyncClient(base_url=f"{server.url}/api/v1/branches/centro") as http:
        return await http.request(method, path, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def kiosk(server: ServerProcess, tokens: dict[str, str]) -> Callable[..., dict]:
    """``kiosk("licencias")`` issues a ticket and returns it."""
    return lambda service, priority=False: issue(
        server, tokens["kiosk"], service, priority=priority
    )


async def events_flowing(pilot: Pilot, kiosk: Callable[..., dict]) -> None:
    """Wait until the counter's event stream is live: a ticket issued now reaches its overview
    through an event (the counter never polls), so what is sent after this is seen."""
    app = pilot.app
    assert isinstance(app, CounterApp)
    overview = app.counter_screen.query_one("#queue", DataTable)
    before = int(overview.get_row("licencias")[1])
    await asyncio.to_thread(kiosk, "licencias")
    await until(pilot, lambda: int(overview.get_row("licencias")[1]) == before + 1)


class PtyBoard:
    """A Modbus LED board at the far end of a socat pty pair, and the driver on the near end."""

    def __init__(self, pair: PtyPair, fake: FakeBoard, board: LedBoard) -> None:
        self.pair, self.fake, self.board = pair, fake, board


@pytest.fixture
def pty_board() -> Iterator[PtyBoard]:
    with socat_pty_pair() as pair, FakeBoard(pair.far) as fake:
        board = open_board(pair.near, protocol="modbus-rtu", address=1, timeout=0.3)
        # Blinks quick enough for tests; the sequence (show, dark, lit...) is what matters.
        board.blink_interval = 0.05
        try:
            yield PtyBoard(pair, fake, board)
        finally:
            board.close()
