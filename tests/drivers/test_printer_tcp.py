"""A network printer on 127.0.0.1: real sockets, a fake printer answering DLE EOT."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from drivers.escpos_status import Paper
from drivers.printer import PrinterError, PrinterNotReady, open_printer
from tests.drivers.escpos_decoder import decode
from tests.drivers.fixtures import FakeTcpPrinter
from tests.drivers.test_ticket_bytes import ACCENTS, VIEW, TicketView


def test_ticket_goes_out_and_the_connection_closes_after_it() -> None:
    with FakeTcpPrinter() as fake:
        printer = open_printer(fake.url, profile="TM-T20II", timeout=2)
        status = printer.print_ticket(VIEW)
        (job,) = fake.wait_jobs(1)  # the printer saw the connection close: it prints now
    assert status.ok and status.paper is Paper.OK
    receipt = decode(job)
    assert receipt.qr_codes == [VIEW.url] and receipt.cuts == 1
    assert "Trámites: DNI y Señal" in receipt.texts
    # Status asked before the ticket (1..4) and after it (1..4).
    assert fake.brains[0].queries == [1, 2, 3, 4, 1, 2, 3, 4]


def test_hundred_tickets_from_one_printer_object_keep_their_accents() -> None:
    with FakeTcpPrinter() as fake:
        printer = open_printer(fake.url, profile="TM-T20II", timeout=2)
        for n in range(100):
            printer.print_ticket(
                TicketView(**{**VIEW.__dict__, "number": f"B{n:03d}", "footer": ACCENTS})
            )
        jobs = fake.wait_jobs(100)
    for n, job in enumerate(jobs):
        receipt = decode(job)
        assert ACCENTS in receipt.texts, f"ticket {n + 1}"
        assert f"B{n:03d}" in receipt.texts


@pytest.mark.parametrize("state", ["paper_out", "cover_open", "offline"])
def test_a_fault_stops_the_ticket_before_it_is_sent(state: str) -> None:
    with FakeTcpPrinter(state=state) as fake:
        printer = open_printer(fake.url, timeout=2)
        with pytest.raises(PrinterNotReady) as caught:
            printer.print_ticket(VIEW)
        (job,) = fake.wait_jobs(1)
    assert not caught.value.held and caught.value.advice
    assert job == b""  # only status queries went out


def test_paper_running_out_during_the_ticket_is_reported_as_held() -> None:
    with FakeTcpPrinter(state_after_job="paper_out") as fake:
        printer = open_printer(fake.url, timeout=2)
        with pytest.raises(PrinterNotReady, match="held by the printer: paper out") as caught:
            printer.print_ticket(VIEW)
    assert caught.value.held and caught.value.status.paper is Paper.OUT


def test_near_end_prints_with_a_warning() -> None:
    with FakeTcpPrinter(state="near_end") as fake:
        status = open_printer(fake.url, timeout=2).print_ticket(VIEW)
        fake.wait_jobs(1)
    assert status.ok and [f.code for f in status.faults] == ["paper_near_end"]


def test_status_skips_noise_bytes() -> None:
    with FakeTcpPrinter(state="cover_open", noise=b"\x00\xff") as fake:
        status = open_printer(fake.url, timeout=2).status()
    assert status.cover_open and not status.ok


def test_a_service_that_is_not_a_printer_is_said_so_never_paper_out() -> None:
    """A web server on the printer's address answers text; some of its letters have the
    shape of status bytes ('R' is 0x52, 'r' 0x72), so they must not be read as status."""
    answer = b"HTTP/1.1 400 Bad Request\r\nServer: srv\r\nContent-Type: text/plain\r\n\r\n"

    def serve(listener: socket.socket) -> None:
        connection, _ = listener.accept()
        with connection:
            while connection.recv(1024):
                connection.sendall(answer)

    with socket.create_server(("127.0.0.1", 0)) as listener:
        threading.Thread(target=serve, args=(listener,), daemon=True).start()
        port = listener.getsockname()[1]
        status = open_printer(f"tcp://127.0.0.1:{port}", timeout=2).status()
    assert not status.known and not status.ok
    assert [fault.code for fault in status.faults] == ["unknown"]
    assert "not a printer" in status.summary() and "9100" in status.summary()
    assert "paper" not in status.summary()


def test_a_printer_that_never_answers_costs_one_timeout_not_a_hang() -> None:
    with FakeTcpPrinter(silent=True) as fake:
        printer = open_printer(fake.url, timeout=0.5)
        started = time.monotonic()
        status = printer.status()
        assert time.monotonic() - started < 1.5
        assert not status.known and not status.ok
        assert "did not answer within 0.5 s" in status.faults[0].message
        started = time.monotonic()
        with pytest.raises(PrinterNotReady, match="status unknown"):
            printer.print_ticket(VIEW)
        assert time.monotonic() - started < 1.5


def test_status_off_prints_blind_and_says_unknown() -> None:
    with FakeTcpPrinter(silent=True) as fake:
        status = open_printer(fake.url + "?status=off", timeout=0.5).print_ticket(VIEW)
        (job,) = fake.wait_jobs(1)
    assert not status.known and decode(job).qr_codes == [VIEW.url]


def test_refused_connection_is_a_printer_error_with_advice() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    printer = open_printer(f"tcp://127.0.0.1:{port}", timeout=1)
    with pytest.raises(PrinterError, match="refused the connection") as caught:
        printer.status()
    assert "9100" in caught.value.advice


def test_a_printer_that_accepts_but_never_reads_times_out_on_write() -> None:
    """A listener that never reads: the kernel buffers fill and the write must give up."""
    with socket.create_server(("127.0.0.1", 0), backlog=1) as server:
        printer = open_printer(f"tcp://127.0.0.1:{server.getsockname()[1]}", timeout=0.5)
        link = printer.link  # type: ignore[attr-defined]
        link.open()
        started = time.monotonic()
        with pytest.raises(PrinterError, match=r"no answer from 127\.0\.0\.1") as caught:
            link.write(b"\x00" * 64_000_000)  # far more than any socket buffer
        assert time.monotonic() - started < 2
        assert "network cable" in caught.value.advice
        printer.close()
