"""``turnero diag``: checks a technician runs at a kiosk or a desk.

Every fault is printed with what to do about it; no traceback ever reaches the screen.
Exit codes: 0 all good, 1 a fault was found, 2 the command or the config file is wrong.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx
import typer
from rich.console import Console
from rich.table import Table

from device.config import token_acts_on, token_scope
from queue_api.client import ApiError, QueueClient, Unauthorized, Unreachable
from queue_api.schema import TokenInfo

app = typer.Typer(
    name="diag",
    help="Check printers, LED boards, the queue server and a device's configuration.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
printer_app = typer.Typer(help="Ticket printers.", no_args_is_help=True)
led_app = typer.Typer(help="LED counter boards.", no_args_is_help=True)
app.add_typer(printer_app, name="printer")
app.add_typer(led_app, name="led")

console = Console(highlight=False, soft_wrap=True)
"""Made again as each command starts (``no_traceback``): a console reads the terminal's width
(``COLUMNS`` when there is no terminal) when made, and tables are laid out to it."""

OK, FAULT, USAGE, INTERNAL = 0, 1, 2, 3

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def no_traceback(command: F) -> F:
    """Turn any unexpected error into one plain line and exit code 3, never a traceback."""

    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        global console
        console = Console(highlight=False, soft_wrap=True)
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # the technician must see words, not a stack
            console.print(f"[red]internal error:[/red] {type(exc).__name__}: {exc}")
            console.print("what to do: report this message and the command you ran")
            raise typer.Exit(INTERNAL) from None

    return guarded  # type: ignore[return-value]


@dataclass
class Check:
    """One line of a diagnostics table."""

    device: str
    where: str
    result: str = "ok"
    faults: list[tuple[str, str]] = field(default_factory=list)  # (message, advice)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.faults

    def fail(self, message: str, advice: str) -> Check:
        """Record a fault and what to do about it."""
        self.faults.append((message, advice))
        self.result = "; ".join(m for m, _ in self.faults)
        return self


def _show(checks: list[Check], title: str = "") -> int:
    """Print the table and every fault with its advice; return the exit code."""
    table = Table(title=title or None)
    for column in ("Device", "Where", "Status"):
        table.add_column(column, overflow="fold")
    for check in checks:
        status = f"[green]{check.result}[/green]" if check.ok else f"[red]{check.result}[/red]"
        table.add_row(check.device, check.where, status)
    console.print(table)
    for check in checks:
        for message, advice in check.faults:
            console.print(f"[red]FAULT[/red] {check.device}: {message}: {advice}")
    return OK if all(check.ok for check in checks) else FAULT


# -- checks, shared by the single commands and by `check` ------------------------------------


def _printer_check(url: str, profile: str | None, timeout: float, *, test_page: bool) -> Check:
    from drivers.printer import PrinterError, PrinterNotReady, open_printer

    check = Check("printer", url)
    try:
        with open_printer(url, profile=profile, timeout=timeout) as printer:
            status = printer.test_page() if test_page else printer.status()
    except PrinterNotReady as exc:
        status = exc.status
    except PrinterError as exc:
        return check.fail(exc.message, exc.advice)
    for fault in status.faults:
        check.fail(fault.message, fault.advice)
    if check.ok:
        check.result = "test page printed" if test_page else "ok"
        if url.strip() == "virtual":
            check.result = "virtual (drawn on screen)"
    return check


def _ask(url: str, token: str, call: Callable[[QueueClient], Awaitable[T]]) -> T:
    """Run one ``call`` on a QueueClient for ``url``: no retries, a technician waits 5 s."""

    async def run() -> T:
        async with QueueClient(url, token, timeout=5.0, retries=0) as client:
            return await call(client)

    return asyncio.run(run())


class _HealthRefused(Exception):
    """The health check answered an HTTP error: not a Turnero server, or one in trouble."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


async def _health_and_whoami(client: QueueClient) -> tuple[float, TokenInfo]:
    """The health check's round trip in ms, then who the token is."""
    started = time.perf_counter()
    try:
        await client.health()
    except ApiError as exc:
        raise _HealthRefused(exc.status) from None
    rtt_ms = (time.perf_counter() - started) * 1000
    return rtt_ms, await client.whoami()


def _reach_failure(check: Check, exc: Exception) -> Check:
    """The fault for a server that could not be asked, or answered with an error."""
    base = check.where
    if isinstance(exc, Unreachable):
        if isinstance(exc.__cause__, httpx.TimeoutException):
            return check.fail(
                f"no answer from {base} within 5 s", "check the network and that the server runs"
            )
        return check.fail(
            f"cannot reach {base} ({type(exc.__cause__).__name__})",
            "check the server address and port, that `turnero server` runs, and the network",
        )
    if isinstance(exc, _HealthRefused):
        return check.fail(
            f"health check answered HTTP {exc.status}",
            "check the URL points at the Turnero server and the server's log",
        )
    if isinstance(exc, Unauthorized):
        return check.fail(
            "unknown token",
            "copy this device's token from the server's config into server.token",
        )
    if isinstance(exc, ApiError):
        return check.fail(f"whoami answered HTTP {exc.status}", "check the server's log")
    return check.fail(
        "whoami did not answer who the token is", "check the URL is the Turnero server"
    )


def _api_check(
    url: str, token: str, *, branch: str | None = None, counter: str | None = None
) -> tuple[Check, TokenInfo | None]:
    base = url.rstrip("/")
    check = Check("server", base)
    try:
        rtt_ms, who = _ask(base, token, _health_and_whoami)
    # ValueError: an answer that is not Turnero's (no JSON, or not the wire model)
    except (Unreachable, ApiError, _HealthRefused, ValueError) as exc:
        return _reach_failure(check, exc), None
    scope = (who.branch or "?") + (f"/{who.counter}" if who.counter else "")
    check.result = f"ok, {rtt_ms:.0f} ms, {who.device} as {who.role} @ {scope}"
    if branch is not None and who.branch not in (None, branch):
        check.fail(
            f"token is for branch {who.branch!r}, config says {branch!r}",
            "fix server.branch or use this branch's token",
        )
    if counter is not None and branch is not None and not token_acts_on(who, branch, counter):
        check.fail(
            f"token of {who.device!r} ({token_scope(who)}) may not act on counter {counter}",
            f"put counter {counter}'s token in server.token (or fix server.counter)",
        )
    return check, who


def _show_standing_faults(url: str, token: str, branch: str, device: str | None) -> None:
    """List the faults the branch's devices reported and have not cleared (for information:
    they do not change the exit code, which is about this machine)."""
    try:
        alerts = _ask(url, token, lambda client: client.standing_alerts(branch)).alerts
    except (Unreachable, ApiError, ValueError):
        console.print(f"(the server did not list the faults reported in {branch})")
        return
    if not alerts:
        console.print(f"No device of {branch} reports a fault.")
        return
    console.print(f"Faults reported in {branch} and not cleared:")
    for alert in alerts:
        mark = " (this device)" if alert.device == device else ""
        detail = f", {alert.detail}" if alert.detail else ""
        since = alert.at.astimezone().strftime("%d %b %H:%M")  # this machine's time: the office's
        console.print(f"  {alert.device}{mark}: {alert.kind}{detail} (since {since})")


def _served_prefixes(url: str, token: str, who: TokenInfo | None) -> list[str]:
    """The ticket prefixes of the services the token's device deals with (its counter's, or
    its branch's); [] when the server does not say."""
    if who is None or who.branch is None:
        return []
    name = who.branch
    try:
        branch = _ask(url, token, lambda client: client.branch(name))
    except (Unreachable, ApiError, ValueError):
        return []
    counter = next((c for c in branch.counters if c.id == who.counter), None)
    return sorted(
        {s.prefix for s in branch.services if counter is None or s.id in counter.services}
    )


def _board_check(
    url: str,
    *,
    protocol: str,
    address: int,
    pattern: bool,
    pause: float,
    prefixes: list[str] | None = None,
    **settings: Any,
) -> tuple[Check, list[tuple[str, str]]]:
    from drivers.board import BoardError, Reply, open_board

    check = Check("LED board", f"{url} ({protocol} @ {address})")
    frames: list[tuple[str, str]] = []
    try:
        board = open_board(url, protocol=protocol, address=address, **settings)
    except BoardError as exc:
        return check.fail(exc.message, exc.advice), frames
    undrawable = [prefix for prefix in prefixes or [] if board.cannot_draw(prefix)]
    if undrawable:
        check.fail(
            f"the board cannot draw the prefix {', '.join(undrawable)}: it shows only the "
            "digits of those tickets",
            "give the service a prefix without K, M, V, W, X or Z, or use a board that draws "
            "letters",
        )
    try:
        if board.last_error is not None:
            return check.fail(board.last_error.message, board.last_error.advice), frames
        if pattern:
            # Frame by frame, so the technician sees which ones the board took.
            for text, reply in board.test_pattern(pause=pause):
                frames.append((text, reply.value))
        else:
            frames.append(("blank", board.blank().value))
    except BoardError as exc:
        frames.append(("(failed)", exc.message))
        return check.fail(exc.message, exc.advice), frames
    finally:
        board.close()
    acked = sum(1 for _, reply in frames if reply == Reply.ACK.value)
    if not check.ok:
        return check, frames  # it answers, but cannot show every ticket: the fault says so
    if url.strip() == "virtual":
        check.result = "virtual (drawn on screen)"
    elif acked:
        check.result = f"ok, {acked}/{len(frames)} frames acknowledged"
    else:
        check.result = "ok, frames sent (this protocol has no acknowledgement)"
    return check, frames


# -- commands ------------------------------------------------------------------------------


@app.command()
@no_traceback
def ports() -> None:
    """List serial ports with their USB VID:PID and description."""
    from serial.tools import list_ports

    table = Table()
    for column in ("Port", "VID:PID", "Description", "Serial number"):
        table.add_column(column)
    found = sorted(list_ports.comports(), key=lambda port: port.device)
    for port in found:
        ids = f"{port.vid:04x}:{port.pid:04x}" if port.vid is not None else "-"
        table.add_row(port.device, ids, port.description or "-", port.serial_number or "-")
    if found:
        console.print(table)
    else:
        console.print("no serial ports found: plug in the USB-serial adapter and run this again")


@printer_app.command("status")
@no_traceback
def printer_status(
    url: Annotated[str, typer.Argument(help="usb://VID:PID, serial:///dev/..., tcp://host:9100")],
    profile: Annotated[str | None, typer.Option(help="python-escpos printer profile")] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the printer")] = 3.0,
) -> None:
    """Ask a printer for its status: online, paper, cover, cutter."""
    raise typer.Exit(_show([_printer_check(url, profile, timeout, test_page=False)]))


@printer_app.command("test")
@no_traceback
def printer_test(
    url: Annotated[str, typer.Argument(help="usb://VID:PID, serial:///dev/..., tcp://host:9100")],
    profile: Annotated[str | None, typer.Option(help="python-escpos printer profile")] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the printer")] = 3.0,
) -> None:
    """Print a test page: accents and code page table, a big number, a QR code, a cut."""
    raise typer.Exit(_show([_printer_check(url, profile, timeout, test_page=True)]))


@led_app.command("test")
@no_traceback
def led_test(
    url: Annotated[str, typer.Argument(help="a pyserial URL: /dev/ttyUSB0, socket://host:port")],
    protocol: Annotated[
        str, typer.Option(help="modbus-rtu, ascii or ascii:options")
    ] = "modbus-rtu",
    address: Annotated[int, typer.Option(help="the board's bus address")] = 1,
    baudrate: Annotated[int, typer.Option()] = 9600,
    parity: Annotated[str, typer.Option(help="N, E or O")] = "N",
    bytesize: Annotated[int, typer.Option()] = 8,
    timeout: Annotated[float, typer.Option(help="seconds to wait for each ack")] = 0.5,
    digits: Annotated[int, typer.Option(help="digits on the board")] = 4,
    pause: Annotated[float, typer.Option(help="seconds each frame stays lit")] = 0.3,
) -> None:
    """Walk all segments and digits 0-9 on a board, reading each acknowledgement."""
    check, frames = _board_check(
        url,
        protocol=protocol,
        address=address,
        pattern=True,
        pause=pause,
        baudrate=baudrate,
        parity=parity.upper(),
        bytesize=bytesize,
        timeout=timeout,
        digits=digits,
    )
    table = Table(title="frames")
    table.add_column("Shown")
    table.add_column("Board answer")
    for text, reply in frames:
        table.add_row(repr(text), reply)
    if frames:
        console.print(table)
    raise typer.Exit(_show([check]))


@app.command()
@no_traceback
def api(
    url: Annotated[str, typer.Argument(help="the queue server, e.g. http://10.0.0.2:8000")],
    token: Annotated[str, typer.Option(help="this device's token", envvar="TURNERO_TOKEN")],
) -> None:
    """Reach the queue server: health, round-trip time, the token's role and scope, and the
    faults its branch's devices report."""
    check, who = _api_check(url, token)
    code = _show([check])
    if check.ok and who is not None and who.branch:
        _show_standing_faults(url, token, who.branch, who.device)
    raise typer.Exit(code)


@app.command()
@no_traceback
def check(
    path: Annotated[
        Path,
        typer.Option(
            "--config",
            envvar="TURNERO_CONFIG",
            help="device file (default: $TURNERO_CONFIG, else ./turnero.toml)",
        ),
    ] = Path("turnero.toml"),
) -> None:
    """Check every device in a device file (server, printer, board) in one table."""
    from device.config import load_device_config
    from queue_api.config_errors import ConfigError

    try:
        device = load_device_config(path)
    except ConfigError as exc:
        console.print(f"[red]config error[/red] {exc}")
        raise typer.Exit(USAGE) from None
    server, who = _api_check(
        device.base_url,
        device.server.token,
        branch=device.server.branch,
        counter=device.server.counter,
    )
    checks = [server]
    checks.append(
        _printer_check(
            device.printer.url, device.printer.profile, device.printer.timeout, test_page=False
        )
    )
    board = device.board
    checks.append(
        _board_check(
            board.url,
            protocol=board.protocol,
            address=board.address,
            pattern=False,
            pause=0,
            baudrate=board.baudrate,
            parity=board.parity,
            bytesize=board.bytesize,
            timeout=board.timeout,
            digits=board.digits,
            prefixes=_served_prefixes(device.base_url, device.server.token, who)
            if server.ok
            else None,
        )[0]
    )
    code = _show(checks, title=str(path))
    if server.ok:
        _show_standing_faults(
            device.base_url, device.server.token, device.server.branch, who.device if who else None
        )
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
