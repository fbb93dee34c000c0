"""The wire to a ticket printer: TCP, serial, USB or a device file, each with timeouts.

Each link sends bytes and reads status bytes before a deadline, and turns every failure
into a :class:`PrinterError` that says what to do, never a raw library error.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import time
from typing import Annotated, Literal, TypeVar
from urllib.parse import parse_qsl

import serial
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from drivers.port_faults import SERIAL_ERRORS, explain_file, explain_serial, explain_socket

monotonic = time.monotonic


class PrinterError(Exception):
    """A printer could not be opened or used; ``advice`` says what to do about it."""

    def __init__(self, message: str, advice: str) -> None:
        super().__init__(message)
        self.message = message
        #: What to do about it, in plain words; ``str(error)`` is the message alone.
        self.advice = advice


def _on_off(value: object) -> object:
    if isinstance(value, str):
        if value.lower() in ("1", "on", "true", "yes"):
            return True
        if value.lower() in ("0", "off", "false", "no"):
            return False
        raise PydanticCustomError("on_off", "is not on/off")
    return value


def _number(value: object) -> object:
    if isinstance(value, str):
        try:
            return int(value, 0)  # 0x82 for USB endpoints, as lsusb prints them
        except ValueError:
            raise PydanticCustomError("number", "is not a number") from None
    return value


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


OnOff = Annotated[bool, BeforeValidator(_on_off)]
Number = Annotated[int, BeforeValidator(_number)]


class LinkOptions(BaseModel):
    """The options of a printer URL (``?key=value``): unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FileOptions(LinkOptions):
    """``file://`` printers take no options."""


class TcpOptions(LinkOptions):
    #: Whether the printer answers status queries (off for write-only print servers).
    status: OnOff = True


class SerialOptions(TcpOptions):
    # parity first: with several wrong options, it is the one named (as before the models)
    parity: Annotated[Literal["N", "E", "O"], BeforeValidator(_upper)] = "N"
    baudrate: Number = 9600
    bytesize: Number = 8
    stopbits: Number = 1
    rtscts: OnOff = False
    xonxoff: OnOff = False


class UsbOptions(TcpOptions):
    in_ep: Number = 0x82
    out_ep: Number = 0x01


Options = TypeVar("Options", bound=LinkOptions)

#: What a technician reads for a wrong value, by pydantic error type: (message end, advice).
_WRONG_VALUE = {
    "on_off": ("is not on/off", "write {key}=on or off"),
    "number": ("is not a number", "write {key}=<number>"),
    "literal_error": ("is wrong", "use N, E or O"),
}


def parse_options(model: type[Options], url: str, scheme: str, query: str) -> Options:
    """The options in ``query`` of printer ``url``; a PrinterError says which one is wrong."""
    try:
        return model.model_validate(dict(parse_qsl(query, keep_blank_values=True)))
    except ValidationError as exc:
        errors = exc.errors()
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
    if unknown:
        taken = ", ".join(sorted(model.model_fields)) or "no options"
        raise PrinterError(
            f"printer URL {url!r}: unknown option {unknown[0]!r}",
            f"{scheme}:// printers take: {taken}",
        )
    key, kind, value = str(errors[0]["loc"][0]), errors[0]["type"], errors[0]["input"]
    what, advice = _WRONG_VALUE.get(kind, ("is wrong", "see the printer URL forms"))
    raise PrinterError(f"printer URL option {key}={value!r} {what}", advice.format(key=key))


class Link:
    """A connection to a printer; ``open`` is idempotent, ``close`` always safe."""

    kind = "link"
    #: Whether the printer can answer status queries through this link.
    answers_status = False
    #: Whether to close after each job (network printers print on close, serve one client).
    per_job = False

    def open(self) -> None:
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def read_byte(self, deadline: float) -> int | None:
        """The next byte from the printer, or None if nothing came before ``deadline``."""
        return None

    def discard_input(self) -> None:
        """Drop whatever the printer sent before now."""

    def close(self) -> None:
        raise NotImplementedError


class TcpLink(Link):
    """A network printer (raw port 9100): connect, send the job, read status, close."""

    kind = "tcp"
    per_job = True

    def __init__(self, host: str, port: int, timeout: float, *, answers_status: bool = True):
        self.host, self.port, self.timeout = host, port, timeout
        self.answers_status = answers_status
        self.where = f"{host}:{port}"
        self._sock: socket.socket | None = None

    def _fail(self, exc: BaseException) -> PrinterError:
        return PrinterError(*explain_socket(self.where, exc, self.timeout))

    def open(self) -> None:
        if self._sock is not None:
            return
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise self._fail(exc) from None
        # Status queries are 3-byte writes waiting for a 1-byte reply: Nagle would hold
        # each one back for a delayed ACK (~40 ms apiece).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock

    def write(self, data: bytes) -> None:
        assert self._sock is not None
        try:
            self._sock.settimeout(self.timeout)
            self._sock.sendall(data)
        except OSError as exc:
            raise self._fail(exc) from None

    def read_byte(self, deadline: float) -> int | None:
        assert self._sock is not None
        remaining = deadline - monotonic()
        if remaining <= 0:
            return None
        try:
            self._sock.settimeout(remaining)
            data = self._sock.recv(1)
        except TimeoutError:
            return None
        except OSError as exc:
            raise self._fail(exc) from None
        if not data:
            raise self._fail(ConnectionResetError())
        return data[0]

    def discard_input(self) -> None:
        assert self._sock is not None
        try:
            self._sock.setblocking(False)
            while self._sock.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:
            raise self._fail(exc) from None
        finally:
            self._sock.settimeout(self.timeout)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            # The peer may already be gone; closing is all that is left to do.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class SerialLink(Link):
    """A printer on a serial port (or USB-serial adapter), kept open across tickets."""

    kind = "serial"

    def __init__(
        self,
        port: str,
        timeout: float,
        *,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: int = 1,
        rtscts: bool = False,
        xonxoff: bool = False,
        answers_status: bool = True,
    ) -> None:
        self.port, self.timeout = port, timeout
        self.settings = {
            "baudrate": baudrate,
            "bytesize": bytesize,
            "parity": parity,
            "stopbits": stopbits,
            "rtscts": rtscts,
            "xonxoff": xonxoff,
        }
        self.answers_status = answers_status
        self._serial: serial.SerialBase | None = None

    def open(self) -> None:
        if self._serial is not None:
            return
        try:
            port = serial.serial_for_url(self.port, do_not_open=True)
            port.apply_settings(self.settings)
            port.timeout = self.timeout
            port.write_timeout = self.timeout
            port.exclusive = True
            port.open()
        except SERIAL_ERRORS as exc:
            raise PrinterError(*explain_serial(self.port, exc, opening=True)) from None
        self._serial = port

    def write(self, data: bytes) -> None:
        assert self._serial is not None
        try:
            self._serial.write(data)
        except SERIAL_ERRORS as exc:
            raise PrinterError(*explain_serial(self.port, exc, opening=False)) from None

    def read_byte(self, deadline: float) -> int | None:
        assert self._serial is not None
        remaining = deadline - monotonic()
        if remaining <= 0:
            return None
        try:
            self._serial.timeout = remaining
            data = self._serial.read(1)
        except SERIAL_ERRORS as exc:
            raise PrinterError(*explain_serial(self.port, exc, opening=False)) from None
        return data[0] if data else None

    def discard_input(self) -> None:
        assert self._serial is not None
        try:
            self._serial.reset_input_buffer()
        except SERIAL_ERRORS as exc:
            raise PrinterError(*explain_serial(self.port, exc, opening=False)) from None

    def close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            # An unplugged adapter cannot be closed cleanly; it is gone anyway.
            with contextlib.suppress(*SERIAL_ERRORS):
                port.close()


class UsbLink(Link):
    """A USB printer through python-escpos's Usb class (pyusb + libusb), with timeouts."""

    kind = "usb"

    def __init__(
        self,
        vid: int,
        pid: int,
        timeout: float,
        *,
        in_ep: int = 0x82,
        out_ep: int = 0x01,
        answers_status: bool = True,
    ) -> None:
        self.vid, self.pid, self.timeout = vid, pid, timeout
        self.in_ep, self.out_ep = in_ep, out_ep
        self.answers_status = answers_status
        self.where = f"USB printer {vid:04x}:{pid:04x}"
        self._usb = None  # escpos.printer.Usb once open
        self._pending = bytearray()

    def _fail(self, exc: BaseException) -> PrinterError:
        text = str(exc)
        if "Errno 13" in text or "Access denied" in text:
            return PrinterError(
                f"permission denied on {self.where}",
                f'add a udev rule (SUBSYSTEM=="usb", ATTRS{{idVendor}}=="{self.vid:04x}", '
                f'ATTRS{{idProduct}}=="{self.pid:04x}", MODE="0660", GROUP="lp"), put the user '
                "in group lp, then unplug and replug the printer",
            )
        if "Errno 16" in text or "Resource busy" in text:
            return PrinterError(
                f"{self.where} is held by another driver",
                "the usblp module or CUPS holds it: remove the CUPS queue or unload usblp",
            )
        if "No backend" in text or type(exc).__name__ == "NoBackendError":
            return PrinterError(
                "libusb is not installed", "install it: sudo apt install libusb-1.0-0"
            )
        if "timed out" in text.lower() or "Errno 110" in text:
            return PrinterError(
                f"{self.where} did not take the data within {self.timeout:g} s",
                "check the printer is switched on, has paper and its cover is closed",
            )
        if "not found" in text or "No such device" in text or "Errno 19" in text:
            return PrinterError(
                f"{self.where} not found",
                "check the USB cable and that the printer is on; compare the id with `lsusb`",
            )
        return PrinterError(f"{self.where}: {exc}", "unplug and replug the printer; try again")

    def open(self) -> None:
        if self._usb is not None:
            return
        try:
            from escpos.printer import Usb
        except ImportError:  # pragma: no cover - depends on the machine
            raise PrinterError("USB printing is not installed", "pip install pyusb") from None
        if not Usb.is_usable():
            raise PrinterError("USB printing needs pyusb", "install it: pip install pyusb")
        # pyusb takes milliseconds; python-escpos's default of 0 waits forever.
        printer = Usb(
            self.vid,
            self.pid,
            timeout=int(self.timeout * 1000),
            in_ep=self.in_ep,
            out_ep=self.out_ep,
        )
        try:
            printer.open()
        except Exception as exc:  # DeviceNotFoundError, NoBackendError, USBError
            raise self._fail(exc) from None
        self._usb = printer

    def write(self, data: bytes) -> None:
        assert self._usb is not None
        try:
            self._usb._raw(data)
        except Exception as exc:  # usb.core.USBError and friends
            raise self._fail(exc) from None

    def read_byte(self, deadline: float) -> int | None:
        assert self._usb is not None
        if not self._pending:
            remaining_ms = int((deadline - monotonic()) * 1000)
            if remaining_ms <= 0:
                return None
            try:
                # A whole packet: asking a bulk endpoint for less overflows if more comes.
                self._pending += bytes(self._usb.device.read(self.in_ep, 64, remaining_ms))
            except Exception as exc:
                if "timed out" in str(exc).lower() or "Errno 110" in str(exc):
                    return None
                raise self._fail(exc) from None
        if not self._pending:
            return None
        return self._pending.pop(0)

    def discard_input(self) -> None:
        assert self._usb is not None
        self._pending.clear()
        try:
            while len(self._usb.device.read(self.in_ep, 64, 10)):
                pass
        except Exception:  # a timeout here is the normal end: nothing pending
            pass

    def close(self) -> None:
        printer, self._usb = self._usb, None
        if printer is not None:
            # An unplugged printer cannot be released cleanly; it is gone anyway.
            with contextlib.suppress(Exception):
                printer.close()


class FileLink(Link):
    """A device file such as /dev/usb/lp0: write only, no status, opened for each job."""

    kind = "file"
    per_job = True

    def __init__(self, path: str, timeout: float) -> None:
        self.path, self.timeout = path, timeout
        self._fd: int | None = None

    def open(self) -> None:
        if self._fd is not None:
            return
        try:
            # Non-blocking so a printer that stops taking data cannot hang us (see write).
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)
        except OSError as exc:
            raise PrinterError(*explain_file(self.path, exc)) from None

    def write(self, data: bytes) -> None:
        assert self._fd is not None
        deadline = monotonic() + self.timeout
        view = memoryview(data)
        try:
            while view:
                try:
                    view = view[os.write(self._fd, view) :]
                except BlockingIOError:
                    remaining = deadline - monotonic()
                    if remaining <= 0:
                        raise TimeoutError from None
                    select.select([], [self._fd], [], remaining)
        except OSError as exc:
            raise PrinterError(*explain_file(self.path, exc)) from None

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
