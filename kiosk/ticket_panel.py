"""The issued ticket on screen: the number large, the service, people ahead, the wait."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from device.big_text import BigText
from kiosk.wording import Words
from queue_api.schema import CheckedIn, Ticket


class TicketPanel(Vertical):
    """One citizen's ticket; :meth:`clear` leaves nothing of it on screen."""

    def compose(self) -> ComposeResult:
        yield Label(id="ticket-heading")
        # Any prefix in big glyphs (the font the counter and the lobby display use too).
        yield BigText(id="ticket-number", max_scale=2)
        yield Label(id="ticket-service")
        yield Label(id="ticket-ahead")
        yield Label(id="ticket-wait")
        yield Static(id="ticket-keep")
        yield Label(id="ticket-touch")

    def show(self, ticket: Ticket, service_name: str, words: Words, *, printed: bool) -> None:
        """Show ``ticket``; when it was not printed, say so and ask to photograph it."""
        self.query_one("#ticket-number", BigText).text = ticket.number
        if ticket.priority:
            service_name = f"{service_name} · {words('ticket.priority')}"
        if ticket.appointment_at is not None:
            booked = f"{ticket.appointment_at.astimezone():%H:%M}"
            service_name = f"{service_name} · {words('ticket.appointment', time=booked)}"
        self.query_one("#ticket-heading", Label).update(words("ticket.your_number"))
        self.query_one("#ticket-service", Label).update(service_name)
        self.query_one("#ticket-ahead", Label).update(
            words.counted("ticket.ahead", ticket.ahead or 0)
        )
        self.query_one("#ticket-wait", Label).update(
            words(
                "ticket.wait",
                wait=words.wait_range(ticket.ewt_range_seconds, ticket.ewt_seconds),
            )
        )
        keep = (
            words("ticket.keep") if printed else words("ticket.not_printed", number=ticket.number)
        )
        if isinstance(ticket, CheckedIn) and ticket.late:
            keep = f"{words('ticket.late')}\n{keep}"
        self.query_one("#ticket-keep", Static).update(keep)
        self.set_class(not printed, "-not-printed")
        self.query_one("#ticket-touch", Label).update(words("ticket.touch"))

    def clear(self) -> None:
        """Forget the ticket: the next citizen must not see it."""
        self.query_one("#ticket-number", BigText).text = ""
        for widget in self.query(Static):  # Labels included
            widget.update("")
        self.remove_class("-not-printed")

    @property
    def number(self) -> str:
        """The number on screen ("" when none), for tests and the technician."""
        return self.query_one("#ticket-number", BigText).text
