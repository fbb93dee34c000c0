"""Helpers for the lobby display's tests: a display device file, a recording player, a link
that can be cut like a pulled cable, and clerks calling tickets on the real server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from textual.pilot import Pilot

from device.config import DeviceConfig
from display.announcer import Part
from display.app import DisplayApp
from display.board_screen import BoardScreen
from display.clock import Clock, FrozenClock
from queue_api.client import QueueClient, new_idempotency_key
from queue_api.schema import Ticket
from tests.pilot_wait import until
from tests.server_process import TOKENS, free_port

FROZEN_AT = datetime(2026, 1, 15, 9, 41, tzinfo=UTC)


def display_device(url: str, **display: object) -> DeviceConfig:
    """A display's device file for the example office's branch ``centro``."""
    return DeviceConfig.model_validate(
        {
            "server": {"url": url, "token": TOKENS["display"], "branch": "centro"},
            "display": display,
        }
    )


class RecordingPlayer:
    """Plays nothing, remembers every part; ``gate`` (if set) holds each part until released."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.parts: list[Part] = []
        self.gate = gate
        self.started = threading.Event()

    def play(self, part: Part) -> None:
        self.started.set()
        if self.gate is not None:
            self.gate.wait(10)
        self.parts.append(part)


def make_display(
    url: str,
    player: RecordingPlayer | None = None,
    clock: Clock | None = None,
    **display: object,
) -> DisplayApp:
    """The display app on ``url`` with a recording player and a fast reconnect."""
    return DisplayApp(
        display_device(url, **display),
        player=player or RecordingPlayer(),
        clock=clock or FrozenClock(FROZEN_AT),
        reconnect_max=0.3,
    )


@asynccontextmanager
async def live_display(
    url: str, player: RecordingPlayer | None = None, clock: Clock | None = None, **display: object
) -> AsyncIterator[tuple[DisplayApp, Pilot, BoardScreen]]:
    """``make_display`` under the Pilot, once its board is live on the server."""
    app = make_display(url, player, clock, **display)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = board(app)
        await until(pilot, lambda: screen.connection == "live")
        yield app, pilot, screen


def board(app: DisplayApp) -> BoardScreen:
    screen = app.screen
    assert isinstance(screen, BoardScreen)
    return screen


class Office:
    """The kiosk and the four counters of the example branch, acting on the real server."""

    def __init__(self, url: str) -> None:
        self.kiosk = QueueClient(url, TOKENS["kiosk"])
        self.counters = {c: QueueClient(url, TOKENS[f"counter{c}"]) for c in "1234"}

    async def issue(self, service: str = "licencias", count: int = 1) -> list[Ticket]:
        return [
            await self.kiosk.issue_ticket("centro", service, idempotency_key=new_idempotency_key())
            for _ in range(count)
        ]

    async def next(self, counter: str) -> Ticket:
        ticket = await self.counters[counter].call_next("centro", counter)
        assert ticket is not None, f"nobody waits for counter {counter}"
        return ticket

    async def recall(self, counter: str) -> Ticket:
        return await self.counters[counter].recall("centro", counter)

    async def aclose(self) -> None:
        for client in [self.kiosk, *self.counters.values()]:
            await client.aclose()


@pytest.fixture
async def office(server) -> Office:
    clerks = Office(server.url)
    yield clerks
    await clerks.aclose()


class Link:
    """A TCP forwarder between the display and the server that a test can cut and restore."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._listener: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def restore(self) -> None:
        """Accept connections again (and forward them to ``target_port``)."""
        self._listener = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones, as a pulled cable would."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, upstream}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while chunk := await source.read(65536):
                    sink.write(chunk)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.transport.abort()

        await asyncio.gather(pipe(reader, upstream), pipe(upstream_reader, writer))


@pytest.fixture
async def link(server) -> Link:
    cable = Link(server.port)
    await cable.restore()
    yield cable
    await cable.cut()
