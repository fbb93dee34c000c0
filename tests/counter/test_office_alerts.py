"""Clerks see the faults the branch's other devices report, until those devices say ok."""

from __future__ import annotations

import string
import tomllib
from datetime import UTC, datetime
from importlib import resources

import pytest

from counter.app import CounterApp
from counter.office_alerts import OfficeAlerts
from queue_api.client import QueueClient
from queue_api.schema import ReportedAlert, StandingAlerts
from tests.counter.conftest import events_flowing
from tests.pilot_wait import until

AT = datetime(2026, 1, 5, 8, 50, tzinfo=UTC)


def heard(event_id: int, device: str, kind: str, detail: str = "") -> ReportedAlert:
    return ReportedAlert(
        branch="centro",
        device=device,
        kind=kind,
        detail=detail,
        role="kiosk",
        event_id=event_id,
        at=AT,
    )


def standing(last_event_id: int, *alerts: ReportedAlert) -> StandingAlerts:
    return StandingAlerts(branch="centro", alerts=list(alerts), last_event_id=last_event_id)


def test_the_servers_list_decides_every_part_no_event_has_decided_since() -> None:
    alerts = OfficeAlerts("es", own_device="ventanilla-1")
    alerts.note(heard(3, "kiosko", "printer.paper_out"))
    alerts.note(heard(4, "ventanilla-2", "board.lost"))
    # Read at event 10: the board came back meanwhile (its ok was missed), the printer not;
    # our own board is not listed here, it has its banner.
    alerts.load(
        standing(
            10, heard(3, "kiosko", "printer.paper_out"), heard(9, "ventanilla-1", "board.lost")
        )
    )
    assert list(alerts.faults) == [("kiosko", "printer")]

    # Events newer than a list win over it, whichever arrives first.
    alerts.note(heard(12, "kiosko", "printer.ok"))
    alerts.note(heard(13, "ventanilla-3", "board.lost"))
    alerts.load(standing(11, heard(3, "kiosko", "printer.paper_out")))
    assert list(alerts.faults) == [("ventanilla-3", "board")]
    alerts.note(heard(11, "ventanilla-3", "board.ok"))  # older than the lost it follows
    assert list(alerts.faults) == [("ventanilla-3", "board")]


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
        # In the screen's language (Spanish), from the kind: not the device's English; the
        # device is the one its token names.
        assert "kiosk-entrada: Impresora — sin papel: cargue un rollo nuevo" in text
        assert "ventanilla-2: Tablero LED — no responde" in text
        assert "replace the paper roll" not in text and "no answer" not in text

        # A newer fault of the same part replaces the old one; ok clears it.
        await kiosk_client.report_alert("centro", "kiosko-entrada", "printer.cover_open", "")
        await until(pilot, lambda: "tapa abierta" in str(alerts.render()))
        assert "sin papel" not in str(alerts.render())
        await kiosk_client.report_alert("centro", "kiosko-entrada", "printer.ok", "works again")
        await desk_two.report_alert("centro", "ventanilla-2", "board.ok", "")
        await until(pilot, lambda: not alerts.faults)
        assert not alerts.display


async def test_a_counter_that_starts_late_sees_the_faults_that_stand(server, tokens, device, clock):
    async with QueueClient(server.url, tokens["kiosk"]) as kiosk_client:
        await kiosk_client.report_alert("centro", "kiosko-entrada", "printer.paper_out", "roll")
        await kiosk_client.report_alert("centro", "kiosko-entrada", "kiosk.pin_locked", "")
        await kiosk_client.report_alert("centro", "kiosko-entrada", "kiosk.ok", "")
    async with QueueClient(server.url, tokens["counter1"]) as own:
        await own.report_alert("centro", "ventanilla-1", "board.lost", "its own banner says it")

    app = CounterApp(device, clock=clock)
    async with app.run_test(size=(100, 34)) as pilot:
        alerts = app.counter_screen.query_one(OfficeAlerts)
        await until(pilot, lambda: bool(alerts.faults))
        assert list(alerts.faults) == [("kiosk-entrada", "printer")]  # the token names it
        assert "kiosk-entrada: Impresora — sin papel" in str(alerts.render())
        assert alerts.display


@pytest.mark.parametrize(
    ("language", "kind", "detail", "line"),
    [
        ("es", "printer.paper_out", "replace the roll", "Impresora — sin papel: cargue un rollo"),
        ("en", "printer.paper_out", "replace the roll", "Printer — paper out: load a new paper"),
        ("es", "printer.cover_open+paper_out", "", "Impresora — tapa abierta: ciérrela; sin papel"),
        ("es", "kiosk.pin_locked", "5 wrong PINs", "Kiosco — PIN de técnico bloqueado"),
        ("en", "board.lost", "no answer", "LED board — not answering"),
        # Kinds the catalog does not know (a newer device's): the device's own words.
        ("es", "scanner.jammed", "clear the glass", "scanner.jammed, clear the glass"),
        ("es", "printer.on_fire", "call someone", "printer.on_fire, call someone"),
    ],
)
def test_a_fault_reads_in_the_screens_language(language, kind, detail, line) -> None:
    alerts = OfficeAlerts(language, own_device="ventanilla-1")
    alerts.note(heard(3, "kiosko", kind, detail))
    assert f"⚠ kiosko: {line}" in str(alerts.render())


@pytest.mark.parametrize("package", ["device", "counter"])
def test_catalogs_have_the_same_keys_and_placeholders(package: str) -> None:
    def catalog(language: str) -> dict[str, str]:
        path = resources.files(package).joinpath("locales", f"{language}.toml")
        return tomllib.loads(path.read_text("utf-8"))

    spanish, english = catalog("es"), catalog("en")
    assert spanish.keys() == english.keys()
    for key, text in spanish.items():
        fields = sorted(f for _, f, _, _ in string.Formatter().parse(text) if f)
        assert fields == sorted(f for _, f, _, _ in string.Formatter().parse(english[key]) if f)
