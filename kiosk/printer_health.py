"""What the printer's state means for the kiosk: warn citizens, alert staff, or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.printer import PrinterError, PrinterNotReady, PrinterStatus


@dataclass(frozen=True)
class PrinterHealth:
    """The printer as the kiosk acts on it."""

    #: A known fault stops printing: the home screen warns the next citizen.
    blocked: bool
    #: Fault codes (blocking or not) to tell staff about; an alert goes out when they change.
    faults: frozenset[str]
    #: One line for staff: the faults and what to do.
    summary: str


def printer_health(status: PrinterStatus) -> PrinterHealth:
    """Classify a status read between tickets.

    A printer that could not be reached or gave no valid answer is a fault. A status the
    connection cannot report (a device file, ``?status=off``) warns nobody: the kiosk only
    learns such a printer failed when a ticket does not print.
    """
    if not status.known:
        failed = frozenset({"error"}) if status.failed else frozenset()
        return PrinterHealth(blocked=status.failed, faults=failed, summary=status.summary())
    return PrinterHealth(
        blocked=not status.ok,
        faults=frozenset(fault.code for fault in status.faults),
        summary=status.summary(),
    )


@dataclass(frozen=True)
class PrinterAlert:
    """A ``device.alert`` for staff: ``kind`` such as "printer.paper_out", and what to do."""

    kind: str
    detail: str


class PrinterWatch:
    """The printer's faults as the kiosk last knew them; says when staff must hear of a change."""

    def __init__(self) -> None:
        #: Citizens are warned: the last ticket failed, or a status read showed a fault.
        self.blocked = False
        #: How many jobs have printed or failed: a status read between tickets notes it when
        #: it begins, so that one begun before the latest job is known to be stale.
        self.jobs = 0
        self._alerted: frozenset[str] = frozenset()

    def read_between_tickets(
        self, status: PrinterStatus, *, begun_after: int
    ) -> PrinterAlert | None:
        """A status read that began when ``jobs`` was ``begun_after``; ignored when a job has
        printed or failed since (a read of the unplugged printer must not undo a reprint)."""
        if begun_after != self.jobs:
            return None
        return self.status_read(status, printed=False)

    def status_read(self, status: PrinterStatus, *, printed: bool) -> PrinterAlert | None:
        """A status read between tickets, or returned by a job that printed."""
        if printed:
            self.jobs += 1
        if status.known or status.failed:
            health = printer_health(status)
            self.blocked = health.blocked
            return self._faults(health.faults, health.summary)
        if printed:
            # A printer that cannot report status just printed: as far as we can tell, it works.
            self.blocked = False
            return self._faults(frozenset(), "")
        return None  # "unknown" between tickets changes nothing we know

    def print_failed(self, error: PrinterError) -> PrinterAlert | None:
        """A ticket (already issued) did not print."""
        self.jobs += 1
        self.blocked = True
        detail = f"{error}: {error.advice}" if error.advice else str(error)
        faults = printer_health(error.status).faults if isinstance(error, PrinterNotReady) else None
        return self._faults(faults or frozenset({"error"}), detail)

    def _faults(self, faults: frozenset[str], summary: str) -> PrinterAlert | None:
        if faults == self._alerted:
            return None
        self._alerted = faults
        if not faults:
            return PrinterAlert("printer.ok", "the printer works again")
        return PrinterAlert(("printer." + "+".join(sorted(faults)))[:50], summary[:500])
