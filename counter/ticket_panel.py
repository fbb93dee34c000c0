"""The current ticket, large: number, service, priority, waits and recalls."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from counter.clock import duration, minutes
from counter.text_fields import set_text
from counter.wording import CounterWords
from device.big_text import BigText
from queue_api.schema import Ticket, TicketStatus


class TicketPanel(CounterWords, Widget):
    """Shows ``ticket`` (None: an empty desk) with times measured up to ``now``."""

    ticket: reactive[Ticket | None] = reactive(None)
    now: reactive[datetime | None] = reactive(None)
    loaded = reactive(False)

    def __init__(self, language: str, service_names: dict[str, str], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.language = language
        self.service_names = service_names
        #: Why the last ticket this desk called was chosen, by its id: only the call's answer
        #: says it, and later reads of the counter do not.
        self.why: tuple[str, str] | None = None

    def compose(self) -> ComposeResult:
        yield BigText("----", id="number", max_scale=1)  # any prefix, as big as the digits
        yield Static(id="service")
        yield Static(id="times")
        yield Static(id="why")

    def on_mount(self) -> None:
        self.border_title = self.t("ticket.title")
        self._show()

    def watch_ticket(self) -> None:
        self._show()

    def watch_now(self) -> None:
        self._show()

    def watch_loaded(self) -> None:
        self._show()

    def _show(self) -> None:
        if not self.is_mounted:
            return
        number = self.query_one("#number", BigText)
        service = self.query_one("#service", Static)
        times = self.query_one("#times", Static)
        why = self.query_one("#why", Static)
        ticket = self.ticket
        if ticket is not None and ticket.why:
            self.why = (ticket.id, ticket.why)
        reason = ""
        if ticket is not None and self.why is not None and self.why[0] == ticket.id:
            reason = self.why[1]
        set_text(why, self.t("ticket.why", why=reason) if reason else "")
        why.display = bool(reason)
        self.set_class(ticket is not None and ticket.status is TicketStatus.CALLED, "-called")
        self.set_class(ticket is not None and ticket.status is TicketStatus.SERVING, "-serving")
        if ticket is None:
            number.text = "----"
            set_text(
                service, self.t("ticket.none" if self.loaded else "ticket.loading"), fixed_size=True
            )
            set_text(times, "", fixed_size=True)
            return
        number.text = ticket.number
        name = self.service_names.get(ticket.service, ticket.service)
        mark = f"   {self.t('ticket.priority')}" if ticket.priority else ""
        if ticket.appointment_at is not None:
            # When it was booked for and when the citizen checked in (the ticket's issue).
            booked, arrived = ticket.appointment_at.astimezone(), ticket.issued_at.astimezone()
            mark += "   " + self.t(
                "ticket.appointment", booked=f"{booked:%H:%M}", arrived=f"{arrived:%H:%M}"
            )
        status = self.t(f"ticket.status.{ticket.status.value}")
        set_text(service, f"{status} · {name}{mark}", fixed_size=True)
        set_text(times, "   ".join(self._times(ticket)), fixed_size=True)

    def _times(self, ticket: Ticket) -> list[str]:
        now = self.now or ticket.called_at or ticket.issued_at
        # The wait in the queue in whole minutes: what the stats count, and what a clerk
        # tells a citizen; the time at the desk to the second, from the injectable clock.
        waited = (ticket.called_at or now) - ticket.issued_at
        lines = [self.t("ticket.waited", time=minutes(waited.total_seconds()))]
        if ticket.status is TicketStatus.SERVING:
            lines.append(self.t("ticket.serving_for", time=duration(ticket.started_at, now)))
        else:
            lines.append(self.t("ticket.called_for", time=duration(ticket.called_at, now)))
        lines.append(self.t("ticket.recalls", n=ticket.recalls))
        return lines
