"""The technician's menu over the kiosk: printer and server checks, test page, reprint, exit.

Dismissed with "back" (to the citizens) or "exit" (leave the kiosk program).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from drivers.printer import PrinterError, PrinterStatus, TicketPrinter, TicketView
from kiosk.check_in import FailedCheckIn
from kiosk.session import Session
from kiosk.wording import Words
from queue_api.client import ApiError, Forbidden, QueueClient, Unauthorized, Unreachable

log = logging.getLogger(__name__)


class TechnicianHost(Protocol):
    """What the menu needs of the kiosk it opened over."""

    last_ticket: TicketView | None
    #: Tickets issued but not printed, oldest first.
    unprinted: list[TicketView]

    def check_printer(self) -> None:
        """Read the printer's status now (the kiosk acts on it and shows it in the menu)."""

    def reprinted(self, view: TicketView | None, status: PrinterStatus) -> None:
        """A test page (``view`` None) or ticket printed; the printer said ``status``."""

    @property
    def failed_check_ins(self) -> Sequence[FailedCheckIn]:
        """Check-ins that gave no ticket, newest last."""


class TechnicianScreen(ModalScreen[str]):
    """Printer status, test page, reprint, server status, exit; each with a key of its own."""

    CSS_PATH = "technician.tcss"
    AUTO_FOCUS = "#tech-check"
    ACTIONS = ("check", "test", "reprint", "server_check", "exit", "back")
    #: Each action's key, shown on its button: the menu works from a keyboard too (Tab and
    #: Enter reach the buttons as well; Escape goes back).
    KEYS: ClassVar[dict[str, str]] = {
        "check": "1",
        "test": "2",
        "reprint": "3",
        "server_check": "4",
        "back": "0",
        "exit": "9",
    }

    @dataclass
    class Printed(Message):
        """A test page (``view`` None) or reprint finished: ``status`` after it, or ``error``."""

        view: TicketView | None
        status: PrinterStatus | None
        error: PrinterError | None

    def __init__(
        self,
        host: TechnicianHost,
        printer: TicketPrinter,
        client: QueueClient,
        server_url: str,
        *,
        words: Words,
        session: Session,
    ) -> None:
        super().__init__()
        self.host = host
        self.printer = printer
        self.client = client
        self.server_url = server_url
        self.words = words
        self.session = session
        self.lines = {
            line: Label(id=f"tech-{line}")
            for line in ("printer", "server", "last", "unprinted", "check_ins", "result")
        }

    def compose(self) -> ComposeResult:
        words = self.words
        with Vertical(id="technician"):
            yield Label(words("tech.title"), id="tech-title")
            yield from self.lines.values()
            yield Label(words("tech.keys"), id="tech-keys")
            with Vertical(id="tech-actions"):
                for row, actions in (
                    ("printer", ("check", "test", "reprint")),
                    ("other", ("server_check", "back", "exit")),
                ):
                    with Horizontal(id=f"tech-{row}-actions"):
                        for action in actions:
                            label = f"{self.KEYS[action]}  {words(f'tech.{action}')}"
                            yield Button(label, id=f"tech-{action}", classes="tech-action")

    def on_mount(self) -> None:
        self.set_line("printer", self.words("tech.printer_checking"))
        self.show_tickets()
        self.check_server()

    def set_line(self, line: str, text: str) -> None:
        """Update one status line: printer, server, last, unprinted or result."""
        self.lines[line].update(text)

    def show_tickets(self) -> None:
        """The last ticket issued and those not printed (oldest first), for a reprint."""
        last, words = self.host.last_ticket, self.words
        self.set_line(
            "last", words("tech.last", number=last.number) if last else words("tech.last_none")
        )
        numbers = ", ".join(view.number for view in self.host.unprinted)
        self.set_line("unprinted", words("tech.unprinted", numbers=numbers) if numbers else "")
        failed = "; ".join(f.line(words) for f in self.host.failed_check_ins[-3:])
        self.set_line("check_ins", words("tech.check_ins", failed=failed) if failed else "")

    def show_printer(self, status: PrinterStatus) -> None:
        """The printer's last status read."""
        self.set_line("printer", self.words("tech.printer", status=status.summary()))

    def on_mouse_down(self) -> None:
        self.session.touched()

    def on_key(self, event: events.Key) -> None:
        """An action's digit (or Escape for back) presses its button, as a touch does."""
        self.session.touched()
        key = self.KEYS["back"] if event.key == "escape" else event.key
        action = next((name for name, digit in self.KEYS.items() if digit == key), None)
        if action is not None:
            event.stop()
            self.query_one(f"#tech-{action}", Button).press()

    @on(Button.Pressed)
    def _on_button(self, event: Button.Pressed) -> None:
        event.stop()
        action = (event.button.id or "").removeprefix("tech-")
        if action in ("back", "exit"):
            self.dismiss(action)
        elif action == "check":
            self.set_line("printer", self.words("tech.printer_checking"))
            self.host.check_printer()
        elif action == "server_check":
            self.check_server()
        else:
            self._print_wanted(action)

    def _print_wanted(self, action: str) -> None:
        if action == "test":
            self._print(None)
            return
        # The oldest unprinted ticket first: its citizen is the one still waiting.
        view = self.host.unprinted[0] if self.host.unprinted else self.host.last_ticket
        if view is None:
            self.set_line("result", self.words("tech.nothing"))
        else:
            self._print(view)

    @work(thread=True, group="printer")
    def _print(self, view: TicketView | None) -> None:
        """Print the test page (``view`` None) or reprint a ticket."""
        try:
            status = self.printer.test_page() if view is None else self.printer.print_ticket(view)
        except PrinterError as exc:
            self.post_message(self.Printed(view, None, exc))
        except Exception as exc:  # a driver bug must not put a traceback on the kiosk
            log.exception("printer driver failed")
            self.post_message(self.Printed(view, None, PrinterError(repr(exc), "")))
        else:
            self.post_message(self.Printed(view, status, None))

    @on(Printed)
    def _on_printed(self, event: Printed) -> None:
        if event.status is not None:
            self.set_line("result", self.words("tech.printed"))
            self.host.reprinted(event.view, event.status)
            self.show_tickets()
            return
        error = event.error or PrinterError("unknown error", "")
        text = f"{error}" + (f": {error.advice}" if error.advice else "")
        self.set_line("result", self.words("tech.print_failed", error=text))

    @work(exclusive=True, group="server-check", exit_on_error=False)
    async def check_server(self) -> None:
        """Ask the server for its health and show the answer."""
        words, url = self.words, self.server_url
        try:
            health = await self.client.health()
            # Health needs no token: only a call with it says whether the server takes it.
            await self.client.whoami()
        except (Unauthorized, Forbidden) as exc:
            refused = words("tech.server_refused", url=url, status=exc.status)
            text = words("tech.server", status=refused)
        except (Unreachable, ApiError):
            text = words("tech.server", status=words("tech.server_down", url=url))
        else:
            ok = words("tech.server_ok", url=url, version=health.version)
            text = words("tech.server", status=ok)
        self.set_line("server", text)
