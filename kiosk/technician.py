"""The technician's corner: a PIN pad, then a menu of printer and server checks."""

from __future__ import annotations

import logging
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Grid, Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label

from drivers.printer import PrinterError, PrinterStatus, TicketPrinter, TicketView
from kiosk.wording import Words
from queue_api.client import ApiError, Forbidden, QueueClient, Unauthorized, Unreachable

log = logging.getLogger(__name__)

MAX_PIN = 8
#: Wrong PINs in a row before the pad stops trying them.
WRONG_PINS_ALLOWED = 5


class PinAttempts:
    """Wrong PINs in a row; after too many the pad refuses every PIN for ``lockout`` seconds.

    A four-digit PIN falls to anyone with a keyboard and an hour; a lockout makes that days.
    """

    def __init__(self, lockout: float, allowed: int = WRONG_PINS_ALLOWED) -> None:
        self.lockout = lockout
        self.allowed = allowed
        self.wrong_in_a_row = 0
        self._locked_until = 0.0
        self._locked_since_right = False

    def locked_for(self, now: float) -> float:
        """Seconds until the pad takes PINs again (0 when it does)."""
        return max(0.0, self._locked_until - now)

    def wrong(self, now: float) -> bool:
        """Count a wrong PIN; True when this one locks the pad."""
        self.wrong_in_a_row += 1
        if self.wrong_in_a_row < self.allowed:
            return False
        self.wrong_in_a_row = 0
        self._locked_until = now + self.lockout
        self._locked_since_right = True
        return True

    def right(self) -> bool:
        """The right PIN: the count starts again. True when the pad had locked meanwhile."""
        self.wrong_in_a_row = 0
        locked, self._locked_since_right = self._locked_since_right, False
        return locked


class PinPad(Vertical):
    """A PIN entry with an on-screen keypad; digits typed on a keyboard work too."""

    class Entered(Message):
        """The technician confirmed a PIN (right or wrong: the screen decides)."""

        def __init__(self, pin: str) -> None:
            super().__init__()
            self.pin = pin

    class Cancelled(Message):
        """The technician left the PIN pad."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pin = ""

    def compose(self) -> ComposeResult:
        yield Label(id="pin-title")
        yield Label(id="pin-dots")
        yield Label(id="pin-message")
        with Center(), Grid(id="pin-keys"):
            for digit in "123456789":
                yield Button(digit, id=f"pin-{digit}", classes="pin-digit")
            yield Button(id="pin-clear")
            yield Button("0", id="pin-0", classes="pin-digit")
            yield Button(id="pin-ok", variant="primary")
        with Center():
            yield Button(id="pin-cancel")

    def label(self, words: Words) -> None:
        """Set the pad's words."""
        self.query_one("#pin-title", Label).update(words("pin.title"))
        self.query_one("#pin-clear", Button).label = words("pin.clear")
        self.query_one("#pin-ok", Button).label = words("pin.ok")
        self.query_one("#pin-cancel", Button).label = words("pin.cancel")

    def reset(self, message: str = "") -> None:
        """Empty the entry, optionally saying why (a wrong PIN)."""
        self.pin = ""
        self._draw()
        self.query_one("#pin-message", Label).update(message)

    def type(self, key: str) -> None:
        """Handle one keypad key: a digit, backspace, enter or escape."""
        if key.isdigit() and len(key) == 1:
            self.pin = (self.pin + key)[:MAX_PIN]
            self._draw()
        elif key == "backspace":
            self.pin = self.pin[:-1]
            self._draw()
        elif key == "enter":
            self.post_message(self.Entered(self.pin))
        elif key == "escape":
            self.post_message(self.Cancelled())

    def _draw(self) -> None:
        self.query_one("#pin-dots", Label).update(" ".join("●" * len(self.pin)) or " ")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button.id or ""
        if button.startswith("pin-") and button[4:].isdigit():
            self.type(button[4:])
        elif button == "pin-clear":
            self.reset()
        elif button == "pin-ok":
            self.type("enter")
        elif button == "pin-cancel":
            self.type("escape")


class TechnicianMenu(Vertical):
    """Printer status, test page, reprint, server status, exit.

    The menu prints and checks the server itself; the screen hears what concerns it (a ticket
    reprinted, a printer check wanted, back, exit) through messages.
    """

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

    class Printed(Message):
        """A test page (``view`` None) or reprint finished: ``status`` after it, or ``error``."""

        def __init__(
            self, view: TicketView | None, status: PrinterStatus | None, error: PrinterError | None
        ) -> None:
            super().__init__()
            self.view, self.status, self.error = view, status, error

    class PrinterCheckWanted(Message):
        """The technician asked for a printer status read (the screen acts on what it says)."""

    class Left(Message):
        """The technician went back to the citizens' screen."""

    class ExitWanted(Message):
        """The technician chose "exit kiosk"."""

    def __init__(
        self, printer: TicketPrinter, client: QueueClient, server_url: str, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.printer = printer
        self.client = client
        self.server_url = server_url
        self.words = Words()
        self._last: TicketView | None = None
        self._unprinted: list[TicketView] = []

    def compose(self) -> ComposeResult:
        yield Label(id="tech-title")
        yield Label(id="tech-printer")
        yield Label(id="tech-server")
        yield Label(id="tech-last")
        yield Label(id="tech-unprinted")
        yield Label(id="tech-result")
        yield Label(id="tech-keys")
        with Horizontal(id="tech-printer-actions"):
            for action in ("check", "test", "reprint"):
                yield Button(id=f"tech-{action}", classes="tech-action")
        with Horizontal(id="tech-other-actions"):
            for action in ("server_check", "back", "exit"):
                yield Button(id=f"tech-{action}", classes="tech-action")

    def label(self, words: Words) -> None:
        """Set the menu's words (and keep them for the lines it writes later)."""
        self.words = words
        self.query_one("#tech-title", Label).update(words("tech.title"))
        for action in self.ACTIONS:
            button = self.query_one(f"#tech-{action}", Button)
            button.label = f"{self.KEYS[action]}  {words(f'tech.{action}')}"
        self.query_one("#tech-keys", Label).update(words("tech.keys"))

    def key(self, key: str) -> bool:
        """Act on a key pressed in the menu (an action's digit, or Escape for back); True when
        it was one."""
        if key == "escape":
            key = self.KEYS["back"]
        action = next((name for name, digit in self.KEYS.items() if digit == key), None)
        if action is not None:
            self._act(action)
        return action is not None

    def focus_first(self) -> None:
        """Put the keyboard's focus on the first button (Tab and Enter work from there)."""
        self.query_one("#tech-check", Button).focus()

    def set_line(self, line: str, text: str) -> None:
        """Update one status line: printer, server, last, unprinted or result."""
        self.query_one(f"#tech-{line}", Label).update(text)

    def open(self, last: TicketView | None, unprinted: list[TicketView]) -> None:
        """Start afresh: the tickets that can be reprinted, and a new server check."""
        self.set_line("printer", self.words("tech.printer_checking"))
        self.set_line("result", "")
        self.show_tickets(last, unprinted)
        self.check_server()

    def show_tickets(self, last: TicketView | None, unprinted: list[TicketView]) -> None:
        """The last ticket issued and those not printed (oldest first), for a reprint."""
        self._last, self._unprinted = last, list(unprinted)
        words = self.words
        self.set_line(
            "last", words("tech.last", number=last.number) if last else words("tech.last_none")
        )
        numbers = ", ".join(view.number for view in unprinted)
        self.set_line("unprinted", words("tech.unprinted", numbers=numbers) if numbers else "")

    def show_printer(self, status: PrinterStatus) -> None:
        """The printer's last status read."""
        self.set_line("printer", self.words("tech.printer", status=status.summary()))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if not self.display:
            return  # the menu is hidden: the kiosk is the citizens' again
        self._act((event.button.id or "").removeprefix("tech-"))

    def _act(self, action: str) -> None:
        if action == "check":
            self.set_line("printer", self.words("tech.printer_checking"))
            self.post_message(self.PrinterCheckWanted())
        elif action == "server_check":
            self.check_server()
        elif action == "test":
            self._print(None)
        elif action == "reprint":
            # The oldest unprinted ticket first: its citizen is the one still waiting.
            view = self._unprinted[0] if self._unprinted else self._last
            if view is None:
                self.set_line("result", self.words("tech.nothing"))
            else:
                self._print(view)
        elif action == "back":
            self.post_message(self.Left())
        elif action == "exit":
            self.post_message(self.ExitWanted())

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
        # Not stopped: the screen also hears it, to forget a reprinted ticket.
        if event.status is not None:
            self.set_line("result", self.words("tech.printed"))
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
