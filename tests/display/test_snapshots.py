"""What the lobby sees, at a small terminal and at a TV's size (frozen clock, real server)."""

from __future__ import annotations

import asyncio

import pytest
from textual.pilot import Pilot

from tests.display.conftest import Link, Office, board, make_display
from tests.pilot_wait import until

TICKER = "Bienvenidos a la Oficina Centro · Tenga a mano su identificación · Welcome"


async def morning(url: str) -> None:
    """Five calls and a recall; people still waiting in every service."""
    office = Office(url)
    try:
        await office.issue("licencias", 5)
        await office.issue("pagos", 3)
        await office.issue("registro", 2)
        for counter in "1234":
            await office.next(counter)
        await office.next("1")
        await office.recall("3")
    finally:
        await office.aclose()


async def board_loaded(pilot: Pilot) -> None:
    screen = board(pilot.app)
    # Five calls; the recall moved its number to the top rather than adding a row.
    await until(pilot, lambda: screen.connection == "live" and len(screen.calls) == 5)


@pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=["80x24", "tv-200x60"])
def test_board(snap_compare, server, size):
    asyncio.run(morning(server.url))
    app = make_display(server.url, ticker=TICKER)
    assert snap_compare(app, terminal_size=size, run_before=board_loaded)


def test_reconnecting_keeps_the_last_board(snap_compare, server):
    asyncio.run(morning(server.url))
    link = Link(server.port)
    app = make_display(link.url)

    async def link_lost(pilot: Pilot) -> None:
        await link.restore()
        await board_loaded(pilot)
        await link.cut()
        await until(pilot, lambda: board(pilot.app).connection == "reconnecting")

    assert snap_compare(app, terminal_size=(80, 24), run_before=link_lost)


def test_before_the_server_answers(snap_compare):
    app = make_display("http://127.0.0.1:9")  # nothing listens there

    async def shown(pilot: Pilot) -> None:
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(80, 24), run_before=shown)
