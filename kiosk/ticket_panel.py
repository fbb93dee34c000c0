"""The issued ticket on screen: the number large, the service, people ahead, the wait."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Digits, Label, Static

from kiosk.wording import Words
from queue_api.schema import Ticket

#: Characters Textual's Digits can draw large; other prefixes fall back to bold text.
_DIGITS_CHARSET = set("0123456789ABCDEF")


class TicketPanel(Vertical):
    """One citizen's ticket; :meth:`clear` leaves nothing of it on screen."""

    def compose(self) -> ComposeResult:
        yield Label(id="ticket-heading")
        yield Digits(id="ticket-number")
        yield Static(id="ticket-number-text")
        yield Label(id="ticket-service")
        yield Label(id="ticket-ahead")
        yield Label(id="ticket-wait")
        yield Static(id="ticket-keep")
        yield Label(id="ticket-touch")

    def show(self, ticket: Ticket, service_name: str, words: Words, *, printed: bool) -> None:
        """Show ``ticket``; when it was not printed, say so and ask to photograph it."""
        big = set(ticket.number) <= _DIGITS_CHARSET
        self.query_one("#ticket-number", Digits).update(ticket.number if big else "")
        self.query_one("#ticket-number", Digits).display = big
        self.query_one("#ticket-number-text", Static).update("" if big else ticket.number)
        self.query_one("#ticket-number-text", Static).display = not big
        if ticket.priority:
            service_name = f"{service_name} · {words('ticket.priority')}"
        self.query_one("#ticket-heading", Label).update(words("ticket.your_number"))
        self.query_one("#ticket-service", Label).update(service_name)
        self.query_one("#ticket-ahead", Label).update(
            words.counted("ticket.ahead", ticket.ahead or 0)
        )
        self.query_one("#ticket-wait", Label).update(
            words("ticket.wait", wait=words.wait(ticket.ewt_seconds))
        )
        keep = (
            words("ticket.keep") if printed else words("ticket.not_printed", number=ticket.number)
        )
        self.query_one("#ticket-keep", Static).update(keep)
        self.set_class(not printed, "-not-printed")
        self.query_one("#ticket-touch", Label).update(words("ticket.touch"))

    def clear(self) -> None:
        """Forget the ticket: the next citizen must not see it."""
        self.query_one("#ticket-number", Digits).update("")
        for widget in self.query(Static):  # Labels included
            widget.update("")
        self.remove_class("-not-printed")

    @property
    def number(self) -> str:
        """The number on screen ("" when none), for tests and the technician."""
        digits = self.query_one("#ticket-number", Digits).value
        return digits or str(self.query_one("#ticket-number-text", Static).content)
