"""Check-in at the kiosk: "I have an appointment", the code typed on a big keypad or scanned
from its QR, and what follows (a ticket printed like any other, or a message in es and en).

A 2D scanner acts as a keyboard: a code arrives as fast keystrokes ending in Enter, with no
screen opened for it. ``ScannerBurst`` tells that from a citizen pressing a service's digit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from kiosk import session as steps
from kiosk.issuing import print_ticket
from kiosk.messages import TicketIssued
from kiosk.session import Session
from kiosk.ticket_slip import ticket_view
from kiosk.wording import Words
from queue_api.client import (
    ApiError,
    CheckInRefused,
    NotFound,
    TooManyRequests,
    Unreachable,
    new_idempotency_key,
)
from queue_api.schema import Branch

if TYPE_CHECKING:
    from kiosk.kiosk_screen import KioskScreen

log = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""The characters of a booking code (the server's ``queue_api.slots``): no 0/O, 1/I/L."""
CODE_LENGTH = 8
SCANNER_GAP = 0.25
"""Seconds between a scanner's keystrokes at most; a person's are slower than a scanner's."""
FAILURES_KEPT = 10
"""Failed check-ins the technician menu shows, newest last."""


def clean_code(text: str) -> str | None:
    """The booking code ``text`` spells (any case, dashes and spaces ignored), or None."""
    code = "".join(ch for ch in text.upper() if ch not in " -")
    if len(code) != CODE_LENGTH or not all(ch in CODE_ALPHABET for ch in code):
        return None
    return code if not code[0].isdigit() else None


class ScannerBurst:
    """A scanner's keystrokes on the kiosk's home: a letter starts a burst (codes start with
    one, digits pick services), then letters and digits follow, each within ``gap`` seconds,
    until Enter. No Textual, the clock passed in."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, gap: float = SCANNER_GAP):
        self.clock = clock
        self.gap = gap
        self.typed = ""
        self._last = 0.0

    def feed(self, key: str, character: str | None) -> tuple[bool, str | None]:
        """One keystroke: (whether the burst took it, the text scanned once Enter ends it)."""
        now = self.clock()
        if self.typed and now - self._last > self.gap:
            self.typed = ""  # a pause: not a scanner, or the rest of one was lost
        if key == "enter":
            scanned, self.typed = self.typed, ""
            return (True, scanned) if scanned else (False, None)
        char = character or ""
        if len(char) != 1 or not (char.isalnum() or (char == "-" and self.typed)):
            return False, None
        if not self.typed and not char.isalpha():
            return False, None  # a digit alone: the citizen picks a service
        self.typed += char
        self._last = now
        return True, None


@dataclass(frozen=True)
class FailedCheckIn:
    """One check-in that gave no ticket, for the technician: when, the code's start, why."""

    at: datetime
    code: str
    reason: str

    def line(self, words: Words) -> str:
        """``10:02 K7PX… unknown code`` in the technician's language."""
        shown = f"{self.code[:4]}…" if self.code else "?"
        return f"{self.at:%H:%M} {shown} {words(f'tech.check_in.{self.reason}')}"


class CodePadScreen(ModalScreen[str | None]):
    """The booking code on a big on-screen keypad; a keyboard (or a scanner) types too.

    Dismissed with the code on OK, "" when the citizen goes back, None when idleness closes it.
    """

    CSS_PATH = "check_in.tcss"
    AUTO_FOCUS = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "nothing", show=False, priority=True),
        Binding("shift+tab", "nothing", show=False, priority=True),
    ]
    ROWS = ("23456789", "ABCDEFGH", "JKMNPQRS", "TUVWXYZ")

    def __init__(self, words: Words, session: Session) -> None:
        super().__init__()
        self.words = words
        self.session = session
        self.code = ""
        self.entry = Label(id="code-entry")
        self.message = Label(id="code-message")

    def compose(self) -> ComposeResult:
        words = self.words
        with Vertical(id="code-pad"):
            yield Label(words("code.title"), id="code-title")
            yield self.entry
            yield self.message
            with Center(), Grid(id="code-keys"):
                for row in self.ROWS:
                    for char in row:
                        yield _quick(Button(char, id=f"code-{char}", classes="code-char"))
                yield _quick(Button("⌫", id="code-back"))
            with Center(), Grid(id="code-actions"):
                yield Button(words("code.cancel"), id="code-cancel")
                yield Button(words("code.clear"), id="code-clear")
                yield Button(words("code.ok"), id="code-ok", variant="primary")

    def on_mount(self) -> None:
        self._draw()

    def action_nothing(self) -> None:
        """Keys the pad has no use for."""

    def on_mouse_down(self) -> None:
        self.session.touched()

    def on_key(self, event: events.Key) -> None:
        self.session.touched()
        event.stop()
        char = (event.character or "").upper()
        button = {"enter": "code-ok", "escape": "code-cancel", "backspace": "code-back"}.get(
            event.key
        )
        if button is None and len(char) == 1 and char in CODE_ALPHABET:
            button = f"code-{char}"
        if button is not None:
            self.query_one(f"#{button}", Button).press()

    @on(Button.Pressed, ".code-char")
    def _char(self, event: Button.Pressed) -> None:
        if len(self.code) < CODE_LENGTH:
            self.code += str(event.button.label)
        self.message.update("")
        self._draw()

    @on(Button.Pressed, "#code-back")
    def _back(self) -> None:
        self.code = self.code[:-1]
        self._draw()

    @on(Button.Pressed, "#code-clear")
    def _clear(self) -> None:
        self.code = ""
        self._draw()

    @on(Button.Pressed, "#code-ok")
    def _ok(self) -> None:
        code = clean_code(self.code)
        if code is None:
            self.message.update(self.words("code.incomplete", n=CODE_LENGTH))
            return
        self.dismiss(code)

    @on(Button.Pressed, "#code-cancel")
    def _cancel(self) -> None:
        self.dismiss("")

    def _draw(self) -> None:
        shown = (self.code + "_" * CODE_LENGTH)[:CODE_LENGTH]
        self.entry.update(f"{' '.join(shown[:4])}  -  {' '.join(shown[4:])}")


def _quick(button: Button) -> Button:
    """A key pressed twice in a row counts twice (codes have "KK"): Textual ignores a click on
    a button still showing its last press, so this one shows none."""
    button.active_effect_duration = 0
    return button


class CheckInMessage(ModalScreen[None]):
    """Why a check-in gave no ticket, in Spanish and English at once (the kiosk cannot know
    which the citizen reads); a touch, a key or ``seconds`` close it."""

    CSS_PATH = "check_in.tcss"
    AUTO_FOCUS = ""

    def __init__(self, lines: list[str], seconds: float) -> None:
        super().__init__()
        self.lines = lines
        self.seconds = seconds

    def compose(self) -> ComposeResult:
        with Vertical(id="check-in-message"):
            for n, line in enumerate(self.lines):
                yield Label(line, id=f"check-in-line-{n}", classes="check-in-line")

    def on_mount(self) -> None:
        self.set_timer(self.seconds, self._close)

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self._close()

    def on_click(self) -> None:
        self._close()

    def _close(self) -> None:
        if self.is_current:
            self.dismiss(None)


def both_languages(key: str, **values: object) -> list[str]:
    """The catalog text for ``key`` in Spanish, then English."""
    return [Words("es")(key, **values), Words("en")(key, **values)]


def offers_appointments(branch: Branch | None) -> bool:
    """Whether some service of the branch takes appointments."""
    return branch is not None and any(service.appointments for service in branch.services)


class CheckInFlow:
    """The check-in part of the kiosk's screen: it owns the scanner's burst, the keypad and
    the failures the technician sees; the ticket goes the way every ticket goes."""

    def __init__(self, screen: KioskScreen) -> None:
        self.screen = screen
        self.burst = ScannerBurst()
        self.failures: list[FailedCheckIn] = []

    @property
    def offered(self) -> bool:
        """The branch takes appointments and the server answers."""
        return offers_appointments(self.screen.branch) and self.screen.available

    def key(self, event: events.Key) -> bool:
        """A keystroke on the home or ticket step: True when it belongs to a scanned code."""
        if not self.offered:
            return False
        took, scanned = self.burst.feed(event.key, event.character)
        if scanned is not None:
            self.submit(scanned)
        return took

    def open_pad(self) -> None:
        """The "I have an appointment" button: the keypad over the kiosk."""
        screen = self.screen
        if screen.session.step != steps.HOME or screen.session.issuing or not self.offered:
            return
        screen.session.touched()
        pad = CodePadScreen(screen.words, screen.session)
        screen._over = pad
        screen.session.show(steps.CODE)
        screen.app.push_screen(pad, self._pad_closed)

    def _pad_closed(self, code: str | None) -> None:
        self.screen._over = None
        if code:
            self.screen._go_home(end_session=False)
            self.submit(code)
        else:
            # Back (""), or idleness (None): the session ends with idleness only.
            self.screen._go_home(end_session=code is None)

    def submit(self, text: str) -> None:
        """Check in the code ``text`` (typed or scanned)."""
        screen, session = self.screen, self.screen.session
        if session.step == steps.TICKET:
            screen._end_session()  # the last citizen's ticket gives way to the next one
        if session.issuing or session.step != steps.HOME:
            return
        code = clean_code(text)
        if code is None:
            self._failed("", "unknown")
            return
        session.issuing = True
        session.problem = ""
        screen._show(steps.ISSUING)
        screen.run_worker(self._check_in(code), group="check-in")

    async def _check_in(self, code: str) -> None:
        screen = self.screen
        key = new_idempotency_key()
        try:
            ticket = await screen.client.check_in(screen.branch_id, code, idempotency_key=key)
        except CheckInRefused as exc:
            self._failed(code, exc.reason or "failed", exc.come_back_at)
            return
        except NotFound:
            self._failed(code, "unknown")
            return
        except Unreachable:
            self._failed(code, "unavailable")
            return
        except TooManyRequests:
            self._failed(code, "too_fast")
            return
        except ApiError as exc:
            log.error("check-in refused: %s %s", exc.status, exc.detail)
            self._failed(code, "failed")
            return
        except Exception:  # a malformed answer or a bug: the citizen must not see a traceback
            log.exception("check-in failed")
            self._failed(code, "failed")
            return
        assert screen.branch is not None  # offered: the branch was read
        view = ticket_view(ticket, screen.branch, screen.device.base_url, Words(ticket.language))
        screen.post_message(TicketIssued(ticket, view, key))
        screen.post_message(await print_ticket(screen.printer, ticket, view))

    def _failed(self, code: str, reason: str, come_back_at: datetime | None = None) -> None:
        screen = self.screen
        log.info("check-in gave no ticket: %s", reason)
        self.failures = [*self.failures, FailedCheckIn(datetime.now(), code, reason)][
            -FAILURES_KEPT:
        ]
        if screen.session.issuing:
            screen.session.issue_done()
            screen._go_home(end_session=False)
        if come_back_at is not None:
            lines = both_languages("check_in.early", time=f"{come_back_at.astimezone():%H:%M}")
        else:
            lines = both_languages(f"check_in.{reason}")
        screen.app.push_screen(CheckInMessage(lines, screen.timings.ticket))
