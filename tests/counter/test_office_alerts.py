"""Clerks see the faults the branch's other devices report, until those devices say ok."""

from __future__ import annotations

from counter.app import CounterApp
from counter.office_alerts import is_all_clear, part_of
from queue_api.client import QueueClient
from tests.counter.conftest import events_flowing
from tests.pilot_wait import until


def test_alert_kinds_name_a_part_and_say_when_it_works_again() -> None:
    assert part_of("printer.paper_out+cover_open") == "printer"
    assert part_of("board") == "board"
    assert is_all_clear("printer.ok") and is_all_clear("ok")
    assert not is_all_clear("printer.paper_out") and not is_all_clear("board.lost")


async def test_faults_of_other_devices_stand_until_they_clear(server, tokens, device, kiosk, clock):
    app = CounterApp(device, clock=clock)
    async with (
        app.run_test(size=(100, 34)) as pilot,
        QueueClient(server.url, tokens["kiosk"]) as kiosk_client,
        QueueClient(server.url, tokens["counter2"]) as desk_two,
    ):
        screen = app.counter_screen
        alerts = screen.query_one("#office-alerts")
        await until(pilot, lambda: screen.online and screen.counter is not None and screen.queue)
        assert not alerts.display
        await events_flowing(pilot, kiosk)

        await kiosk_client.report_alert(
            "centro", "kiosko-entrada", "printer.paper_out", "replace the paper roll"
        )
        await desk_two.report_alert("centro", "ventanilla-2", "board.lost", "no answer")
        await until(pilot, lambda: len(alerts.faults) == 2)
        text = str(alerts.render())
        assert alerts.display
        assert "kiosko-entrada: printer.paper_out, replace the paper roll" in text
        assert "ventanilla-2: board.lost, no answer" in text

        # A newer fault of the same part replaces the old one; ok clears it.
        await kiosk_client.report_alert("centro", "kiosko-entrada", "printer.cover_open", "")
        await until(pilot, lambda: "printer.cover_open" in str(alerts.render()))
        assert "paper_out" not in str(alerts.render())
        await kiosk_client.report_alert("centro", "kiosko-entrada", "printer.ok", "works again")
        await desk_two.report_alert("centro", "ventanilla-2", "board.ok", "")
        await until(pilot, lambda: not alerts.faults)
        assert not alerts.display
