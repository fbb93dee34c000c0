"""How the kiosk reads printer states: who is warned, and when staff get an alert."""

from __future__ import annotations

from drivers.printer import Paper, PrinterError, PrinterNotReady, PrinterStatus
from kiosk.printer_health import PrinterWatch, printer_health

OK = PrinterStatus(known=True, online=True, paper=Paper.OK)
NEAR_END = PrinterStatus(known=True, online=True, paper=Paper.NEAR_END)
PAPER_OUT = PrinterStatus(known=True, online=False, paper=Paper.OUT)
UNKNOWN = PrinterStatus.unknown("file connections cannot report printer status", "look at it")


def test_printer_health() -> None:
    ok = printer_health(PrinterStatus(known=True, online=True, paper=Paper.OK))
    assert not ok.blocked and ok.faults == frozenset()
    near = printer_health(PrinterStatus(known=True, online=True, paper=Paper.NEAR_END))
    assert not near.blocked and near.faults == {"paper_near_end"}
    out = printer_health(PrinterStatus(known=True, online=False, paper=Paper.OUT))
    assert out.blocked and out.faults == {"paper_out"}
    # A device file cannot tell: nobody is warned until a ticket actually fails.
    unknown = printer_health(PrinterStatus.unknown("file connections cannot report", "look"))
    assert not unknown.blocked and unknown.faults == frozenset()
    # Asked and no valid answer (refused, silent, not a printer): a fault, found between tickets.
    failed = printer_health(PrinterStatus.unknown("connection refused", "plug", failed=True))
    assert failed.blocked and failed.faults == {"error"}


def test_watch_alerts_once_per_change_and_once_when_fixed() -> None:
    watch = PrinterWatch()
    assert watch.status_read(OK, printed=False) is None  # nothing to say about a fine printer
    alert = watch.status_read(PAPER_OUT, printed=False)
    assert alert is not None and alert.kind == "printer.paper_out"
    assert "load a new paper roll" in alert.detail and watch.blocked
    assert watch.status_read(PAPER_OUT, printed=False) is None  # not again on every poll
    assert watch.print_failed(PrinterNotReady(PAPER_OUT)) is None  # the same fault
    alert = watch.status_read(OK, printed=False)
    assert alert is not None and alert.kind == "printer.ok" and not watch.blocked


def test_watch_near_end_is_for_staff_only() -> None:
    watch = PrinterWatch()
    alert = watch.status_read(NEAR_END, printed=True)
    assert alert is not None and alert.kind == "printer.paper_near_end"
    assert not watch.blocked


def test_watch_status_less_printer_is_judged_by_its_jobs() -> None:
    watch = PrinterWatch()
    alert = watch.print_failed(PrinterError("no device file /dev/usb/lp0", "plug it in"))
    assert alert is not None and alert.kind == "printer.error"
    assert alert.detail == "no device file /dev/usb/lp0: plug it in"
    assert watch.status_read(UNKNOWN, printed=False) is None and watch.blocked
    alert = watch.status_read(UNKNOWN, printed=True)
    assert alert is not None and alert.kind == "printer.ok" and not watch.blocked


def test_a_read_begun_before_a_job_cannot_undo_what_the_job_showed() -> None:
    """The unplugged printer's read can land after the reprint that worked: it is stale."""
    unplugged = PrinterStatus.unknown("no device file /dev/usb/lp0", "plug it in", failed=True)
    watch = PrinterWatch()
    begun = watch.jobs
    assert watch.read_between_tickets(unplugged, begun_after=begun) is not None
    assert watch.blocked
    late = watch.jobs  # this read begins while the printer is still unplugged...
    assert watch.status_read(UNKNOWN, printed=True) is not None  # ...then a reprint works
    assert not watch.blocked
    assert watch.read_between_tickets(unplugged, begun_after=late) is None
    assert not watch.blocked
    # A read begun after the job counts as usual.
    assert watch.read_between_tickets(unplugged, begun_after=watch.jobs) is not None
    assert watch.blocked
