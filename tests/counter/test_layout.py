"""The counter's layout on an 80x24 console: the queue and every key stay in sight."""

from __future__ import annotations

from counter.app import CounterApp
from counter.key_bar import KeyBar
from queue_api.client import QueueClient
from tests.pilot_wait import until


async def test_at_80x24_with_faults_standing_the_queue_and_every_key_show(
    server, tokens, device, kiosk, clock
):
    kiosk("licencias")
    kiosk("licencias")
    kiosk("pagos")
    async with QueueClient(server.url, tokens["kiosk"]) as kiosk_client:
        await kiosk_client.report_alert("centro", "kiosko-entrada", "printer.paper_out", "roll")
        await kiosk_client.report_alert("centro", "kiosko-entrada", "kiosk.pin_locked", "")
    app = CounterApp(device, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.counter_screen
        queue = screen.query_one("#queue")
        alerts = screen.query_one("#office-alerts")
        await until(pilot, lambda: screen.online and queue.row_count == 2)
        await until(pilot, lambda: len(alerts.faults) == 2)
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None and not screen.busy)
        await pilot.pause()

        # The whole queue (border, header, both services), above the buttons.
        assert queue.region.height == 2 + 1 + queue.row_count
        assert queue.region.bottom <= screen.query_one("#actions").region.y
        assert alerts.region.height == 2
        # Every key in the bar, none cut off, inside the screen.
        keys = screen.query_one(KeyBar)
        lines = keys.render().plain.splitlines()
        assert all(len(line) <= 80 for line in lines), lines
        text = " ".join(lines)
        for n in range(1, 10):
            assert f"F{n} " in text, (n, lines)
        assert "F9 Abrir" in text
        assert keys.region.height == len(lines) and keys.region.bottom == 24
