"""What the kiosk's workers tell its screen: one dataclass per outcome, posted to the screen."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from drivers.printer import PrinterError, PrinterStatus, TicketView
from queue_api.schema import Branch, Queue, Ticket


@dataclass
class KioskMessage(Message, bubble=False):
    """A worker's result, for the screen alone (it does not bubble)."""


@dataclass
class QueueRead(KioskMessage):
    """The branch and its waiting counts, freshly read."""

    branch: Branch
    queue: Queue


@dataclass
class ServerLost(KioskMessage):
    """The server could not be read (or refused the kiosk)."""

    reason: str


@dataclass
class TicketIssued(KioskMessage):
    """The server confirmed a ticket; printing follows."""

    ticket: Ticket
    view: TicketView
    key: str


@dataclass
class IssueFailed(KioskMessage):
    """No ticket for this press; ``reason`` is the catalog key to show."""

    reason: str
    key: str
    #: The server answered "no": the key can be dropped (nothing was issued with it).
    confirmed_unissued: bool


@dataclass
class TicketPrinted(KioskMessage):
    """The ticket reached the printer, which reports ``status`` after it."""

    ticket: Ticket
    status: PrinterStatus


@dataclass
class PrintFailed(KioskMessage):
    """The ticket was issued but not printed."""

    ticket: Ticket
    view: TicketView
    error: PrinterError


@dataclass
class PrinterChecked(KioskMessage):
    """A status read between tickets, begun when the printer had done ``jobs`` jobs."""

    status: PrinterStatus
    jobs: int
