"""The kiosk's screen: services → (priority?) → ticket issued, printed and shown → home.

Each step is a widget of its own (kiosk/*_step.py, kiosk/ticket_panel.py), the session's rules
live in kiosk/session.py, and the technician's PIN pad and menu are modal screens pushed over
this one. Network calls run in async workers and printer calls in thread workers; each posts
its result back as a message (kiosk/messages.py), so all state changes happen here, on the UI
thread, in one place.
"""

from __future__ import annotations

import logging
import time
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher

from device.config import DeviceConfig
from device.outbox import HostedOutbox
from drivers.printer import PrinterStatus, TicketPrinter, TicketView
from kiosk import session as steps
from kiosk.branch_feed import BranchFeed
from kiosk.check_in import CheckInFlow, CodePadScreen, FailedCheckIn
from kiosk.home_step import HomeStep
from kiosk.issuing import issue_ticket, print_ticket
from kiosk.issuing_step import IssuingStep
from kiosk.messages import (
    IssueFailed,
    PrinterChecked,
    PrintFailed,
    QueueRead,
    ServerLost,
    TicketIssued,
    TicketPrinted,
)
from kiosk.notice import Notice
from kiosk.pin_pad import PinAttempts, PinGate, PinPadScreen
from kiosk.printer_link import PrinterLink
from kiosk.priority_step import PriorityStep
from kiosk.service_tiles import ServiceTile
from kiosk.session import Session
from kiosk.technician import TechnicianScreen
from kiosk.ticket_panel import TicketPanel
from kiosk.ticket_slip import ticket_view
from kiosk.timings import KioskTimings
from kiosk.top_bar import TopBar
from kiosk.wording import DEFAULT_LANGUAGE, Words
from queue_api.client import QueueClient, new_idempotency_key
from queue_api.schema import Branch, Service, Ticket

log = logging.getLogger(__name__)


class KioskScreen(Screen[None]):
    """The citizen's ticket dispenser; needs only what its constructor gets."""

    CSS_PATH = "kiosk.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        # Nobody types ctrl+t on a touch screen: the technician's way in, then a PIN.
        Binding("ctrl+t", "technician", show=False, priority=True),
        # The citizen must not move focus around or copy text; nothing to do for them.
        Binding("ctrl+c", "nothing", show=False, priority=True),
        Binding("tab", "nothing", show=False, priority=True),
        Binding("shift+tab", "nothing", show=False, priority=True),
    ]

    #: The current citizen's language; every step is bound to it.
    language: reactive[str] = reactive(DEFAULT_LANGUAGE, init=False)
    #: The server answered the last read: tickets can be issued.
    available: reactive[bool] = reactive(False, init=False)
    #: The printer cannot print: the home screen warns the next citizen.
    printer_blocked: reactive[bool] = reactive(False, init=False)

    class ExitRequested(Message):
        """The technician chose "exit kiosk"; the hosting app decides what that means."""

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
        default_language = device.device.languages[0] if device.device.languages else "es"
        self.session = Session(
            time.monotonic,
            tap_guard=self.timings.tap_guard,
            idle=self.timings.idle,
            make_key=new_idempotency_key,
            default_language=default_language,
        )
        self.set_reactive(KioskScreen.language, default_language)
        self.branch: Branch | None = None
        self._ticket_timer: Timer | None = None
        self.last_ticket: TicketView | None = None
        #: Tickets issued but not printed, oldest first: the technician can reprint them.
        self.unprinted: list[TicketView] = []
        self.pin_attempts = PinAttempts(self.timings.pin_lockout)
        self.pin_gate = PinGate(device.kiosk.pin, self.pin_attempts)
        #: The kiosk's own faults (printer, PIN) on their way to the server.
        self.alerts = HostedOutbox(self, client, self.branch_id, self.device_name)
        self.printer_link = PrinterLink(
            self, printer, self.alerts, issuing=lambda: self.session.issuing
        )
        #: The last read or issue could not reach the server.
        self._server_lost = False
        self.feed = BranchFeed(self, client, self.branch_id, max_backoff=self.timings.refresh)
        self._refresh_after_ticket = False
        #: The technician's PIN pad or menu, while one is open over the kiosk.
        self._over: PinPadScreen | TechnicianScreen | CodePadScreen | None = None
        self._unfocus_on_resume = False
        self.top_bar = TopBar(list(device.device.languages), id="topbar")
        self.notice = Notice(id="notice")
        self.home = HomeStep(id="home")
        self.priority = PriorityStep(id="priority")
        self.issuing = IssuingStep(id="issuing")
        self.ticket = TicketPanel(id="ticket")
        #: Booking codes typed or scanned, and the failed ones (kiosk/check_in.py).
        self.check_in = CheckInFlow(self)

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Bound here, where this screen is the widgets' parent: the language flows down.
        language = KioskScreen.language
        yield self.top_bar.data_bind(language)
        yield self.notice.data_bind(language, KioskScreen.printer_blocked)
        with ContentSwitcher(initial="home", id="steps"):
            yield self.home.data_bind(language, KioskScreen.available)
            yield self.priority.data_bind(language)
            yield self.issuing.data_bind(language)
            yield self.ticket

    @property
    def words(self) -> Words:
        """The current citizen's language."""
        return Words(self.language)

    @property
    def step(self) -> str:
        """What the kiosk shows: a citizen's step, or the technician's "pin" or "technician"."""
        return self.session.step

    def on_mount(self) -> None:
        # Checked often, measured from the last touch, so idle means idle for that long.
        self.set_interval(min(1.0, self.timings.idle / 4), self._check_idle)
        self.set_interval(self.timings.refresh, self._refresh)
        self.printer_link.poll_every(self.timings.printer_poll)
        self._refresh()
        self.printer_link.check()
        self.feed.follow(self._refresh)

    def _draw_notice(self) -> None:
        self.notice.show(problem=self.session.problem, server_lost=self._server_lost)

    def watch_available(self) -> None:
        self._draw_notice()

    def _show(self, step: str) -> None:
        self.session.show(step)
        self.query_one("#steps", ContentSwitcher).current = step

    # -- the citizen --------------------------------------------------------------------

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.session.touched()

    def on_key(self, event: events.Key) -> None:
        """The keypad presses the same buttons and tiles a touch does."""
        self.session.touched()
        step = self.session.step
        if step in (steps.HOME, steps.TICKET) and self.check_in.key(event):
            event.stop()  # a scanner typing a booking code, maybe over the last ticket
        elif step == steps.HOME and event.character and event.character.isdigit():
            event.stop()
            self.home.press(event.character)
        elif step == steps.PRIORITY and self.priority.press(event.key):
            event.stop()
        elif step == steps.TICKET:
            event.stop()
            self._ticket_touched()

    def on_click(self, event: events.Click) -> None:
        if self.session.step == steps.TICKET:
            self._ticket_touched()

    def action_nothing(self) -> None:
        """Keys a citizen has no use for."""

    @on(TopBar.LanguageChosen)
    def _on_language(self, event: TopBar.LanguageChosen) -> None:
        self.session.language = self.language = event.language

    @on(HomeStep.AppointmentChosen)
    def _on_appointment(self) -> None:
        self.check_in.open_pad()

    @property
    def failed_check_ins(self) -> list[FailedCheckIn]:
        """Check-ins that gave no ticket, newest last (for the technician)."""
        return self.check_in.failures

    @on(ServiceTile.Chosen)
    def _on_tile(self, event: ServiceTile.Chosen) -> None:
        self._choose(event.service)

    def _choose(self, service_id: str) -> None:
        if self.session.step != steps.HOME or self.branch is None or not self.available:
            return
        service = self.branch.service(service_id)
        if service is None or not service.open:
            return
        if self.session.choose(service):
            self.priority.ask(service)
            self._show(steps.PRIORITY)
        else:
            self._issue(service, priority=False)

    @on(PriorityStep.Answered)
    def _on_priority(self, event: PriorityStep.Answered) -> None:
        if event.priority is None:
            self._go_home(end_session=False)
        elif self.session.can_answer() and self.session.chosen is not None:
            self._issue(self.session.chosen, priority=event.priority)

    def _issue(self, service: Service, *, priority: bool) -> None:
        key = self.session.start_issue(service, priority)
        if key is None:
            return  # the second tap of a double tap: the first one is on its way
        self._show(steps.ISSUING)
        self._issue_ticket(service.id, priority, key, self.language)

    @work(group="issue")
    async def _issue_ticket(self, service: str, priority: bool, key: str, language: str) -> None:
        outcome = await issue_ticket(self.client, self.branch_id, service, priority, key, language)
        if isinstance(outcome, IssueFailed):
            self.post_message(outcome)
            return
        assert self.branch is not None  # a service was touched, so the branch was read
        view = ticket_view(outcome, self.branch, self.device.base_url, Words(language))
        self.post_message(TicketIssued(outcome, view, key))
        # Printed from here rather than from the message handler: the citizen is waiting at
        # the slot, and a trip through the screen's message queue behind a repaint costs them
        # milliseconds for nothing.
        self.post_message(await print_ticket(self.printer, outcome, view))

    @on(IssueFailed)
    def _on_issue_failed(self, event: IssueFailed) -> None:
        self._issue_done()
        if event.confirmed_unissued:
            self.session.issued(event.key)
        if event.reason == "issue.unavailable":
            # The home notice says it; the counts refresh tells when the server is back.
            self._server_lost = True
            self.available = False
        else:
            self.session.problem = event.reason
        self._go_home(end_session=False)

    @on(TicketIssued)
    def _on_ticket_issued(self, event: TicketIssued) -> None:
        # Issued: the key has served its purpose; the ticket can be reprinted from now on.
        self.session.issued(event.key)
        self.last_ticket = event.view

    @on(TicketPrinted)
    def _on_printed(self, event: TicketPrinted) -> None:
        self.printer_blocked = self.printer_link.status_read(event.status, printed=True)
        self._show_ticket(event.ticket, printed=True)

    @on(PrintFailed)
    def _on_print_failed(self, event: PrintFailed) -> None:
        self.unprinted.append(event.view)
        self.printer_blocked = self.printer_link.print_failed(event.error)
        self._show_ticket(event.ticket, printed=False)

    def _issue_done(self) -> None:
        self.session.issue_done()
        if self._refresh_after_ticket:
            self._refresh_after_ticket = False
            self._refresh()

    def _show_ticket(self, ticket: Ticket, *, printed: bool) -> None:
        self._issue_done()
        words = Words(ticket.language)
        service = self.branch.service(ticket.service) if self.branch else None
        name = service.name_in(words.language) if service else ticket.service
        self.ticket.show(ticket, name, words, printed=printed)
        self._show(steps.TICKET)
        seconds = self.timings.ticket * (1 if printed else 3)
        self._ticket_timer = self.set_timer(seconds, self._end_session)
        self.session.touched()

    def _ticket_touched(self) -> None:
        if not self.session.fresh():
            self._end_session()

    def _end_session(self) -> None:
        if self._over is not None:
            # Closing it ends the session, through the same path as the technician leaving.
            self._over.dismiss()
            return
        self._go_home(end_session=True)

    def _go_home(self, *, end_session: bool) -> None:
        """Back to the services; ending the session also forgets the citizen entirely."""
        if self._ticket_timer is not None:
            self._ticket_timer.stop()
            self._ticket_timer = None
        self.priority.ask(None)
        self.session.go_home(end_session=end_session)
        if end_session:
            self.ticket.clear()
            self.language = self.session.language
        self._show(steps.HOME)
        self.set_focus(None)  # no button of a hidden step keeps the keyboard
        self._draw_notice()

    def _check_idle(self) -> None:
        if self.session.idle_due():
            self._end_session()

    # -- the server ---------------------------------------------------------------------

    def _refresh(self) -> None:
        """Read the branch and its queue again, soon."""
        if self.session.issuing:
            # Our own ticket.issued event arrives while the ticket prints: reading and redrawing
            # the counts now would only compete with the printer thread for the interpreter.
            self._refresh_after_ticket = True
            return
        self.feed.read()

    @on(QueueRead)
    async def _on_queue(self, event: QueueRead) -> None:
        await self.home.show_queue(event.branch, event.queue)
        self.branch = event.branch
        self.top_bar.office.update(event.branch.name)
        self._server_lost = False
        self.available = True
        self._draw_notice()
        self.alerts.catch_up()

    @on(ServerLost)
    def _on_server_lost(self, event: ServerLost) -> None:
        log.info("server lost: %s", event.reason)
        self._server_lost = True
        self.available = False
        self._draw_notice()

    # -- the printer (kiosk/printer_link.py watches it) ---------------------------------

    @on(PrinterChecked)
    def _on_printer_checked(self, event: PrinterChecked) -> None:
        self.printer_blocked = self.printer_link.checked(event)
        if isinstance(self._over, TechnicianScreen):
            self._over.show_printer(event.status)

    # -- the technician -----------------------------------------------------------------

    def action_technician(self) -> None:
        """Open the PIN pad (not while a ticket is being issued)."""
        if self.session.issuing or self._over is not None:
            return
        self.session.touched()
        self._open(PinPadScreen(self.words, self._check_pin, self.session), steps.PIN)

    def _open(self, modal: PinPadScreen | TechnicianScreen, step: str) -> None:
        self._over = modal
        self.session.show(step)
        self.app.push_screen(modal, self._modal_closed)

    def _modal_closed(self, result: bool | str | None) -> None:
        """The PIN pad said True (the right PIN), or the technician or idleness closed it."""
        self._over = None
        if result is True:
            self._open(self._technician_screen(), steps.TECHNICIAN)
            self.printer_link.check()
            return
        if result == "exit":
            # The hosting app decides; one that stays (the demo) is back with the citizens.
            self.post_message(self.ExitRequested())
        self._go_home(end_session=True)
        self._unfocus_on_resume = True

    def on_screen_resume(self) -> None:
        # Textual focuses the first button again when this screen comes back (after this
        # handler): after the technician, no button may keep the keyboard.
        if self._unfocus_on_resume:
            self._unfocus_on_resume = False
            self.call_next(self.set_focus, None)

    def _technician_screen(self) -> TechnicianScreen:
        return TechnicianScreen(
            self,
            self.printer,
            self.client,
            self.device.base_url,
            words=self.words,
            session=self.session,
        )

    def _check_pin(self, pin: str) -> str | None:
        """None for the right PIN; else what the pad says (wrong, or locked for a while)."""
        verdict = self.pin_gate.check(pin, time.monotonic())
        if verdict.alert is not None:
            self.alerts.report(*verdict.alert)
        return None if verdict.opens else self.words(verdict.refusal, minutes=verdict.minutes)

    def check_printer(self) -> None:
        """The technician asked for a printer status read."""
        self.printer_link.check()

    def reprinted(self, view: TicketView | None, status: PrinterStatus) -> None:
        """The technician printed a test page or reprinted ``view``: it is no longer owed."""
        if view is not None and view in self.unprinted:
            self.unprinted.remove(view)
        self.printer_blocked = self.printer_link.status_read(status, printed=True)
