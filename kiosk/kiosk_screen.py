"""The kiosk's one screen: services → (priority?) → ticket issued, printed and shown → home.

Network calls run in async workers and printer calls in thread workers; each posts its result
back as a message, so all state changes happen here, on the UI thread, in one place. The
technician's menu (kiosk/technician.py) runs its own checks and tells this screen what changed.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, ContentSwitcher, Label, Static
from textual.worker import Worker

from device.config import DeviceConfig
from drivers.printer import PrinterError, PrinterStatus, TicketPrinter, TicketView
from kiosk.printer_health import PrinterAlert, PrinterWatch
from kiosk.service_tiles import ServiceTile
from kiosk.technician import PinAttempts, PinPad, TechnicianMenu
from kiosk.ticket_panel import TicketPanel
from kiosk.ticket_slip import ticket_view
from kiosk.timings import KioskTimings
from kiosk.wording import DEFAULT_LANGUAGE, Words
from queue_api.client import (
    ApiError,
    Conflict,
    NotFound,
    QueueClient,
    TooManyRequests,
    Unreachable,
    new_idempotency_key,
)
from queue_api.schema import Branch, EventType, Queue, Service, ServiceQueue, Ticket

log = logging.getLogger(__name__)

#: Events after which the waiting counts on the home screen are stale.
_QUEUE_EVENTS = {
    EventType.TICKET_ISSUED,
    EventType.TICKET_CALLED,
    EventType.TICKET_COMPLETED,
    EventType.TICKET_NO_SHOW,
    EventType.TICKET_TRANSFERRED,
    EventType.TICKET_CANCELLED,
}
#: Events after which the branch itself (services open, counters) must be read again.
_BRANCH_EVENTS = {EventType.COUNTER_UPDATED, EventType.RESYNC}


class KioskScreen(Screen[None]):
    """The citizen's ticket dispenser; needs only what its constructor gets."""

    CSS_PATH = "kiosk.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        # Nobody types ctrl+t on a touch screen: the technician's way in, then a PIN.
        Binding("ctrl+t", "technician", show=False, priority=True),
        # The citizen must not move focus around or copy text; nothing to do for them.
        Binding("ctrl+c", "nothing", show=False, priority=True),
        # Tab moves between the technician menu's buttons only, and only while it is open.
        Binding("tab", "technician_focus(1)", show=False, priority=True),
        Binding("shift+tab", "technician_focus(-1)", show=False, priority=True),
    ]

    language: reactive[str] = reactive(DEFAULT_LANGUAGE, init=False)
    #: The server answered the last read: tickets can be issued.
    available: reactive[bool] = reactive(False, init=False)
    #: The printer cannot print: the home screen warns the next citizen.
    printer_blocked: reactive[bool] = reactive(False, init=False)

    class ExitRequested(Message):
        """The technician chose "exit kiosk"; the hosting app decides what that means."""

    class QueueRead(Message, bubble=False):
        """The branch and its waiting counts, freshly read."""

        def __init__(self, branch: Branch, queue: Queue) -> None:
            super().__init__()
            self.branch, self.queue = branch, queue

    class ServerLost(Message, bubble=False):
        """The server could not be read (or refused the kiosk)."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class TicketIssued(Message, bubble=False):
        """The server confirmed a ticket; printing follows."""

        def __init__(self, ticket: Ticket, view: TicketView, key: str) -> None:
            super().__init__()
            self.ticket, self.view, self.key = ticket, view, key

    class IssueFailed(Message, bubble=False):
        """No ticket for this press; ``reason`` is the catalog key to show."""

        def __init__(self, reason: str, key: str, confirmed_unissued: bool) -> None:
            super().__init__()
            self.reason, self.key = reason, key
            #: The server answered "no": the key can be dropped (nothing was issued with it).
            self.confirmed_unissued = confirmed_unissued

    class TicketPrinted(Message, bubble=False):
        """The ticket reached the printer, which reports ``status`` after it."""

        def __init__(self, ticket: Ticket, status: PrinterStatus) -> None:
            super().__init__()
            self.ticket, self.status = ticket, status

    class PrintFailed(Message, bubble=False):
        """The ticket was issued but not printed."""

        def __init__(self, ticket: Ticket, view: TicketView, error: PrinterError) -> None:
            super().__init__()
            self.ticket, self.view, self.error = ticket, view, error

    class PrinterChecked(Message, bubble=False):
        """A status read between tickets."""

        def __init__(self, status: PrinterStatus) -> None:
            super().__init__()
            self.status = status

    def __init__(
        self,
        device: DeviceConfig,
        client: QueueClient,
        printer: TicketPrinter,
        *,
        timings: KioskTimings | None = None,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        self.device = device
        self.client = client
        self.printer = printer
        self.timings = timings or KioskTimings.from_device(device)
        self.branch_id = device.server.branch
        self.device_name = device.device.name or "kiosk"
        self.default_language = device.device.languages[0] if device.device.languages else "es"
        self.set_reactive(KioskScreen.language, self.default_language)
        self.branch: Branch | None = None
        self.queue: dict[str, ServiceQueue] = {}
        self.step = "home"
        #: The service waiting for the priority answer.
        self._chosen: Service | None = None
        #: Idempotency keys of presses the server may have seen but not confirmed, per
        #: (service, priority): pressing again reuses the key, so it cannot give two tickets.
        self._keys: dict[tuple[str, bool], str] = {}
        self._issuing = False
        self._step_shown_at = 0.0
        self._last_touch = time.monotonic()
        self._ticket_timer: Timer | None = None
        self.last_ticket: TicketView | None = None
        #: Tickets issued but not printed, oldest first: the technician can reprint them.
        self.unprinted: list[TicketView] = []
        self.printer_watch = PrinterWatch()
        self.pin_attempts = PinAttempts(self.timings.pin_lockout)
        self._unsent_alerts: list[tuple[str, str]] = []
        self._printer_busy = False
        #: The last read or issue could not reach the server.
        self._server_lost = False
        #: Catalog key of why the last press gave no ticket (shown until the session ends).
        self._problem = ""
        self._reading: Worker[None] | None = None
        self._read_again = False
        self._refresh_after_ticket = False

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Label(id="office")
            for language in self.device.device.languages:
                yield Button(
                    Words(language)(f"lang.{language}"), id=f"lang-{language}", classes="lang"
                )
        yield Static(id="notice")
        with ContentSwitcher(initial="home", id="steps"):
            with Vertical(id="home"):
                yield Label(id="home-title")
                yield VerticalScroll(id="services")
                yield Label(id="home-keypad")
            with Vertical(id="priority"):
                yield Label(id="priority-service")
                yield Label(id="priority-question")
                yield Label(id="priority-who")
                with Horizontal(id="priority-answers"):
                    yield Button(id="priority-yes", variant="success")
                    yield Button(id="priority-no", variant="primary")
                yield Button(id="priority-back")
            with Vertical(id="issuing"):
                yield Label(id="issuing-text")
            yield TicketPanel(id="ticket")
            yield PinPad(id="pin")
            yield TechnicianMenu(self.printer, self.client, self.device.base_url, id="technician")

    @property
    def words(self) -> Words:
        """The current citizen's language."""
        return Words(self.language)

    def on_mount(self) -> None:
        self._apply_words()
        self._draw_notice()
        # Checked often, measured from the last touch, so idle means idle for that long.
        self.set_interval(min(1.0, self.timings.idle / 4), self._check_idle)
        self.set_interval(self.timings.refresh, self._refresh)
        self.set_interval(self.timings.printer_poll, self._poll_printer)
        self._refresh()
        self._check_printer()
        self._follow_events()

    def _apply_words(self) -> None:
        words = self.words
        self.query_one("#office", Label).update(self.branch.name if self.branch else "")
        for button in self.query(".lang").results(Button):
            button.set_class(button.id == f"lang-{self.language}", "-selected")
        self.query_one("#home-title", Label).update(
            words("home.title") if self.branch else words("home.loading")
        )
        self.query_one("#home-keypad", Label).update(words("home.keypad") if self.branch else "")
        self._draw_tiles()
        if self._chosen is not None:
            self.query_one("#priority-service", Label).update(self._chosen.name_in(words.language))
        self.query_one("#priority-question", Label).update(words("priority.question"))
        self.query_one("#priority-who", Label).update(words("priority.who"))
        self.query_one("#priority-yes", Button).label = words("priority.yes")
        self.query_one("#priority-no", Button).label = words("priority.no")
        self.query_one("#priority-back", Button).label = words("priority.back")
        self.query_one("#issuing-text", Label).update(words("issuing.wait"))
        self.query_one(PinPad).label(words)
        self.query_one(TechnicianMenu).label(words)
        self._draw_notice()

    async def _place_tiles(self, branch: Branch) -> None:
        """One tile per service, in the branch's order (again if the office changed them)."""
        board = self.query_one("#services", VerticalScroll)
        if [tile.service.id for tile in board.query(ServiceTile)] == [
            service.id for service in branch.services
        ]:
            return
        await board.remove_children()
        await board.mount_all(
            ServiceTile(service, digit, id=f"service-{service.id}")
            for digit, service in enumerate(branch.services, start=1)
        )

    def _draw_tiles(self) -> None:
        services = {service.id: service for service in self.branch.services} if self.branch else {}
        for tile in self.query(ServiceTile):
            tile.show(
                services.get(tile.service.id, tile.service),
                self.queue.get(tile.service.id),
                self.words,
                available=self.available,
            )

    def _draw_notice(self) -> None:
        lines = [self.words(self._problem)] if self._problem else []
        if self._server_lost:
            lines.append(self.words("notice.unavailable"))
        if self.printer_blocked:
            lines.append(self.words("notice.printer"))
        notice = self.query_one("#notice", Static)
        notice.update("\n".join(lines))
        notice.display = bool(lines)
        notice.set_class(self._server_lost, "-unavailable")

    def watch_language(self) -> None:
        self._apply_words()

    def watch_available(self) -> None:
        self._draw_tiles()
        self._draw_notice()

    def watch_printer_blocked(self) -> None:
        self._draw_notice()

    def _show(self, step: str) -> None:
        self.step = step
        self._step_shown_at = time.monotonic()
        self.query_one("#steps", ContentSwitcher).current = step

    def _fresh_step(self) -> bool:
        """The current step appeared too recently for a touch on it to be meant for it."""
        return time.monotonic() - self._step_shown_at < self.timings.tap_guard

    # -- the citizen --------------------------------------------------------------------

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self._touched()

    def on_key(self, event: events.Key) -> None:
        self._touched()
        if self.step == "pin":
            event.stop()
            self.query_one(PinPad).type(event.key)
        elif self.step == "home" and event.character and event.character.isdigit():
            event.stop()
            index = int(event.character) - 1
            if self.branch and 0 <= index < len(self.branch.services):
                self._choose(self.branch.services[index].id)
        elif self.step == "priority" and event.key in ("1", "2", "escape", "0"):
            event.stop()
            if event.key == "1":
                self._answer_priority(True)
            elif event.key == "2":
                self._answer_priority(False)
            else:
                self._go_home(end_session=False)
        elif self.step == "ticket":
            event.stop()
            self._ticket_touched()
        elif self.step == "technician" and self.query_one(TechnicianMenu).key(event.key):
            event.stop()

    def on_click(self, event: events.Click) -> None:
        if self.step == "ticket":
            self._ticket_touched()

    def action_nothing(self) -> None:
        """Keys a citizen has no use for."""

    def action_technician_focus(self, step: int) -> None:
        """Tab / shift+tab: the next or previous button of the technician menu, when open."""
        if self.step == "technician":
            if step > 0:
                self.focus_next("#technician Button")
            else:
                self.focus_previous("#technician Button")

    @on(ServiceTile.Chosen)
    def _on_tile(self, event: ServiceTile.Chosen) -> None:
        self._choose(event.service)

    def _choose(self, service_id: str) -> None:
        if self.step != "home" or self.branch is None or not self.available:
            return
        service = self.branch.service(service_id)
        if service is None or not service.open:
            return
        if service.priority_allowed:
            self._chosen = service
            self.query_one("#priority-service", Label).update(service.name_in(self.words.language))
            self._show("priority")
        else:
            self._issue(service, priority=False)

    @on(Button.Pressed)
    def _on_button(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button.startswith("lang-"):
            self.language = button.removeprefix("lang-")
        elif button == "priority-yes":
            self._answer_priority(True)
        elif button == "priority-no":
            self._answer_priority(False)
        elif button == "priority-back":
            self._go_home(end_session=False)

    def _answer_priority(self, priority: bool) -> None:
        if self.step == "priority" and self._chosen is not None and not self._fresh_step():
            self._issue(self._chosen, priority=priority)

    def _issue(self, service: Service, *, priority: bool) -> None:
        if self._issuing:
            return  # the second tap of a double tap: the first one is on its way
        self._issuing = True
        self._problem = ""
        key = self._keys.setdefault((service.id, priority), new_idempotency_key())
        self._show("issuing")
        self._issue_ticket(service.id, priority, key, self.language)

    @work(group="issue")
    async def _issue_ticket(self, service: str, priority: bool, key: str, language: str) -> None:
        try:
            ticket = await self.client.issue_ticket(
                self.branch_id, service, idempotency_key=key, priority=priority, language=language
            )
        except Unreachable:
            self.post_message(self.IssueFailed("issue.unavailable", key, False))
            return
        except (Conflict, NotFound):
            self.post_message(self.IssueFailed("issue.closed", key, True))
            return
        except TooManyRequests as exc:
            log.warning("ticket refused: %s", exc.detail)
            self.post_message(self.IssueFailed("issue.too_fast", key, True))
            return
        except ApiError as exc:
            log.error("ticket refused: %s %s", exc.status, exc.detail)
            # A 5xx may have committed: keep the key so a retry cannot issue a second ticket.
            self.post_message(self.IssueFailed("issue.failed", key, exc.status < 500))
            return
        except Exception:  # a malformed answer or a bug: the citizen must not see a traceback
            log.exception("ticket issue failed")
            self.post_message(self.IssueFailed("issue.failed", key, False))
            return
        assert self.branch is not None  # a service was touched, so the branch was read
        view = ticket_view(ticket, self.branch, self.device.base_url, Words(language))
        self.post_message(self.TicketIssued(ticket, view, key))
        # Printed from here (in a thread: the driver blocks) rather than from the message
        # handler: the citizen is waiting at the slot, and a trip through the screen's message
        # queue behind a repaint costs them milliseconds for nothing.
        try:
            status = await asyncio.to_thread(self.printer.print_ticket, view)
        except PrinterError as exc:
            self.post_message(self.PrintFailed(ticket, view, exc))
        except Exception as exc:  # a driver bug must not lose the citizen's ticket
            log.exception("printer driver failed")
            self.post_message(self.PrintFailed(ticket, view, PrinterError(repr(exc), "")))
        else:
            self.post_message(self.TicketPrinted(ticket, status))

    @on(IssueFailed)
    def _on_issue_failed(self, event: IssueFailed) -> None:
        self._issue_done()
        if event.confirmed_unissued:
            self._forget_key(event.key)
        if event.reason == "issue.unavailable":
            # The home notice says it; the counts refresh tells when the server is back.
            self._server_lost = True
            self.available = False
        else:
            self._problem = event.reason
        self._go_home(end_session=False)

    def _forget_key(self, key: str) -> None:
        self._keys = {press: k for press, k in self._keys.items() if k != key}

    @on(TicketIssued)
    def _on_ticket_issued(self, event: TicketIssued) -> None:
        # Issued: the key has served its purpose; the ticket can be reprinted from now on.
        self._forget_key(event.key)
        self.last_ticket = event.view

    @on(TicketPrinted)
    def _on_printed(self, event: TicketPrinted) -> None:
        self._printer_status(event.status, printed=True)
        self._show_ticket(event.ticket, printed=True)

    @on(PrintFailed)
    def _on_print_failed(self, event: PrintFailed) -> None:
        self.unprinted.append(event.view)
        self._printer_failed(event.error)
        self._show_ticket(event.ticket, printed=False)

    def _issue_done(self) -> None:
        self._issuing = False
        if self._refresh_after_ticket:
            self._refresh_after_ticket = False
            self._refresh()

    def _show_ticket(self, ticket: Ticket, *, printed: bool) -> None:
        self._issue_done()
        words = Words(ticket.language)
        service = self.branch.service(ticket.service) if self.branch else None
        name = service.name_in(words.language) if service else ticket.service
        self.query_one(TicketPanel).show(ticket, name, words, printed=printed)
        self._show("ticket")
        seconds = self.timings.ticket * (1 if printed else 3)
        self._ticket_timer = self.set_timer(seconds, self._end_session)
        self._touched()

    def _ticket_touched(self) -> None:
        if not self._fresh_step():
            self._end_session()

    def _end_session(self) -> None:
        self._go_home(end_session=True)

    def _go_home(self, *, end_session: bool) -> None:
        """Back to the services; ending the session also forgets the citizen entirely."""
        if self._ticket_timer is not None:
            self._ticket_timer.stop()
            self._ticket_timer = None
        self._chosen = None
        self.query_one("#priority-service", Label).update("")
        if end_session:
            self.query_one(TicketPanel).clear()
            self.query_one(PinPad).reset()
            self._keys.clear()
            self._problem = ""
            self.language = self.default_language
        self._show("home")
        self.set_focus(None)  # no hidden technician button keeps the keyboard
        self._draw_notice()

    def _touched(self) -> None:
        self._last_touch = time.monotonic()

    def _check_idle(self) -> None:
        if time.monotonic() - self._last_touch < self.timings.idle:
            return
        if self._issuing:
            return  # the ticket is on its way; its own timer ends the session
        citizen_left_something = self.language != self.default_language or self._keys
        if self.step != "home" or citizen_left_something or self._problem:
            self._end_session()

    # -- the server ---------------------------------------------------------------------

    def _refresh(self) -> None:
        """Read the branch and its queue again, soon; never two reads at once."""
        if self._issuing:
            # Our own ticket.issued event arrives while the ticket prints: reading and redrawing
            # the counts now would only compete with the printer thread for the interpreter.
            self._refresh_after_ticket = True
            return
        if self._reading is not None and not self._reading.is_finished:
            # A read in flight (maybe through its retries): cancelling it would mean a lost
            # server is never noticed. Ask it to read once more when done instead.
            self._read_again = True
            return
        self._reading = self._read_branch()

    @work(group="refresh", exit_on_error=False)
    async def _read_branch(self) -> None:
        self._read_again = True
        while self._read_again:
            self._read_again = False
            try:
                branch = await self.client.branch(self.branch_id)
                queue = await self.client.queue(self.branch_id)
            except Unreachable as exc:
                self.post_message(self.ServerLost(str(exc)))
            except ApiError as exc:
                # A wrong token or branch in the device file: retrying will not fix it.
                log.error("the server refused the kiosk: %s %s", exc.status, exc.detail)
                self.post_message(self.ServerLost(exc.detail))
            else:
                self.post_message(self.QueueRead(branch, queue))

    @on(QueueRead)
    async def _on_queue(self, event: QueueRead) -> None:
        first = self.branch is None
        await self._place_tiles(event.branch)
        self.branch = event.branch
        self.queue = {entry.service: entry for entry in event.queue.services}
        self._server_lost = False
        self.available = True
        if first:
            self._apply_words()
        self._draw_tiles()
        self._draw_notice()
        if self._unsent_alerts:
            unsent, self._unsent_alerts = self._unsent_alerts, []
            for kind, detail in unsent:
                self._report(kind, detail)

    @on(ServerLost)
    def _on_server_lost(self, event: ServerLost) -> None:
        log.info("server lost: %s", event.reason)
        self._server_lost = True
        self.available = False
        self._draw_notice()

    @work(group="events", exit_on_error=False)
    async def _follow_events(self) -> None:
        def connection(up: bool) -> None:
            if up:
                self._refresh()

        try:
            async for event in self.client.events(
                self.branch_id, max_backoff=self.timings.refresh, on_connection=connection
            ):
                if event.type in _QUEUE_EVENTS or event.type in _BRANCH_EVENTS:
                    self._refresh()
        except ApiError as exc:
            # Not allowed to follow events: the refresh timer keeps the counts fresh anyway.
            log.warning("no event stream for the kiosk: %s", exc.detail)

    @work(group="alerts", exit_on_error=False)
    async def _report(self, kind: str, detail: str) -> None:
        try:
            await self.client.report_alert(self.branch_id, self.device_name, kind, detail)
        except (Unreachable, ApiError) as exc:
            log.warning("alert %s not delivered (%s); will resend", kind, exc)
            self._unsent_alerts.append((kind, detail))

    # -- the printer --------------------------------------------------------------------

    def _poll_printer(self) -> None:
        if not self._issuing and not self._printer_busy:
            self._check_printer()

    @work(thread=True, group="printer-status")
    def _check_printer(self) -> None:
        self._printer_busy = True
        try:
            status = self.printer.status()
        except PrinterError as exc:
            # Could not reach it (refused, unplugged, no device file): staff must know now,
            # not when a citizen's ticket fails.
            status = PrinterStatus.unknown(str(exc), exc.advice, failed=True)
        except Exception as exc:
            log.exception("printer status failed")
            status = PrinterStatus.unknown(repr(exc), "")
        finally:
            self._printer_busy = False
        self.post_message(self.PrinterChecked(status))

    @on(PrinterChecked)
    def _on_printer_checked(self, event: PrinterChecked) -> None:
        self._printer_status(event.status, printed=False)
        self.query_one(TechnicianMenu).show_printer(event.status)

    def _printer_status(self, status: PrinterStatus, *, printed: bool) -> None:
        """Act on a status read between tickets (or returned by a job that printed)."""
        self._printer_alert(self.printer_watch.status_read(status, printed=printed))

    def _printer_failed(self, error: PrinterError) -> None:
        self._printer_alert(self.printer_watch.print_failed(error))

    def _printer_alert(self, alert: PrinterAlert | None) -> None:
        self.printer_blocked = self.printer_watch.blocked
        if alert is not None:
            self._report(alert.kind, alert.detail)

    # -- the technician -----------------------------------------------------------------

    def action_technician(self) -> None:
        """Open the PIN pad (not while a ticket is being issued)."""
        if self._issuing or self.step in ("pin", "technician"):
            return
        self._touched()
        self.query_one(PinPad).reset()
        self._show("pin")

    @on(PinPad.Entered)
    def _on_pin(self, event: PinPad.Entered) -> None:
        pad = self.query_one(PinPad)
        now = time.monotonic()
        if self.pin_attempts.locked_for(now):
            pad.reset(self._pin_locked_words(now))
        elif secrets.compare_digest(event.pin, self.device.kiosk.pin):
            if self.pin_attempts.right():
                self._report("kiosk.ok", "the technician menu was opened with the right PIN")
            pad.reset()
            self._open_technician_menu()
        elif self.pin_attempts.wrong(now):
            pad.reset(self._pin_locked_words(now))
            self._report(
                "kiosk.pin_locked",
                f"{self.pin_attempts.allowed} wrong technician PINs in a row: the PIN pad "
                f"refuses PINs for {self.pin_attempts.lockout:g} s; check who was at the kiosk",
            )
        else:
            pad.reset(self.words("pin.wrong"))

    def _pin_locked_words(self, now: float) -> str:
        minutes = math.ceil(self.pin_attempts.locked_for(now) / 60)
        return self.words("pin.locked", minutes=minutes)

    @on(PinPad.Cancelled)
    def _on_pin_cancelled(self) -> None:
        self._go_home(end_session=True)

    def _open_technician_menu(self) -> None:
        self.query_one(TechnicianMenu).open(self.last_ticket, self.unprinted)
        self._show("technician")
        self.query_one(TechnicianMenu).focus_first()
        self._check_printer()

    @on(TechnicianMenu.PrinterCheckWanted)
    def _on_printer_check_wanted(self) -> None:
        self._check_printer()

    @on(TechnicianMenu.Printed)
    def _on_technician_printed(self, event: TechnicianMenu.Printed) -> None:
        if event.status is None:
            return  # the menu says what went wrong
        if event.view is not None and event.view in self.unprinted:
            self.unprinted.remove(event.view)
        self.query_one(TechnicianMenu).show_tickets(self.last_ticket, self.unprinted)
        self._printer_status(event.status, printed=True)

    @on(TechnicianMenu.Left)
    def _on_technician_left(self) -> None:
        self._go_home(end_session=True)

    @on(TechnicianMenu.ExitWanted)
    def _on_technician_exit(self) -> None:
        self.post_message(self.ExitRequested())
