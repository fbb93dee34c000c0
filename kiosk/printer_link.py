"""The kiosk screen's side of its ticket printer: status reads, the citizens' warning, alerts.

Status reads run in a thread worker of the screen (the driver blocks) and reach it as a
:class:`PrinterChecked` message; what a read or a print means (warn citizens, alert staff) is
decided by :class:`PrinterWatch`, and the alerts go out through the device's outbox.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget

from device.outbox import HostedOutbox
from drivers.printer import PrinterError, PrinterStatus, TicketPrinter
from kiosk.issuing import read_status
from kiosk.messages import PrinterChecked
from kiosk.printer_health import PrinterAlert, PrinterWatch


class PrinterLink:
    """Watches ``printer`` for ``host``; no status read while ``issuing()`` (a ticket prints)."""

    def __init__(
        self,
        host: Widget,
        printer: TicketPrinter,
        alerts: HostedOutbox,
        *,
        issuing: Callable[[], bool],
    ) -> None:
        self.host = host
        self.printer = printer
        self.alerts = alerts
        self.issuing = issuing
        self.watch = PrinterWatch()
        self._reading = False

    def poll_every(self, seconds: float) -> None:
        """Read the status every ``seconds`` between tickets (never two reads at once)."""
        self.host.set_interval(seconds, self._poll)

    def _poll(self) -> None:
        if not self.issuing() and not self._reading:
            self.check()

    def check(self) -> None:
        """Read the status now, in a thread; ``host`` gets a :class:`PrinterChecked`."""
        jobs = self.watch.jobs
        self.host.run_worker(lambda: self._read(jobs), thread=True, group="printer-status")

    def _read(self, jobs: int) -> None:
        self._reading = True
        try:
            status = read_status(self.printer)
        finally:
            self._reading = False
        self.host.post_message(PrinterChecked(status, jobs))

    def checked(self, read: PrinterChecked) -> bool:
        """Act on a status read between tickets (unless a job printed or failed since it
        began); True while citizens must be warned that the printer cannot print."""
        return self._act(self.watch.read_between_tickets(read.status, begun_after=read.jobs))

    def status_read(self, status: PrinterStatus, *, printed: bool) -> bool:
        """Act on a status read between tickets (or returned by a job that printed).

        True while citizens must be warned that the printer cannot print.
        """
        return self._act(self.watch.status_read(status, printed=printed))

    def print_failed(self, error: PrinterError) -> bool:
        """Act on a ticket (already issued) that did not print; True: warn citizens."""
        return self._act(self.watch.print_failed(error))

    def _act(self, alert: PrinterAlert | None) -> bool:
        if alert is not None:
            self.alerts.report(alert.kind, alert.detail)
        return self.watch.blocked
