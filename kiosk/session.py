"""One citizen's session at the kiosk, as plain rules: no Textual, no I/O, the clock passed in.

The screen asks these rules what a touch means and draws what they say; tests check them
without an app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from queue_api.schema import Service

#: Where the kiosk is: the services, the priority question, waiting for the ticket, the
#: ticket itself; or the technician's PIN pad and menu.
Step = str
HOME, PRIORITY, ISSUING, TICKET = "home", "priority", "issuing", "ticket"
PIN, TECHNICIAN = "pin", "technician"
#: The booking code's keypad (kiosk/check_in.py).
CODE = "code"


@dataclass
class Session:
    """What the kiosk remembers of the citizen in front of it, and the rules that use it."""

    clock: Callable[[], float]
    #: Touches this soon after a step appears are the second half of a double tap.
    tap_guard: float
    #: No touch for this long ends the session.
    idle: float
    #: A fresh idempotency key for a new press (the client's).
    make_key: Callable[[], str]
    default_language: str = "es"
    step: Step = HOME
    language: str = ""
    #: The service waiting for the priority answer.
    chosen: Service | None = None
    #: Idempotency keys of presses the server may have seen but not confirmed, per
    #: (service, priority): pressing again reuses the key, so it cannot give two tickets.
    keys: dict[tuple[str, bool], str] = field(default_factory=dict)
    #: A ticket is on its way: further presses are the rest of a double tap.
    issuing: bool = False
    #: Catalog key of why the last press gave no ticket (shown until the session ends).
    problem: str = ""
    _shown_at: float = 0.0
    _touched_at: float = 0.0

    def __post_init__(self) -> None:
        self.language = self.language or self.default_language
        self._touched_at = self.clock()

    def show(self, step: Step) -> None:
        """``step`` is on screen from now."""
        self.step = step
        self._shown_at = self.clock()

    def fresh(self) -> bool:
        """The current step appeared too recently for a touch on it to be meant for it."""
        return self.clock() - self._shown_at < self.tap_guard

    def touched(self) -> None:
        """Someone touched the screen or pressed a key: not idle."""
        self._touched_at = self.clock()

    def choose(self, service: Service) -> bool:
        """A service touched on the home step; True when it asks the priority question first."""
        if service.priority_allowed:
            self.chosen = service
            self.show(PRIORITY)
            return True
        return False

    def can_answer(self) -> bool:
        """A priority answer now is meant as one (not the double tap that chose the service)."""
        return self.step == PRIORITY and self.chosen is not None and not self.fresh()

    def start_issue(self, service: Service, priority: bool) -> str | None:
        """The idempotency key to issue with, or None while a ticket is already on its way."""
        if self.issuing:
            return None
        self.issuing = True
        self.problem = ""
        self.show(ISSUING)
        press = (service.id, priority)
        if press not in self.keys:
            self.keys[press] = self.make_key()
        return self.keys[press]

    def issued(self, key: str) -> None:
        """The server confirmed (or refused for sure) the press made with ``key``."""
        self.keys = {press: k for press, k in self.keys.items() if k != key}

    def issue_done(self) -> None:
        """The press has its answer, ticket or not."""
        self.issuing = False

    def go_home(self, *, end_session: bool) -> None:
        """Back to the services; ending the session also forgets the citizen entirely."""
        self.chosen = None
        if end_session:
            self.keys.clear()
            self.problem = ""
            self.language = self.default_language
        self.show(HOME)

    def idle_due(self) -> bool:
        """Left alone long enough, with something of the citizen still showing or kept."""
        if self.clock() - self._touched_at < self.idle or self.issuing:
            return False  # an issuing ticket ends the session by its own timer
        left_something = self.language != self.default_language or bool(self.keys)
        return self.step != HOME or left_something or bool(self.problem)
