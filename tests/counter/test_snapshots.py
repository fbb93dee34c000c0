"""Snapshots of the counter's main screen states, against a real server and a frozen clock.

Nothing on these screens depends on the wall clock: times are measured with the frozen clock
from the ticket's own call time, and the queue shows whole minutes.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from counter.app import CounterApp
from counter.clerk_prompt import ClerkPrompt
from counter.transfer_picker import TransferPicker
from queue_api.client import QueueClient
from queue_api.schema import TicketStatus
from tests.counter.conftest import device_for
from tests.pilot_wait import until

SIZE = (100, 32)


async def loaded(pilot) -> None:
    screen = pilot.app.counter_screen
    await until(pilot, lambda: screen.online and screen.counter is not None and screen.queue)


async def call_next(pilot, clock, *, after: timedelta) -> None:
    """Press Next, then move the clock ``after`` past the call."""
    screen = pilot.app.counter_screen
    await pilot.press("n")
    await until(pilot, lambda: screen.counter.current is not None and not screen.busy)
    clock.now = screen.counter.current.called_at + after
    screen.tick()
    await pilot.pause()


def test_closed_desk_at_the_start_of_the_day(snap_compare, device, kiosk, clock):
    kiosk("licencias")
    kiosk("licencias")
    kiosk("pagos")
    app = CounterApp(device, clock=clock)

    async def run_before(pilot) -> None:
        await loaded(pilot)
        screen = pilot.app.counter_screen
        await until(pilot, lambda: screen.query_one("#queue").row_count == 2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_priority_ticket_called(snap_compare, device, kiosk, clock):
    kiosk("licencias")
    kiosk("licencias", priority=True)
    app = CounterApp(device, clock=clock)

    async def run_before(pilot) -> None:
        await loaded(pilot)
        await call_next(pilot, clock, after=timedelta(minutes=1, seconds=15))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_serving_after_a_recall(snap_compare, device, kiosk, clock):
    kiosk("pagos")
    app = CounterApp(device, clock=clock)

    async def run_before(pilot) -> None:
        await loaded(pilot)
        screen = pilot.app.counter_screen
        await call_next(pilot, clock, after=timedelta(seconds=40))
        await pilot.press("r")
        await until(pilot, lambda: screen.counter.current.recalls == 1 and not screen.busy)
        await pilot.press("s")
        await until(pilot, lambda: screen.counter.current.status is TicketStatus.SERVING)
        clock.now = screen.counter.current.started_at + timedelta(minutes=4, seconds=2)
        screen.tick()
        await until(pilot, lambda: not screen.busy)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_offline_keeps_the_last_confirmed_ticket(snap_compare, server, tokens, kiosk, clock):
    # The board's own fault text comes from the driver, so the lost-board banner is checked
    # in test_failures (Pilot) rather than frozen here.
    kiosk("licencias")
    device = device_for(server.url, tokens["counter1"])
    app = CounterApp(device, clock=clock, reconnect_backoff=0.2)

    async def run_before(pilot) -> None:
        await loaded(pilot)
        screen = pilot.app.counter_screen
        await call_next(pilot, clock, after=timedelta(seconds=5))
        server.kill()
        await until(pilot, lambda: not screen.online)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_clerk_prompt_when_the_device_file_names_nobody(snap_compare, server, tokens, clock):
    app = CounterApp(device_for(server.url, tokens["counter3"], "3", clerk=""), clock=clock)

    async def run_before(pilot) -> None:
        await until(pilot, lambda: isinstance(pilot.app.screen, ClerkPrompt))
        await loaded(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_transfer_picker(snap_compare, device, kiosk, clock):
    kiosk("pagos")
    app = CounterApp(device, clock=clock)

    async def run_before(pilot) -> None:
        await loaded(pilot)
        await call_next(pilot, clock, after=timedelta(seconds=3))
        await pilot.press("t")
        await until(pilot, lambda: isinstance(pilot.app.screen, TransferPicker))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_faults_of_other_devices_above_the_desk(snap_compare, server, tokens, device, clock):
    async def report_faults() -> None:
        # Staff (admin) report for the kiosk, naming it: a kiosk's token names itself.
        async with QueueClient(server.url, tokens["admin"]) as kiosk_client:
            await kiosk_client.report_alert(
                "centro", "kiosko-entrada", "printer.paper_out", "replace the paper roll"
            )
            await kiosk_client.report_alert(
                "centro", "kiosko-entrada", "kiosk.pin_locked", "5 wrong technician PINs in a row"
            )

    asyncio.run(report_faults())  # before the counter starts: it reads the faults that stand
    app = CounterApp(device, clock=clock)

    async def run_before(pilot) -> None:
        await loaded(pilot)
        alerts = pilot.app.counter_screen.query_one("#office-alerts")
        await until(pilot, lambda: len(alerts.faults) == 2)
        clock.now = max(alert.at for alert in alerts.faults.values()) + timedelta(minutes=3)
        pilot.app.counter_screen.tick()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def two_faults(url: str, token: str) -> None:
    async with QueueClient(url, token) as kiosk_client:
        await kiosk_client.report_alert("centro", "kiosko-entrada", "printer.paper_out", "roll")
        await kiosk_client.report_alert("centro", "kiosko-entrada", "kiosk.pin_locked", "")


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_a_call_with_faults_standing_at_console_and_big_sizes(
    snap_compare, server, tokens, device, kiosk, clock, size
):
    kiosk("licencias")
    kiosk("licencias")
    kiosk("pagos")
    asyncio.run(two_faults(server.url, tokens["kiosk"]))
    app = CounterApp(device, clock=clock)

    async def run_before(pilot) -> None:
        await loaded(pilot)
        alerts = pilot.app.counter_screen.query_one("#office-alerts")
        await until(pilot, lambda: len(alerts.faults) == 2)
        await call_next(pilot, clock, after=timedelta(seconds=20))
        await until(pilot, lambda: pilot.app.counter_screen.query_one("#queue").row_count == 2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
