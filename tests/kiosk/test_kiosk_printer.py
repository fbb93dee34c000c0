"""Printer faults: the citizen still gets a ticket, staff get an alert, the next citizen a warning.

A real serial driver talks over a socat pty to a fake ESC/POS printer that answers DLE EOT
with the status bytes of paper out, near end, and so on.
"""

from __future__ import annotations

import socket
from pathlib import Path

from device.config import DeviceConfig
from drivers.printer import Paper, PrinterStatus, VirtualPrinter, open_printer
from kiosk.ticket_panel import TicketPanel
from queue_api.client import QueueClient
from tests.drivers.escpos_decoder import decode
from tests.kiosk.conftest import (
    PIN,
    PtyPrinter,
    alerts,
    device_config,
    running_kiosk,
    until,
)
from tests.pilot_wait import touch
from tests.server_process import TOKENS, ServerProcess, office_file, serving


def alert_kinds(events: list) -> list[str]:
    return [event.data.alert.kind for event in events]


async def test_paper_out_ticket_shown_alert_warning_then_reprint(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig, pty_printer: PtyPrinter
) -> None:
    pty_printer.fake.brain.state = "paper_out"
    async with running_kiosk(device, pty_printer.driver) as (pilot, screen):
        notice = screen.query_one("#notice")
        # Found by the status check between tickets, before anyone touches anything.
        await until(pilot, lambda: screen.printer_blocked)
        assert "La impresora no funciona" in str(notice.content)

        await touch(pilot, "#service-registro")
        await until(pilot, lambda: screen.step == "ticket")
        panel = screen.query_one(TicketPanel)
        assert panel.number == "C001" and panel.has_class("-not-printed")
        assert "No pudimos imprimir su ticket" in str(panel.query_one("#ticket-keep").content)
        assert b"C001" not in pty_printer.data  # a printer out of paper got no job
        async with QueueClient(server.url, tokens["kiosk"]) as client:
            queue = await client.queue("centro")
        assert {q.service: q.waiting for q in queue.services}["registro"] == 1

        # The paper is changed: the warning goes by itself, staff hear it is fixed.
        pty_printer.fake.brain.state = "ok"
        await until(pilot, lambda: not screen.printer_blocked)
        await touch(pilot, "#ticket")
        await until(pilot, lambda: screen.step == "home")
        assert not notice.display
        sent = await alerts(server.url, tokens["display"], 2, last_kind="printer.ok")
        # (A status read while the paper was being changed may add a passing fault between.)
        assert alert_kinds(sent)[0] == "printer.paper_out"
        assert alert_kinds(sent)[-1] == "printer.ok"
        assert sent[0].data.alert.device == "kiosk-entrada"  # its token's device name
        assert "load a new paper roll" in sent[0].data.alert.detail

        # The technician reprints the ticket that was not printed.
        await pilot.press("ctrl+t", *PIN, "enter")
        await until(pilot, lambda: screen.step == "technician")
        assert "C001" in str(pilot.app.screen.query_one("#tech-unprinted").content)
        await touch(pilot, "#tech-reprint")
        await until(pilot, lambda: screen.unprinted == [])
        data = pty_printer.data
        assert "C001" in decode(data).text
        (url,) = decode(data).qr_codes
        assert url.startswith(f"{server.url}/t/")


async def test_fault_while_printing_is_reported_and_offered_for_reprint(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig, pty_printer: PtyPrinter
) -> None:
    # The roll runs out during this ticket: the printer took the job but holds it.
    pty_printer.fake.brain.state_after_job = "paper_out"
    async with running_kiosk(device, pty_printer.driver) as (pilot, screen):
        await pilot.press("3")
        await until(pilot, lambda: screen.step == "ticket")
        assert screen.query_one(TicketPanel).has_class("-not-printed")
        assert [view.number for view in screen.unprinted] == ["C001"]
        assert screen.printer_blocked
        (alert,) = await alerts(server.url, tokens["display"], 1)
        assert alert.data.alert.kind == "printer.paper_out"


async def test_silent_printer_counts_as_offline(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig, pty_printer: PtyPrinter
) -> None:
    pty_printer.fake.brain.silent = True  # switched off, or its cable pulled
    async with running_kiosk(device, pty_printer.driver) as (pilot, screen):
        await pilot.press("3")
        await until(pilot, lambda: screen.step == "ticket")
        assert screen.query_one(TicketPanel).number == "C001"
        assert screen.query_one(TicketPanel).has_class("-not-printed")
        assert screen.printer_blocked
        (alert,) = await alerts(server.url, tokens["display"], 1)
        assert "did not answer" in alert.data.alert.detail


async def test_unreachable_printer_is_found_at_start_before_any_ticket(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig
) -> None:
    """Nobody must learn of a dead printer from the first citizen's failed ticket."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again: connections to it are refused
    printer = open_printer(f"tcp://127.0.0.1:{port}", timeout=1.0)
    async with running_kiosk(device, printer) as (pilot, screen):
        await until(pilot, lambda: screen.printer_blocked)
        assert "La impresora no funciona" in str(screen.query_one("#notice").content)
        assert screen.step == "home"
        (alert,) = await alerts(server.url, tokens["display"], 1)
        assert alert.data.alert.kind == "printer.error"
        assert "refused" in alert.data.alert.detail
        assert "9100" in alert.data.alert.detail


async def test_paper_near_end_alerts_staff_only(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig, pty_printer: PtyPrinter
) -> None:
    pty_printer.fake.brain.state = "near_end"
    async with running_kiosk(device, pty_printer.driver) as (pilot, screen):
        (alert,) = await alerts(server.url, tokens["display"], 1)
        assert alert.data.alert.kind == "printer.paper_near_end"
        assert not screen.printer_blocked
        assert not screen.query_one("#notice").display
        await pilot.press("3")
        await until(pilot, lambda: screen.step == "ticket")
        assert not screen.query_one(TicketPanel).has_class("-not-printed")
        assert "C001" in decode(pty_printer.data).text


async def test_cover_open_on_a_virtual_printer_warns_until_closed(device: DeviceConfig) -> None:
    printer = VirtualPrinter()
    printer.simulate(PrinterStatus(known=True, online=False, paper=Paper.OK, cover_open=True))
    async with running_kiosk(device, printer) as (pilot, screen):
        await until(pilot, lambda: screen.printer_blocked)
        printer.simulate(PrinterStatus(known=True, online=True, paper=Paper.OK))
        await until(pilot, lambda: not screen.printer_blocked)
        assert not screen.query_one("#notice").display


async def test_alert_raised_while_the_server_is_down_is_sent_when_it_is_back(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig
) -> None:
    printer = VirtualPrinter()
    async with running_kiosk(device, printer) as (pilot, screen):
        server.stop()
        await until(pilot, lambda: not screen.available, within=10)
        printer.simulate(PrinterStatus(known=True, online=False, paper=Paper.OUT))
        await until(pilot, lambda: screen.printer_blocked)
        await until(pilot, lambda: screen.alerts.pending, within=10)
        server.start()
        await until(pilot, lambda: screen.available, within=10)
        (alert,) = await alerts(server.url, tokens["display"], 1)
        assert alert.data.alert.kind == "printer.paper_out"


async def test_device_file_printer_missing_then_back(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig, tmp_path: Path
) -> None:
    """A printer that cannot report status (file://): its device file missing at start is a
    fault found before anyone needs a ticket; the repair shows when something prints again."""
    paper = tmp_path / "lp0"
    async with running_kiosk(device, open_printer(f"file://{paper}")) as (pilot, screen):
        await until(pilot, lambda: screen.printer_blocked)  # the device file is not there
        await pilot.press("3")  # the device file is not there: unplugged
        await until(pilot, lambda: screen.step == "ticket")
        assert screen.query_one(TicketPanel).has_class("-not-printed")
        assert screen.printer_blocked
        await touch(pilot, "#ticket")
        await until(pilot, lambda: screen.step == "home")
        await pilot.pause(0.3)
        assert screen.printer_blocked  # polls say "unknown": the warning stays

        paper.write_bytes(b"")  # plugged back in
        await pilot.press("ctrl+t", *PIN, "enter")
        await touch(pilot, "#tech-reprint")
        await until(pilot, lambda: not screen.printer_blocked)
        data = paper.read_bytes()
        assert "C001" in decode(data).text
        (url,) = decode(data).qr_codes
        assert url.startswith(f"{server.url}/t/")
        sent = await alerts(server.url, tokens["display"], 2, last_kind="printer.ok")
        assert alert_kinds(sent) == ["printer.error", "printer.ok"]
        assert "no device file" in sent[0].data.alert.detail


async def test_qr_code_points_at_the_servers_public_url(tmp_path: Path) -> None:
    """Phones outside the office cannot open the kiosk's LAN address: the QR code carries the
    page under the server's ``public_url``."""
    public = "https://turnos.example.gob"
    config = office_file(tmp_path, tmp_path / "turnero.db")
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[server]\n", f'[server]\npublic_url = "{public}"\n', 1))
    with serving(config) as server:
        paper = tmp_path / "lp0"
        paper.write_bytes(b"")
        device = device_config(server.url, TOKENS["kiosk"])
        async with running_kiosk(device, open_printer(f"file://{paper}")) as (pilot, screen):
            await pilot.press("3")
            await until(pilot, lambda: screen.step == "ticket")
            assert not screen.query_one(TicketPanel).has_class("-not-printed")
        (url,) = decode(paper.read_bytes()).qr_codes
        assert url.startswith(f"{public}/t/")
        async with QueueClient(server.url, TOKENS["kiosk"]) as client:
            ticket = await client.public_ticket(url.removeprefix(f"{public}/t/"))
        assert ticket.number == "C001"
