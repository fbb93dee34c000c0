"""The day's bookings of a branch (issue #15): time, service and where each stands (booked,
checked in, late, no-show, cancelled), with a count per state."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Label

from queue_api.client import QueueClient
from queue_api.schema import Appointment, EventType
from supervisor.feed import BranchEvent, Stale, follow, read_into
from supervisor.wording import words

log = logging.getLogger(__name__)

STATES = ("booked", "late", "checked_in", "no_show", "cancelled")
"""Where a booking stands, in the order the counts read."""
STATE_STYLES = {
    "booked": "",
    "late": "bold yellow",
    "checked_in": "green",
    "no_show": "bold red",
    "cancelled": "dim",
}
CHANGING_EVENTS = {EventType.APPOINTMENT_CHECKED_IN, EventType.TICKET_ISSUED}
"""Events after which a booking may stand elsewhere (a check-in issues a ticket)."""


def state_of(appointment: Appointment) -> str:
    """``late`` for a booking still booked after its start; else its status."""
    return "late" if appointment.status == "booked" and appointment.late else appointment.status


class BookingsScreen(Screen[None]):
    """Read on start, after a check-in or a ticket, and every ``refresh_seconds`` (a booking
    becomes late, then a no-show, only as time passes). ``appointments`` draws a fixed list."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(
        self,
        client: QueueClient,
        language: str,
        branch: str,
        refresh_seconds: float = 30.0,
        *,
        appointments: Sequence[Appointment] | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.language = language
        self.t = words(language)
        self.branch = branch
        self.refresh_seconds = refresh_seconds
        self.appointments: list[Appointment] | None = (
            None if appointments is None else list(appointments)
        )
        self.fixed = appointments is not None
        self.stale = Stale(self, lambda _: self.read())

    def compose(self) -> ComposeResult:
        yield Label(self.t("bookings.title", branch=self.branch), id="title", classes="title")
        yield Label("", id="status", classes="status")
        yield Label("", id="counts")
        yield DataTable(id="bookings", cursor_type="row", zebra_stripes=True)
        yield Label(self.t("back.hint"), classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key in ("time", "service", "status"):
            table.add_column(self.t(f"col.{key}"), key=key)
        if self.fixed:
            self.draw()
            return
        follow(self, self.client, self.branch)
        self.read()
        self.set_interval(self.refresh_seconds, self.read)

    def read(self) -> None:
        """Read the day's bookings again (the newest read replaces one running)."""
        read_into(
            self,
            "bookings",
            lambda: self.client.appointments(self.branch),
            self._shown,
            (self.t, self._say),
        )

    def _shown(self, appointments: list[Appointment]) -> None:
        self.appointments = appointments
        self.draw()

    def _say(self, text: str) -> None:
        status = self.query_one("#status", Label)
        status.update(text)
        status.display = bool(text)

    def on_branch_event(self, message: BranchEvent) -> None:
        if message.event is not None and message.event.type in CHANGING_EVENTS:
            self.stale.mark(message.branch)

    def draw(self) -> None:
        appointments = self.appointments
        if appointments is None:
            return
        table = self.query_one(DataTable)
        table.clear()
        counts = self.query_one("#counts", Label)
        if not appointments:
            counts.update(self.t("bookings.none"))
            table.display = False
            return
        table.display = True
        tally = Counter(state_of(a) for a in appointments)
        counts.update(
            " · ".join(self.t(f"bookings.count.{state}", n=tally[state]) for state in STATES)
        )
        for appointment in appointments:
            state = state_of(appointment)
            name = appointment.service_name
            table.add_row(
                # The apps show times in the machine's zone: the office's own.
                f"{appointment.start.astimezone():%H:%M}",
                name.get(self.language) or name.get("es") or appointment.service,
                Text(self.t(f"booking.{state}"), style=STATE_STYLES[state]),
                key=appointment.id,
            )
