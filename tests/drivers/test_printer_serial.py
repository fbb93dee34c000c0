"""A serial printer on the far end of a real socat pty pair."""

from __future__ import annotations

import os
import time

import pytest

from drivers.escpos_status import Paper
from drivers.printer import PrinterError, PrinterNotReady, open_printer
from tests.drivers.escpos_decoder import decode
from tests.drivers.fixtures import (
    STATUS_REPLIES,
    FakeSerialPrinter,
    PtyPair,
    socat_pty_pair,
    wait_readable,
)
from tests.drivers.test_ticket_bytes import ACCENTS, VIEW, TicketView


@pytest.mark.parametrize("state", sorted(STATUS_REPLIES))
def test_status_of_each_state(pty_pair: PtyPair, state: str) -> None:
    with FakeSerialPrinter(pty_pair.far, state=state) as fake:
        printer = open_printer(f"serial://{pty_pair.near}?baudrate=19200", timeout=2)
        status = printer.status()
        printer.close()
    assert status.known
    assert fake.brain.queries == [1, 2, 3, 4]
    assert status.ok is (state in ("ok", "near_end"))
    if state == "paper_out":
        assert status.paper is Paper.OUT and status.faults[0].advice == "load a new paper roll"


def test_ticket_over_serial_decodes_with_accents(pty_pair: PtyPair) -> None:
    with FakeSerialPrinter(pty_pair.far) as fake:
        printer = open_printer(f"serial://{pty_pair.near}", timeout=2)
        for n in range(3):
            printer.print_ticket(
                TicketView(**{**VIEW.__dict__, "number": f"C{n}", "footer": ACCENTS})
            )
        data = fake.wait_for_bytes(b"C2\n")
        printer.close()
    texts = decode(data).texts
    assert texts.count(ACCENTS) == 3 and "C0" in texts and "C2" in texts


def test_stale_input_is_flushed_before_asking(pty_pair: PtyPair) -> None:
    with FakeSerialPrinter(pty_pair.far, state="ok") as fake:
        printer = open_printer(f"serial://{pty_pair.near}", timeout=2)
        printer.status()  # opens the port
        fake.send(bytes([STATUS_REPLIES["paper_out"][0]]))  # an old "offline" reply
        wait_readable(printer.link._serial.fileno())  # type: ignore[attr-defined]
        status = printer.status()
        printer.close()
    assert status.ok, status.summary()


def test_silent_serial_printer_is_unknown_within_the_timeout(pty_pair: PtyPair) -> None:
    with FakeSerialPrinter(pty_pair.far, silent=True):
        printer = open_printer(f"serial://{pty_pair.near}", timeout=0.3)
        started = time.monotonic()
        status = printer.status()
        assert time.monotonic() - started < 1
        with pytest.raises(PrinterNotReady):
            printer.print_ticket(VIEW)
        printer.close()
    assert not status.known and "did not answer" in status.summary()


def test_missing_port_says_so() -> None:
    printer = open_printer("serial:///dev/ttyTURNERO-NONE", timeout=0.5)
    with pytest.raises(PrinterError, match="no serial port /dev/ttyTURNERO-NONE") as caught:
        printer.status()
    assert "turnero diag ports" in caught.value.advice


def test_port_held_by_another_program(pty_pair: PtyPair) -> None:
    with FakeSerialPrinter(pty_pair.far):
        first = open_printer(f"serial://{pty_pair.near}", timeout=1)
        first.status()  # keeps the port open, exclusively
        with pytest.raises(PrinterError, match="in use by another program"):
            open_printer(f"serial://{pty_pair.near}", timeout=1).status()
        first.close()


def test_unplugged_printer_errors_then_recovers(tmp_path) -> None:
    near, far = tmp_path / "printer", tmp_path / "printer-far"
    pair = socat_pty_pair(near, far)
    with pair as first, FakeSerialPrinter(first.far):
        printer = open_printer(f"serial://{near}", timeout=0.5)
        assert printer.status().ok
        first.stop()  # the USB adapter is pulled out
        with pytest.raises(PrinterError, match="lost the connection") as caught:
            printer.status()
        assert "retried automatically" in caught.value.advice
        assert not os.path.exists(near)
    with socat_pty_pair(near, far) as second, FakeSerialPrinter(second.far, state="cover_open"):
        assert printer.status().cover_open  # reopened by itself
        printer.close()


def test_file_printer_writes_the_job_and_cannot_tell_status(tmp_path) -> None:
    target = tmp_path / "lp0"
    target.write_bytes(b"")
    printer = open_printer(f"file://{target}")
    status = printer.print_ticket(VIEW)
    printer.print_ticket(VIEW)
    assert not status.known and "cannot report" in status.summary()
    receipt = decode(target.read_bytes())
    assert receipt.qr_codes == [VIEW.url, VIEW.url] and receipt.cuts == 2


def test_file_printer_missing_device() -> None:
    with pytest.raises(PrinterError, match="no device file") as caught:
        open_printer("file:///dev/usb/lp-turnero-none").print_ticket(VIEW)
    assert "plugged in" in caught.value.advice
