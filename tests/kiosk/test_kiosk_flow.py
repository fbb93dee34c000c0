"""The kiosk end to end: a real server on 127.0.0.1, a real printer driver on a pty."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from device.config import DeviceConfig
from drivers.printer import VirtualPrinter
from kiosk.ticket_panel import TicketPanel
from queue_api.client import QueueClient
from tests.drivers.escpos_decoder import decode
from tests.kiosk.conftest import (
    FAST,
    PtyPrinter,
    device_config,
    office_with_closed_registro,
    running_kiosk,
    until,
)
from tests.pilot_wait import touch
from tests.server_process import ServerProcess, office_file, serving


async def waiting(server: ServerProcess, token: str, service: str) -> int:
    async with QueueClient(server.url, token) as client:
        queue = await client.queue("centro")
    return next(entry.waiting for entry in queue.services if entry.service == service)


async def test_one_touch_issues_prints_and_shows_the_ticket(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig, pty_printer: PtyPrinter
) -> None:
    async with running_kiosk(device, pty_printer.driver) as (pilot, screen):
        # registro allows no priority: one touch issues.
        await touch(pilot, "#service-registro")
        await until(pilot, lambda: screen.step == "ticket")
        panel = screen.query_one(TicketPanel)
        assert panel.number == "C001"
        shown = " ".join(str(label.content) for label in panel.query("Label"))
        assert "Registro civil" in shown
        assert "No hay nadie antes que usted" in shown
        # The bytes that reached the printer: number, office and the QR to the status page.
        data = pty_printer.data
        text = decode(data).text
        assert "C001" in text and "Oficina Centro" in text
        (url,) = decode(data).qr_codes
        assert url.startswith(f"{server.url}/t/")
        async with QueueClient(server.url) as public:
            assert (await public.public_ticket(url.rsplit("/", 1)[1])).number == "C001"
        assert await waiting(server, tokens["kiosk"], "registro") == 1
        # A touch ends the session: back home, nothing of the ticket left.
        await touch(pilot, "#ticket")
        await until(pilot, lambda: screen.step == "home")
        assert panel.number == ""


async def test_waiting_counts_follow_the_branch(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig
) -> None:
    async with running_kiosk(device, VirtualPrinter()) as (pilot, screen):
        tile = screen.query_one("#service-pagos")
        assert "Nadie esperando" in str(tile.content)
        async with QueueClient(server.url, tokens["admin"]) as admin:
            for _ in range(2):
                key = f"other-kiosk-{_}"
                await admin.issue_ticket("centro", "pagos", idempotency_key=key)
        await until(pilot, lambda: "2 personas esperando" in str(tile.content))
        assert "Espera aprox." in str(tile.content)


async def test_priority_question_then_ticket_with_priority(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig
) -> None:
    printer = VirtualPrinter()
    async with running_kiosk(device, printer) as (pilot, screen):
        await touch(pilot, "#service-licencias")
        await until(pilot, lambda: screen.step == "priority")
        assert printer.tickets == []  # nothing issued before the answer
        await touch(pilot, "#priority-yes")
        await until(pilot, lambda: screen.step == "ticket")
        assert screen.query_one(TicketPanel).number == "A001"
        assert "ATENCIÓN PREFERENTE" in " ".join(" ".join(printer.printed).split())
        await touch(pilot, "#ticket")
        # The keypad works too: 2 = pagos, then "2" = no priority.
        await until(pilot, lambda: screen.step == "home")
        await pilot.press("2")
        await until(pilot, lambda: screen.step == "priority")
        await pilot.press("2")
        await until(pilot, lambda: screen.step == "ticket")
        assert screen.query_one(TicketPanel).number == "B001"
    async with QueueClient(server.url, tokens["counter1"]) as counter:
        called = await counter.call_next("centro", "1")
        assert called is not None and called.number == "A001" and called.priority
        called = await counter.call_next("centro", "1")
        assert called is not None and called.number == "B001" and not called.priority


async def test_priority_back_issues_nothing(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig
) -> None:
    printer = VirtualPrinter()
    async with running_kiosk(device, printer) as (pilot, screen):
        await touch(pilot, "#service-licencias")
        await until(pilot, lambda: screen.step == "priority")
        await touch(pilot, "#priority-back")
        await until(pilot, lambda: screen.step == "home")
    assert printer.tickets == []
    assert await waiting(server, tokens["kiosk"], "licencias") == 0


async def test_double_tap_gives_one_ticket(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig
) -> None:
    printer = VirtualPrinter()
    async with running_kiosk(device, printer, replace(FAST, tap_guard=1.0)) as (pilot, screen):
        await touch(pilot, "#service-registro")
        await pilot.click("#service-registro")  # lands on "preparing" or on the fresh ticket
        await until(pilot, lambda: screen.step == "ticket")
        await pilot.pause(0.2)
        busy = [worker for worker in pilot.app.workers if worker.group in ("issue", "printer")]
        await until(pilot, lambda: all(worker.is_finished for worker in busy))
        assert screen.step == "ticket"  # the second tap did not dismiss the ticket either
        assert len(printer.tickets) == 1
    assert await waiting(server, tokens["kiosk"], "registro") == 1


async def test_server_down_then_up(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig
) -> None:
    printer = VirtualPrinter()
    async with running_kiosk(device, printer) as (pilot, screen):
        notice = screen.query_one("#notice")
        server.stop()
        await until(pilot, lambda: not screen.available, within=10)
        assert notice.display
        assert "no podemos dar turnos" in str(notice.content)
        assert "pida ayuda al personal" in str(notice.content)
        await touch(pilot, "#service-registro")  # a touch while down gives nothing
        await pilot.pause(0.1)
        assert screen.step == "home" and printer.tickets == []

        # It comes back on the same address: the kiosk recovers by itself.
        server.start()
        await until(pilot, lambda: screen.available, within=10)
        await pilot.pause()
        assert not notice.display
        await touch(pilot, "#service-registro")
        await until(pilot, lambda: screen.step == "ticket")
        assert screen.query_one(TicketPanel).number == "C001"
        assert len(printer.tickets) == 1


async def test_a_press_lost_in_transit_reuses_its_key(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig
) -> None:
    printer = VirtualPrinter()
    async with running_kiosk(device, printer) as (pilot, screen):
        server.stop()
        # Pressed before the kiosk noticed: the issue itself fails after its retries.
        await pilot.press("3")
        await until(pilot, lambda: screen.step == "home" and not screen.available, within=10)
        (key,) = screen.session.keys.values()
        server.start()
        await until(pilot, lambda: screen.available, within=10)
        await pilot.press("3")
        await until(pilot, lambda: screen.step == "ticket")
        number = screen.query_one(TicketPanel).number
        # Replaying the kiosk's key gives back the same ticket: the kiosk used that key.
        async with QueueClient(server.url, tokens["kiosk"]) as other:
            again = await other.issue_ticket("centro", "registro", idempotency_key=key)
        assert again.number == number == "C001"
        assert screen.session.keys == {}


async def test_closed_service_is_shown_closed_and_gives_nothing(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    with serving(office_with_closed_registro(tmp_path)) as server:
        printer = VirtualPrinter()
        device = device_config(server.url, tokens["kiosk"])
        async with running_kiosk(device, printer) as (pilot, screen):
            tile = screen.query_one("#service-registro")
            assert tile.has_class("-closed") and "Cerrado" in str(tile.content)
            await touch(pilot, "#service-registro")
            await pilot.press("3")
            await pilot.pause(0.1)
            assert screen.step == "home" and printer.tickets == []


async def test_a_kiosk_over_its_tickets_a_minute_says_to_wait(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    config = office_file(tmp_path, tmp_path / "t.db", kiosk_tickets_per_minute=1)
    with serving(config) as server:
        printer = VirtualPrinter()
        device = device_config(server.url, tokens["kiosk"])
        async with running_kiosk(device, printer) as (pilot, screen):
            await pilot.press("3")
            await until(pilot, lambda: screen.step == "ticket")
            await touch(pilot, "#ticket")
            await until(pilot, lambda: screen.step == "home")
            await pilot.press("3")  # a stuck key, or a prank: the server refuses (429)
            notice = screen.query_one("#notice")
            await until(pilot, lambda: "muchos turnos seguidos" in str(notice.content))
            assert screen.step == "home" and len(printer.tickets) == 1
            assert screen.available  # the server answers; only this kiosk must wait


async def test_language_switch_and_reset_with_the_session(device: DeviceConfig) -> None:
    printer = VirtualPrinter()
    async with running_kiosk(device, printer) as (pilot, screen):
        title = screen.query_one("#home-title")
        assert str(title.content) == "Toque el trámite que viene a hacer"
        await touch(pilot, "#lang-en")
        await pilot.pause()
        assert str(title.content) == "Touch the service you came for"
        assert "Civil registry" in str(screen.query_one("#service-registro").content)
        await touch(pilot, "#service-registro")
        await until(pilot, lambda: screen.step == "ticket")
        assert "Estimated wait:" in "\n".join(printer.printed)
        assert "Keep this ticket." in "\n".join(printer.printed)
        await touch(pilot, "#ticket")
        await until(pilot, lambda: screen.step == "home")
        assert screen.language == "es"
        assert str(title.content) == "Toque el trámite que viene a hacer"


async def test_double_tap_does_not_answer_the_priority_question(
    server: ServerProcess, tokens: dict[str, str], device: DeviceConfig
) -> None:
    printer = VirtualPrinter()
    async with running_kiosk(device, printer, replace(FAST, tap_guard=1.0)) as (pilot, screen):
        await touch(pilot, "#service-pagos")
        # The second tap lands on "Yes" as soon as it shows, well within the tap guard.
        await touch(pilot, "#priority-yes")
        await pilot.pause(0.1)
        assert screen.step == "priority" and printer.tickets == []
    assert await waiting(server, tokens["kiosk"], "pagos") == 0
