"""Port and device failures explained in plain words, built the way the libraries raise them."""

from __future__ import annotations

import errno
import os

import pytest
import serial

from drivers.port_faults import explain_file, explain_serial, explain_socket
from drivers.printer import PrinterError, open_printer


def pyserial_open_error(code: int) -> serial.SerialException:
    """What pyserial 3.5 raises when open() fails (serialposix.Serial.open)."""
    inner = OSError(code, os.strerror(code), "/dev/ttyUSB0")
    return serial.SerialException(code, f"could not open port /dev/ttyUSB0: {inner}")


@pytest.mark.parametrize(
    ("code", "message", "advice"),
    [
        (errno.ENOENT, "no serial port /dev/ttyUSB0", "turnero diag ports"),
        (errno.EACCES, "permission denied on /dev/ttyUSB0", "dialout group"),
        (errno.EAGAIN, "in use by another program", "close the other program"),
        (errno.EBUSY, "in use by another program", "ModemManager"),
    ],
)
def test_opening_a_serial_port(code: int, message: str, advice: str) -> None:
    said, todo = explain_serial("/dev/ttyUSB0", pyserial_open_error(code), opening=True)
    assert message in said and advice in todo


def test_unplugged_while_open() -> None:
    exc = serial.SerialException(
        "device reports readiness to read but returned no data "
        "(device disconnected or multiple access on port?)"
    )
    said, todo = explain_serial("/dev/ttyUSB0", exc, opening=False)
    assert "lost the connection" in said and "retried automatically" in todo


def test_write_timeout() -> None:
    said, _ = explain_serial(
        "/dev/ttyUSB0", serial.SerialTimeoutException("Write timeout"), opening=False
    )
    assert "did not take the data in time" in said


def test_socket_and_file_errors() -> None:
    assert "within 3 s" in explain_socket("h:9100", TimeoutError(), 3)[0]
    assert "unreachable" in explain_socket("h:9100", OSError(errno.EHOSTUNREACH, "x"), 3)[0]
    assert "lp group" in explain_file("/dev/usb/lp0", OSError(errno.EACCES, "x"))[1]


def test_usb_printer_without_pyusb_or_device_is_a_printer_error() -> None:
    """No USB bus here: whichever way it fails (pyusb missing, no libusb, no device), it is
    a PrinterError with advice, never a raw library error."""
    printer = open_printer("usb://04b8:0202", timeout=1)
    with pytest.raises(PrinterError) as caught:
        printer.status()
    assert caught.value.advice
