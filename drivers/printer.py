"""Ticket printers: ESC/POS over USB, serial, TCP or a device file, and a virtual one.

Built on python-escpos 3.1 for the command set, code pages and printer profiles; the bytes
of a job are composed in memory and sent by our own transports (drivers.printer_links), so
every I/O has a short timeout and every failure is a :class:`PrinterError` with advice.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import platform
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from urllib.parse import SplitResult, urlsplit

from drivers.escpos_status import (
    LINE_NOISE,
    STATUS_QUERIES,
    Paper,
    PrinterFault,
    PrinterStatus,
    is_status_byte,
    parse_status,
)
from drivers.printer_links import (
    FileLink,
    FileOptions,
    Link,
    PrinterError,
    SerialLink,
    SerialOptions,
    TcpLink,
    TcpOptions,
    UsbLink,
    UsbOptions,
    monotonic,
    parse_options,
)
from drivers.ticket_layout import (
    Block,
    Cut,
    Qr,
    Rule,
    Text,
    TicketView,
    big_scale,
    render_text,
    test_page_layout,
    ticket_layout,
    wrap,
)


def _import_escpos() -> None:
    """Import python-escpos without its side effects on our process (HARDWARE.md)."""
    # It leaks a temp dir per process unless told where to keep its capabilities pickle.
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" in os.environ:
        _import_escpos_quietly()
        return
    uid = os.getuid() if hasattr(os, "getuid") else 0
    cache = os.path.join(tempfile.gettempdir(), f"turnero-escpos-{uid}")
    os.makedirs(cache, exist_ok=True)
    pickle = f"{platform.python_version()}.capabilities.pickle"  # python-escpos 3.1's name
    if _fresh(os.path.join(cache, pickle)):
        os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = cache
        _import_escpos_quietly()
        return
    # It writes the pickle in place when there is none or it is older than the package's
    # profiles (a fresh install): a device starting at the same moment (a kiosk and a counter
    # at boot, with /tmp just emptied) would read half a file and fail. Built aside, it is
    # moved in whole.
    aside = tempfile.mkdtemp(dir=cache)
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = aside
    try:
        _import_escpos_quietly()
        with contextlib.suppress(FileNotFoundError):
            os.replace(os.path.join(aside, pickle), os.path.join(cache, pickle))
    finally:
        shutil.rmtree(aside, ignore_errors=True)
        os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = cache


def _fresh(pickle: str) -> bool:
    """Whether python-escpos would load ``pickle`` as it is (it rebuilds an older one)."""
    spec = importlib.util.find_spec("escpos")
    folders = spec.submodule_search_locations if spec else None
    if not folders or not os.path.exists(pickle):
        return False
    profiles = os.path.join(next(iter(folders)), "capabilities.json")
    return os.path.getmtime(profiles) <= os.path.getmtime(pickle)


def _import_escpos_quietly() -> None:
    # It calls logging.basicConfig() on import: take back any handler it added to the root.
    root = logging.getLogger()
    before = list(root.handlers)
    import escpos.escpos  # noqa: F401

    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)


_import_escpos()

from escpos.capabilities import BaseProfile, get_profile  # noqa: E402
from escpos.escpos import Escpos  # noqa: E402

__all__ = [
    "EscposPrinter",
    "Paper",
    "PrinterError",
    "PrinterFault",
    "PrinterNotReady",
    "PrinterStatus",
    "TicketPrinter",
    "TicketView",
    "VirtualPrinter",
    "open_printer",
]

#: Code pages with á é í ó ú ñ ü ¿ ¡, best first: CP858 also has the uppercase ones and €.
SPANISH_CODE_PAGES = ("CP858", "CP850", "CP1252", "ISO_8859-15", "CP437")
#: ESC/POS "cancel Kanji character mode": some Xprinter models boot in Chinese mode.
CANCEL_CHINESE_MODE = b"\x1c\x2e"

URL_FORMS = (
    "usb://VID:PID, serial:///dev/ttyUSB0?baudrate=19200, tcp://host:9100, "
    "file:///dev/usb/lp0 or virtual"
)


class PrinterNotReady(PrinterError):
    """The printer reports a fault (or no status at all) that stops a ticket."""

    def __init__(self, status: PrinterStatus, *, held: bool = False) -> None:
        fault = next(iter(f for f in status.faults if f.blocking), status.faults[0])
        prefix = "the ticket is held by the printer: " if held else ""
        super().__init__(prefix + fault.message, fault.advice)
        self.status = status
        #: True when the ticket was sent and the fault appeared after: it prints once cleared.
        self.held = held


class TicketPrinter:
    """A ticket printer, as the kiosk sees it."""

    url: str = ""
    columns: int = 42

    def print_ticket(self, view: TicketView) -> PrinterStatus:
        """Print one ticket; raise PrinterNotReady/PrinterError if it could not be printed."""
        raise NotImplementedError

    def status(self) -> PrinterStatus:
        """The printer's current status; "unknown" (never ok) when it cannot be read."""
        raise NotImplementedError

    def test_page(self) -> PrinterStatus:
        """Print a test page: accents and code page table, big number, QR, cut."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the connection; the object reconnects by itself if used again."""

    def __enter__(self) -> TicketPrinter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class VirtualPrinter(TicketPrinter):
    """A printer drawn on screen (the demo's paper strip), from the same layout as the paper."""

    def __init__(self, columns: int = 42) -> None:
        self.url = "virtual"
        self.columns = columns
        #: The last ticket as text lines; ``tickets`` keeps every one, oldest first.
        self.printed: list[str] = []
        self.tickets: list[list[str]] = []
        #: The layout blocks of the last ticket, for a screen that draws the number big.
        self.blocks: list[Block] = []
        self._status = PrinterStatus(known=True, online=True, paper=Paper.OK)

    def simulate(self, status: PrinterStatus) -> None:
        """Make the virtual printer report ``status`` (demos and tests of the fault screens)."""
        self._status = status

    def status(self) -> PrinterStatus:
        """The simulated status: ok unless :meth:`simulate` said otherwise."""
        return self._status

    def print_ticket(self, view: TicketView) -> PrinterStatus:
        """Render the ticket to ``printed``; raise PrinterNotReady if a fault is simulated."""
        return self._print(ticket_layout(view))

    def test_page(self) -> PrinterStatus:
        """Render the test page to ``printed``."""
        return self._print(test_page_layout("cp858", "CP858"))

    def _print(self, blocks: list[Block]) -> PrinterStatus:
        if not self._status.ok:
            raise PrinterNotReady(self._status)
        self.blocks = blocks
        self.printed = render_text(blocks, self.columns)
        self.tickets.append(self.printed)
        return self._status


class _JobBuffer(Escpos):
    """python-escpos writing into memory: a whole job is then sent in one timed write."""

    def __init__(self, profile: str | None) -> None:
        super().__init__(profile=profile)
        self.buffer = bytearray()

    def _raw(self, msg: bytes) -> None:
        self.buffer += msg

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


class EscposPrinter(TicketPrinter):
    """An ESC/POS printer on a link; one long-lived object serves every ticket of the day."""

    def __init__(
        self, url: str, link: Link, profile: str | None, code_page: str, timeout: float
    ) -> None:
        self.url = url
        self.link = link
        self._job = _JobBuffer(profile)
        self.profile: BaseProfile = self._job.profile
        self.code_page = code_page
        # Profiles may list a page at two slots (POS-5890: CP858 at 19 and 53) and
        # python-escpos keeps the last; the lowest is the one ESC/POS printers share.
        self._job.magic.encoder.codepages[code_page] = min(
            int(slot) for slot, name in self.profile.codePages.items() if name == code_page
        )
        self.timeout = timeout
        self.columns: int = self.profile.get_columns("a")
        # Kiosk workers may ask for status while a ticket prints: one exchange at a time,
        # and one job in the composing buffer at a time (re-entered by _session).
        self._lock = threading.RLock()

    # -- composing -------------------------------------------------------------------------

    def compose(self, blocks: list[Block]) -> bytes:
        """The ESC/POS bytes of a job, starting from a printer reset."""
        with self._lock:
            job = self._job
            job.buffer.clear()
            job.hw("INIT")
            job._raw(CANCEL_CHINESE_MODE)
            # python-escpos 3.1 keeps its cached code page after ESC @ while the printer went back
            # to CP437 ("Se±al" on the 2nd ticket): forget it so ESC t is sent again every job.
            job.magic.encoding = None
            job.magic.encoder.used_encodings.clear()
            job.charcode(self.code_page)
            for block in blocks:
                self._compose_block(job, block)
            return job.take()

    def _compose_block(self, job: _JobBuffer, block: Block) -> None:
        if isinstance(block, Text):
            if block.big:
                scale = big_scale(block.text, self.columns)
                job.set(align="center", bold=True, custom_size=True, width=scale, height=scale)
                job.textln(block.text)
                # GS ! 0 and ESC ! 0: printers differ in which of the two resets the size.
                job.set(custom_size=True, width=1, height=1)
                job.set(normal_textsize=True, bold=False)
                return
            job.set(align=block.align, bold=block.bold, normal_textsize=True)
            for line in wrap(block.text, self.columns):
                job.textln(line)
            if block.bold:
                job.set(bold=False)
        elif isinstance(block, Rule):
            job.set(align="left")
            job.textln("-" * self.columns)
        elif isinstance(block, Qr):
            job.set(align="center")
            size = 6 if self.columns >= 42 else 4
            if self.profile.supports("qrCode"):
                job.qr(block.data, size=size, native=True)
            else:
                # Rendered as an image; python-escpos print()s remarks about the profile.
                with contextlib.redirect_stdout(io.StringIO()):
                    job.qr(block.data, size=size, native=False, center=True)
            job.set(align="center")
        elif isinstance(block, Cut):
            job.cut()

    # -- talking ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _session(self) -> Iterator[Link]:
        """The link, open, for one exchange; closed after it if the link wants that (TCP)."""
        with self._lock:
            try:
                self.link.open()
                yield self.link
            except PrinterNotReady:
                raise  # the link is fine: the printer said what is wrong
            except PrinterError:
                self.link.close()  # reopened on the next call: the printer may be back
                raise
            finally:
                if self.link.per_job:
                    self.link.close()

    def _read_status(self, link: Link) -> PrinterStatus:
        if not link.answers_status:
            return PrinterStatus.unknown(
                f"{link.kind} connections cannot report printer status",
                "check paper and cover by eye; use a USB, serial or network connection to "
                "see faults on screen",
            )
        deadline = monotonic() + self.timeout
        link.discard_input()  # stale replies (or automatic status) would be misread
        replies: list[int] = []
        for query in STATUS_QUERIES:
            link.write(query)
            while True:
                byte = link.read_byte(deadline)
                if byte is None:
                    return PrinterStatus.unknown(
                        f"the printer did not answer within {self.timeout:g} s",
                        "check it is switched on and connected; if this model cannot report "
                        "status, add ?status=off to its URL",
                        failed=True,
                    )
                if is_status_byte(byte):
                    replies.append(byte)
                    break
                if byte not in LINE_NOISE:
                    # Another kind of service (a web page, a banner): reading on would take
                    # letters of its text for status bits ("paper out; head too hot").
                    return PrinterStatus.unknown(
                        f"not a printer: the answer to a status query began with 0x{byte:02x}, "
                        "not an ESC/POS status byte",
                        "check the URL points at the printer (network printers listen on port "
                        "9100); if this model cannot report status, add ?status=off to its URL",
                        failed=True,
                    )
        return parse_status(*replies)

    def status(self) -> PrinterStatus:
        """Read DLE EOT 1..4 (within ``timeout`` overall) and decode them ourselves."""
        with self._session() as link:
            return self._read_status(link)

    def _print_job(self, blocks: list[Block]) -> PrinterStatus:
        with self._lock, self._session() as link:
            data = self.compose(blocks)
            before = self._read_status(link)
            if link.answers_status and not before.ok:
                raise PrinterNotReady(before)
            link.write(data)
            # Out of paper raises nothing: the printer just holds the job. Ask again.
            after = self._read_status(link) if before.known else before
        if after.known and not after.ok:
            raise PrinterNotReady(after, held=True)
        return after

    def print_ticket(self, view: TicketView) -> PrinterStatus:
        """Check status, send the ticket, check status again; return the status after."""
        return self._print_job(ticket_layout(view))

    def test_page(self) -> PrinterStatus:
        """Print the technician's test page."""
        charset = self.code_page.lower().replace("iso_", "iso").replace("-", "_")
        return self._print_job(test_page_layout(charset, self.code_page))

    def close(self) -> None:
        """Close the link (it reopens on the next call)."""
        with self._lock:
            self.link.close()


def _profile(name: str | None) -> BaseProfile:
    try:
        return get_profile(name) if name else get_profile()
    except KeyError:
        from escpos.capabilities import CAPABILITIES

        raise PrinterError(
            f"unknown printer profile {name!r}",
            "use a python-escpos profile name such as "
            + ", ".join(sorted(CAPABILITIES["profiles"])[:8])
            + " ... or leave it empty for the default",
        ) from None


def _code_page(profile: BaseProfile, name: str | None) -> str:
    pages = profile.get_code_pages()
    for page in SPANISH_CODE_PAGES:
        if page in pages:
            return page
    raise PrinterError(
        f"printer profile {name or 'default'!r} has no code page with Spanish accents",
        "choose a profile that lists CP858 or CP850 (e.g. TM-T20II, TM-T88V)",
    )


def _tcp_link(url: str, parts: SplitResult, timeout: float) -> Link:
    options = parse_options(TcpOptions, url, "tcp", parts.query)
    if not parts.hostname:
        raise PrinterError(f"printer URL {url!r} has no host", "write tcp://192.168.1.50:9100")
    try:
        port = parts.port or 9100
    except ValueError:
        raise PrinterError(f"printer URL {url!r} has a bad port", "write tcp://host:9100") from None
    return TcpLink(parts.hostname, port, timeout, answers_status=options.status)


def _serial_link(url: str, parts: SplitResult, timeout: float) -> Link:
    options = parse_options(SerialOptions, url, "serial", parts.query)
    device = parts.path if parts.path not in ("", "/") else parts.netloc
    if parts.netloc and parts.path not in ("", "/"):
        device = "//" + parts.netloc + parts.path  # serial://host/... is not a device path
    if not device:
        raise PrinterError(
            f"printer URL {url!r} names no port", "write serial:///dev/ttyUSB0?baudrate=19200"
        )
    settings = options.model_dump(exclude={"status"})
    return SerialLink(device, timeout, answers_status=options.status, **settings)


def _usb_link(url: str, parts: SplitResult, timeout: float) -> Link:
    options = parse_options(UsbOptions, url, "usb", parts.query)
    try:
        vid, pid = (int(part, 16) for part in parts.netloc.split(":"))
    except ValueError:
        raise PrinterError(
            f"printer URL {url!r}: the USB id is not VID:PID in hex",
            "write usb://04b8:0202 (see `lsusb`)",
        ) from None
    return UsbLink(
        vid,
        pid,
        timeout,
        in_ep=options.in_ep,
        out_ep=options.out_ep,
        answers_status=options.status,
    )


def _file_link(url: str, parts: SplitResult, timeout: float) -> Link:
    parse_options(FileOptions, url, "file", parts.query)
    if not parts.path:
        raise PrinterError(f"printer URL {url!r} names no file", "write file:///dev/usb/lp0")
    return FileLink(parts.path, timeout)


#: The link for each URL scheme; each parses its URL's options with a model of printer_links.
LINKS: dict[str, Callable[[str, SplitResult, float], Link]] = {
    "usb": _usb_link,
    "serial": _serial_link,
    "tcp": _tcp_link,
    "file": _file_link,
}


def open_printer(url: str, *, profile: str | None = None, timeout: float = 3.0) -> TicketPrinter:
    """A printer for ``url``; checks the URL and profile now, connects on first use."""
    url = url.strip()
    if not timeout > 0:
        raise PrinterError(f"printer timeout {timeout!r} is not positive", "use e.g. 3 seconds")
    if url == "virtual":
        return VirtualPrinter()
    parts = urlsplit(url)
    make_link = LINKS.get(parts.scheme)
    if make_link is None:
        raise PrinterError(f"printer URL {url!r} is not understood", f"write it as {URL_FORMS}")
    link = make_link(url, parts, timeout)
    code_page = _code_page(_profile(profile), profile)
    return EscposPrinter(url, link, profile, code_page, timeout)
