"""The kiosk's calls that can fail, each turned into the message its screen acts on.

Run in the screen's workers; nothing here touches a widget.
"""

from __future__ import annotations

import asyncio
import logging

from drivers.printer import PrinterError, PrinterStatus, TicketPrinter, TicketView
from kiosk.messages import IssueFailed, PrintFailed, TicketPrinted
from queue_api.client import (
    ApiError,
    Conflict,
    NotFound,
    QueueClient,
    TooManyRequests,
    Unreachable,
)
from queue_api.schema import Ticket

log = logging.getLogger(__name__)


async def issue_ticket(
    client: QueueClient, branch: str, service: str, priority: bool, key: str, language: str
) -> Ticket | IssueFailed:
    """The ticket for one press, or why there is none."""
    try:
        return await client.issue_ticket(
            branch, service, idempotency_key=key, priority=priority, language=language
        )
    except Unreachable:
        return IssueFailed("issue.unavailable", key, False)
    except (Conflict, NotFound):
        return IssueFailed("issue.closed", key, True)
    except TooManyRequests as exc:
        log.warning("ticket refused: %s", exc.detail)
        return IssueFailed("issue.too_fast", key, True)
    except ApiError as exc:
        log.error("ticket refused: %s %s", exc.status, exc.detail)
        # A 5xx may have committed: keep the key so a retry cannot issue a second ticket.
        return IssueFailed("issue.failed", key, exc.status < 500)
    except Exception:  # a malformed answer or a bug: the citizen must not see a traceback
        log.exception("ticket issue failed")
        return IssueFailed("issue.failed", key, False)


async def print_ticket(
    printer: TicketPrinter, ticket: Ticket, view: TicketView
) -> TicketPrinted | PrintFailed:
    """Print ``view`` in a thread (the driver blocks); what the printer said after it."""
    try:
        status = await asyncio.to_thread(printer.print_ticket, view)
    except PrinterError as exc:
        return PrintFailed(ticket, view, exc)
    except Exception as exc:  # a driver bug must not lose the citizen's ticket
        log.exception("printer driver failed")
        return PrintFailed(ticket, view, PrinterError(repr(exc), ""))
    return TicketPrinted(ticket, status)


def read_status(printer: TicketPrinter) -> PrinterStatus:
    """The printer's status between tickets; a fault to report when it cannot be read."""
    try:
        return printer.status()
    except PrinterError as exc:
        # Could not reach it (refused, unplugged, no device file): staff must know now,
        # not when a citizen's ticket fails.
        return PrinterStatus.unknown(str(exc), exc.advice, failed=True)
    except Exception as exc:
        log.exception("printer status failed")
        return PrinterStatus.unknown(repr(exc), "")
