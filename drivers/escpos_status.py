"""What an ESC/POS printer says about itself: DLE EOT queries and their typed meaning.

Pure code: bytes in, :class:`PrinterStatus` out. python-escpos 3.1 reports "paper ok" when
the printer says nothing, so we parse the replies ourselves (HARDWARE.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: DLE EOT n, the real-time status queries, in the order we send them.
QUERY_PRINTER = b"\x10\x04\x01"
QUERY_OFFLINE_CAUSE = b"\x10\x04\x02"
QUERY_ERROR_CAUSE = b"\x10\x04\x03"
QUERY_ROLL_PAPER = b"\x10\x04\x04"
STATUS_QUERIES: tuple[bytes, ...] = (
    QUERY_PRINTER,
    QUERY_OFFLINE_CAUSE,
    QUERY_ERROR_CAUSE,
    QUERY_ROLL_PAPER,
)


#: Bytes a serial line or its flow control may put before a reply (a break, an idle glitch,
#: XON, XOFF): skipped. Any other byte that is not a status byte is not an answer at all.
LINE_NOISE = frozenset({0x00, 0xFF, 0x11, 0x13})


def is_status_byte(value: int) -> bool:
    """True for a byte shaped like a DLE EOT reply (0xx1xx10); anything else is noise."""
    return (value & 0x93) == 0x12


class Paper(StrEnum):
    """The roll, as the paper sensors see it."""

    OK = "ok"
    NEAR_END = "near end"
    OUT = "out"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PrinterFault:
    """One thing wrong with the printer, in words a clerk or technician can act on."""

    code: str
    message: str
    advice: str
    #: False for warnings that still let the printer print (paper near end).
    blocking: bool = True

    def __str__(self) -> str:
        return f"{self.message}: {self.advice}"


FAULT_PAPER_OUT = PrinterFault("paper_out", "paper out", "load a new paper roll")
FAULT_PAPER_NEAR_END = PrinterFault(
    "paper_near_end", "paper near end", "have a new roll ready", blocking=False
)
FAULT_COVER_OPEN = PrinterFault("cover_open", "cover open", "close the printer cover")
FAULT_CUTTER = PrinterFault(
    "cutter_error",
    "cutter jammed",
    "open the cover, clear the paper stuck in the cutter, close the cover",
)
FAULT_UNRECOVERABLE = PrinterFault(
    "unrecoverable",
    "printer failure",
    "switch the printer off and on; if the error stays, call the service technician",
)
FAULT_HEAD_HOT = PrinterFault(
    "head_hot", "print head too hot", "wait a minute: the printer resumes by itself"
)
FAULT_ERROR = PrinterFault(
    "error", "printer error", "check the printer's error light; switch it off and on"
)
FAULT_OFFLINE = PrinterFault(
    "offline",
    "printer offline",
    "check the printer is switched on and ready (no blinking light); press FEED once",
)


@dataclass(frozen=True)
class PrinterStatus:
    """The printer's state; ``known`` is False when the transport or the printer cannot tell."""

    known: bool
    online: bool = False
    paper: Paper = Paper.UNKNOWN
    cover_open: bool = False
    cutter_error: bool = False
    unrecoverable: bool = False
    head_hot: bool = False
    error: bool = False
    #: Why the status is unknown, and what to do about it (empty when known).
    reason: str = ""
    advice: str = ""
    #: Unknown because the printer was asked and no valid answer came (unreachable, silent,
    #: not a printer): a fault. False when the connection just cannot report status.
    failed: bool = False

    @classmethod
    def unknown(cls, reason: str, advice: str, *, failed: bool = False) -> PrinterStatus:
        """A status that could not be read: never "ok"."""
        return cls(known=False, reason=reason, advice=advice, failed=failed)

    @property
    def faults(self) -> list[PrinterFault]:
        """Everything wrong, most useful first; an unknown status is itself a fault."""
        if not self.known:
            return [PrinterFault("unknown", f"status unknown ({self.reason})", self.advice)]
        faults: list[PrinterFault] = []
        if self.paper is Paper.OUT:
            faults.append(FAULT_PAPER_OUT)
        if self.cover_open:
            faults.append(FAULT_COVER_OPEN)
        if self.cutter_error:
            faults.append(FAULT_CUTTER)
        if self.unrecoverable:
            faults.append(FAULT_UNRECOVERABLE)
        if self.head_hot:
            faults.append(FAULT_HEAD_HOT)
        if self.error and not (self.cutter_error or self.unrecoverable or self.head_hot):
            faults.append(FAULT_ERROR)
        # Offline is the symptom of the causes above: only worth saying on its own.
        if not self.online and not faults:
            faults.append(FAULT_OFFLINE)
        if self.paper is Paper.NEAR_END:
            faults.append(FAULT_PAPER_NEAR_END)
        return faults

    @property
    def ok(self) -> bool:
        """True when the status is known and nothing stops printing (warnings allowed)."""
        return self.known and not any(fault.blocking for fault in self.faults)

    def summary(self) -> str:
        """One line for a screen or a table: "ok", or the faults joined."""
        if self.ok and not self.faults:
            return "ok"
        return "; ".join(str(fault) for fault in self.faults)


def parse_status(
    printer: int, offline_cause: int, error_cause: int, roll_paper: int
) -> PrinterStatus:
    """Decode the four DLE EOT reply bytes (n = 1, 2, 3, 4) into a status."""
    replies = (printer, offline_cause, error_cause, roll_paper)
    for n, value in enumerate(replies, start=1):
        if not is_status_byte(value):
            raise ValueError(f"DLE EOT {n} reply 0x{value:02x} is not a status byte")
    if roll_paper & 0x60 or offline_cause & 0x20:
        paper = Paper.OUT
    elif roll_paper & 0x0C:
        paper = Paper.NEAR_END
    else:
        paper = Paper.OK
    return PrinterStatus(
        known=True,
        online=not printer & 0x08,
        paper=paper,
        cover_open=bool(offline_cause & 0x04),
        cutter_error=bool(error_cause & 0x08),
        unrecoverable=bool(error_cause & 0x20),
        head_hot=bool(error_cause & 0x40),
        error=bool(offline_cause & 0x40),
    )
