"""Plain-words explanations for the ways a serial port, a socket or a device file fails.

Shared by the printer and the board: each returns ``(message, advice)`` for an exception, so
no raw library error (or traceback) ever reaches a clerk or a technician.
"""

from __future__ import annotations

import errno
import re

import serial

try:
    from termios import error as _TermiosError
except ImportError:  # pragma: no cover - Windows

    class _TermiosError(Exception):  # type: ignore[no-redef]
        pass


#: Everything pyserial lets through when a port fails (tcflush raises termios.error).
SERIAL_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ValueError,
    serial.SerialException,
    _TermiosError,
)

_LIST_PORTS = "list the ports with `turnero diag ports`"


def _errno_of(exc: BaseException) -> int | None:
    """The errno inside an exception, also when pyserial only kept it in the message."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc.errno
    for inner in (exc.__cause__, exc.__context__):
        if isinstance(inner, OSError) and inner.errno is not None:
            return inner.errno
    if isinstance(exc, _TermiosError) and exc.args and isinstance(exc.args[0], int):
        return exc.args[0]
    # pyserial formats "could not open port X: [Errno 13] Permission denied: 'X'"
    found = re.search(r"\[Errno (\d+)\]", str(exc))
    return int(found.group(1)) if found else None


def explain_serial(port: str, exc: BaseException, *, opening: bool) -> tuple[str, str]:
    """Describe a failure on serial port ``port`` while opening it or talking through it."""
    if isinstance(exc, serial.SerialTimeoutException):
        return (
            f"{port} did not take the data in time",
            "check the device is switched on and the cable is plugged in; check the flow "
            "control and baud rate in the configuration",
        )
    code = _errno_of(exc)
    if code == errno.ENOENT:
        return (
            f"no serial port {port}",
            "check the cable or USB adapter is plugged in and the port name is right; "
            + _LIST_PORTS,
        )
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied on {port}",
            "add the user to the dialout group (sudo usermod -aG dialout $USER) and log in again",
        )
    if code in (errno.EAGAIN, errno.EBUSY):
        return (
            f"{port} is in use by another program",
            "close the other program using it (another Turnero app, a serial console, "
            "ModemManager) and try again",
        )
    if code == errno.ENOTTY:
        return (
            f"{port} is not a serial port",
            f"check the port name in the configuration; {_LIST_PORTS}",
        )
    if opening:
        return (
            f"cannot open {port} ({exc})",
            f"check the port name and that the device is plugged in; {_LIST_PORTS}",
        )
    # Adapter unplugged while open: EIO, or "readiness to read but returned no data".
    return (
        f"lost the connection to {port} (unplugged?)",
        "check the cable and USB adapter; the connection is retried automatically",
    )


def explain_socket(where: str, exc: BaseException, timeout: float) -> tuple[str, str]:
    """Describe a failure talking TCP to ``where`` (host:port)."""
    if isinstance(exc, TimeoutError):
        return (
            f"no answer from {where} within {timeout:g} s",
            "check the device is switched on, its network cable, and its IP address",
        )
    if isinstance(exc, ConnectionRefusedError):
        return (
            f"{where} refused the connection",
            "check the IP address and port (printers usually listen on 9100) and that no "
            "other computer is printing to it right now",
        )
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return (
            f"{where} dropped the connection",
            "check the device is switched on and its network cable; try again",
        )
    code = _errno_of(exc)
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return (
            f"{where} is unreachable",
            "check the network cable and that this computer and the device share a network",
        )
    if isinstance(exc, OSError) and "Name or service not known" in str(exc):
        return (f"unknown host in {where}", "check the host name or use the IP address")
    return (f"network error with {where} ({exc})", "check the device and the network")


def explain_file(path: str, exc: BaseException) -> tuple[str, str]:
    """Describe a failure opening or writing a device file such as /dev/usb/lp0."""
    code = _errno_of(exc)
    if code == errno.ENOENT:
        return (
            f"no device file {path}",
            "check the printer is plugged in and switched on (it appears as /dev/usb/lpN)",
        )
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied on {path}",
            "add the user to the lp group (sudo usermod -aG lp $USER) and log in again",
        )
    if code == errno.EBUSY:
        return (f"{path} is in use by another program", "stop CUPS or the other program using it")
    if code == errno.ENXIO:
        return (f"nothing is reading {path}", "check the device behind it is connected")
    if isinstance(exc, TimeoutError):
        return (
            f"{path} did not take the data in time",
            "check the printer is switched on, has paper and its cover is closed",
        )
    return (f"cannot use {path} ({exc})", "check the device file and the printer")
