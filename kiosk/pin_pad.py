"""The technician's way in: a PIN pad over the kiosk that dismisses True for the right PIN."""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from kiosk.session import Session
from kiosk.wording import Words

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


@dataclass(frozen=True)
class PinVerdict:
    """What one PIN entered means: the menu opens, or the pad says why not; maybe an alert."""

    opens: bool
    #: The catalog key the pad shows when it does not open ("pin.wrong" or "pin.locked").
    refusal: str = ""
    #: Minutes until the pad takes PINs again, for "pin.locked".
    minutes: int = 0
    #: An alert for staff: (kind, detail).
    alert: tuple[str, str] | None = None


class PinGate:
    """The technician's PIN and the wrong ones in a row: no Textual, the time passed in."""

    def __init__(self, pin: str, attempts: PinAttempts) -> None:
        self._pin = pin
        self.attempts = attempts

    def check(self, pin: str, now: float) -> PinVerdict:
        """Judge ``pin`` entered at ``now``."""
        if self.attempts.locked_for(now):
            return self._locked(now)
        if secrets.compare_digest(pin, self._pin):
            cleared = self.attempts.right()
            detail = "the technician menu was opened with the right PIN"
            return PinVerdict(True, alert=("kiosk.ok", detail) if cleared else None)
        if not self.attempts.wrong(now):
            return PinVerdict(False, "pin.wrong")
        detail = (
            f"{self.attempts.allowed} wrong technician PINs in a row: the PIN pad "
            f"refuses PINs for {self.attempts.lockout:g} s; check who was at the kiosk"
        )
        return replace(self._locked(now), alert=("kiosk.pin_locked", detail))

    def _locked(self, now: float) -> PinVerdict:
        return PinVerdict(False, "pin.locked", math.ceil(self.attempts.locked_for(now) / 60))


#: Checks a PIN: None when it opens the menu, else what the pad says instead.
PinCheck = Callable[[str], "str | None"]


class PinPadScreen(ModalScreen[bool]):
    """A PIN entry with an on-screen keypad; keyboard keys press the same buttons.

    Dismissed with True once the right PIN is entered, False when cancelled.
    """

    CSS_PATH = "pin_pad.tcss"
    #: Nothing focused: Enter means OK wherever the technician last touched.
    AUTO_FOCUS = ""
    #: No focus to move: every key the pad knows presses its own button.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "nothing", show=False, priority=True),
        Binding("shift+tab", "nothing", show=False, priority=True),
    ]
    #: Keys that press a button other than a digit's.
    KEYS: ClassVar[dict[str, str]] = {"enter": "pin-ok", "escape": "pin-cancel"}

    def __init__(self, words: Words, check: PinCheck, session: Session) -> None:
        super().__init__()
        self.words = words
        self.check = check
        self.session = session
        self.pin = ""
        self.dots = Label(id="pin-dots")
        self.message = Label(id="pin-message")

    def compose(self) -> ComposeResult:
        words = self.words
        with Vertical(id="pin"):
            yield Label(words("pin.title"), id="pin-title")
            yield self.dots
            yield self.message
            with Center(), Grid(id="pin-keys"):
                for digit in "123456789":
                    yield Button(digit, id=f"pin-{digit}", classes="pin-digit")
                yield Button(words("pin.clear"), id="pin-clear")
                yield Button("0", id="pin-0", classes="pin-digit")
                yield Button(words("pin.ok"), id="pin-ok", variant="primary")
            with Center():
                yield Button(words("pin.cancel"), id="pin-cancel")

    def on_mount(self) -> None:
        self.reset()

    def action_nothing(self) -> None:
        """Keys the pad has no use for."""

    def reset(self, message: str = "") -> None:
        """Empty the entry, optionally saying why (a wrong PIN)."""
        self.pin = ""
        self._draw()
        self.message.update(message)

    def on_mouse_down(self) -> None:
        self.session.touched()

    def on_key(self, event: events.Key) -> None:
        self.session.touched()
        event.stop()
        if event.key == "backspace":
            self.pin = self.pin[:-1]
            self._draw()
            return
        digit = len(event.key) == 1 and event.key.isdigit()
        button = f"pin-{event.key}" if digit else self.KEYS.get(event.key)
        if button is not None:
            self.query_one(f"#{button}", Button).press()

    @on(Button.Pressed, ".pin-digit")
    def _digit(self, event: Button.Pressed) -> None:
        self.pin = (self.pin + str(event.button.label))[:MAX_PIN]
        self._draw()

    @on(Button.Pressed, "#pin-clear")
    def _clear(self) -> None:
        self.reset()

    @on(Button.Pressed, "#pin-ok")
    def _ok(self) -> None:
        refused = self.check(self.pin)
        if refused is None:
            self.dismiss(True)
        else:
            self.reset(refused)

    @on(Button.Pressed, "#pin-cancel")
    def _cancel(self) -> None:
        self.dismiss(False)

    def _draw(self) -> None:
        self.dots.update(" ".join("●" * len(self.pin)) or " ")
