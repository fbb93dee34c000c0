"""The technician's corner: a PIN pad, then a menu of printer and server checks."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Grid, Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label

from kiosk.wording import Words

MAX_PIN = 8


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
    """Printer status, test page, reprint, server status, exit; buttons bubble to the screen."""

    ACTIONS = ("check", "test", "reprint", "server_check", "exit", "back")

    def compose(self) -> ComposeResult:
        yield Label(id="tech-title")
        yield Label(id="tech-printer")
        yield Label(id="tech-server")
        yield Label(id="tech-last")
        yield Label(id="tech-unprinted")
        yield Label(id="tech-result")
        with Horizontal(id="tech-printer-actions"):
            for action in ("check", "test", "reprint"):
                yield Button(id=f"tech-{action}", classes="tech-action")
        with Horizontal(id="tech-other-actions"):
            for action in ("server_check", "back", "exit"):
                yield Button(id=f"tech-{action}", classes="tech-action")

    def label(self, words: Words) -> None:
        """Set the menu's words."""
        self.query_one("#tech-title", Label).update(words("tech.title"))
        for action in self.ACTIONS:
            self.query_one(f"#tech-{action}", Button).label = words(f"tech.{action}")

    def set_line(self, line: str, text: str) -> None:
        """Update one status line: printer, server, last, unprinted or result."""
        self.query_one(f"#tech-{line}", Label).update(text)
