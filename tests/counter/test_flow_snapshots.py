"""Snapshots of the counter's new dialogs: the waiting line to call from, the confirmation
showing who waits longest, the outcome keys, and bringing back a late no-show.

Waits read "0 min": the frozen clock is earlier than the real server's times."""

from __future__ import annotations

from pathlib import Path

import pytest

from counter.app import CounterApp
from counter.desk_dialogs import ConfirmCall, OutcomePicker, ReturnPrompt, WaitingPicker
from tests.counter.conftest import device_for
from tests.desk_office import desk_office
from tests.pilot_wait import until

SIZE = (100, 32)


@pytest.fixture
def office_config(tmp_path: Path) -> Path:
    return desk_office(tmp_path, tmp_path / "turnero.db")


async def ready(pilot) -> None:
    screen = pilot.app.counter_screen
    await until(pilot, lambda: screen.online and screen.counter is not None and screen.branch)


def test_waiting_line_to_call_from(snap_compare, server, tokens, kiosk, clock):
    kiosk("licencias")
    kiosk("licencias", priority=True)
    kiosk("pagos")
    app = CounterApp(device_for(server.url, tokens["counter1"]), clock=clock)

    async def run_before(pilot) -> None:
        await ready(pilot)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(pilot.app.screen, WaitingPicker))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_confirm_a_call_out_of_order(snap_compare, server, tokens, kiosk, clock):
    kiosk("licencias")
    kiosk("licencias", priority=True)
    kiosk("pagos")
    app = CounterApp(device_for(server.url, tokens["counter1"]), clock=clock)

    async def run_before(pilot) -> None:
        await ready(pilot)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(pilot.app.screen, WaitingPicker))
        await pilot.press("3")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmCall))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_outcome_keys_before_finishing(snap_compare, server, tokens, kiosk, clock):
    kiosk("registro")
    app = CounterApp(device_for(server.url, tokens["counter3"], "3"), clock=clock)

    async def run_before(pilot) -> None:
        await ready(pilot)
        screen = pilot.app.counter_screen
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None and not screen.busy)
        clock.now = screen.counter.current.called_at
        screen.tick()
        await pilot.press("f")
        await until(pilot, lambda: isinstance(pilot.app.screen, OutcomePicker))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_bring_back_a_late_no_show(snap_compare, server, tokens, kiosk, clock):
    kiosk("pagos")
    app = CounterApp(device_for(server.url, tokens["counter3"], "3"), clock=clock)

    async def run_before(pilot) -> None:
        await ready(pilot)
        screen = pilot.app.counter_screen
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None and not screen.busy)
        await pilot.press("x")
        await until(pilot, lambda: screen.counter.current is None and not screen.busy)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(pilot.app.screen, ReturnPrompt))
        await pilot.press(*"b001")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
