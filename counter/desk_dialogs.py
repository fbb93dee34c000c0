"""The clerk's dialogs beyond Next: pick a waiting ticket to call out of order (and confirm,
seeing who waits longest), bring back a late no-show by its number, and the outcome a visit
ended with. Keyboard first: digits pick, Enter confirms, Esc cancels."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from counter.clock import minutes
from counter.key_bar import KeyBar
from counter.wording import CounterWords
from queue_api.schema import Ticket, WaitingTicket

DIALOG_CSS = """
{name} {{
    align: center middle;
}}
{name} > Vertical {{
    width: 76;
    height: auto;
    border: thick $primary;
    background: $surface;
    padding: 1 2;
}}
{name} OptionList {{
    height: auto;
    max-height: 12;
}}
{name} .hint {{
    color: $text-muted;
}}
{name} .-error {{
    color: $error;
    text-style: bold;
}}
{name} KeyBar {{
    height: auto;
    margin-top: 1;
    background: $panel;
}}
"""


def waited(ticket: Ticket | WaitingTicket, now: datetime) -> str:
    """How long ``ticket`` has been in the queue at ``now``, in whole minutes."""
    since = ticket.queue_at if isinstance(ticket, WaitingTicket) else ticket.issued_at
    return minutes(max((now - since).total_seconds(), 0.0))


class WaitingPicker(CounterWords, ModalScreen[str | None]):
    """The tickets this counter may call, in the policy's order with its why: dismisses with
    the chosen ticket's id, or None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="WaitingPicker")
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, language: str, tickets: list[WaitingTicket], names: dict[str, str], now: datetime
    ) -> None:
        super().__init__()
        self.language = language
        self.tickets = tickets
        self.names = names
        self.now = now

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.t("call.title"))
            yield OptionList(
                *(
                    Option(
                        f"{index}. {t.number}  {self.names.get(t.service, t.service)}"
                        f"  · {waited(t, self.now)}\n   {t.why or ''}",
                        id=t.id,
                    )
                    for index, t in enumerate(self.tickets, 1)
                ),
                id="waiting-tickets",
            )
            yield Label(self.t("call.hint"), classes="hint")

    def on_key(self, event: events.Key) -> None:
        character = event.character
        if character and character.isdigit() and 1 <= int(character) <= len(self.tickets):
            event.stop()
            self.dismiss(self.tickets[int(character) - 1].id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmCall(CounterWords, ModalScreen[bool]):
    """Call ``chosen`` out of order? Shows the cost: who waits longest, and whom the policy
    would call. Enter (or y/s) confirms, Esc (or n) cancels."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmCall")
    BINDINGS: ClassVar = [
        Binding("enter,y,s", "confirm", "Call"),
        Binding("escape,n", "cancel", "Cancel"),
    ]

    def __init__(
        self, language: str, chosen: WaitingTicket, line: list[WaitingTicket], now: datetime
    ) -> None:
        super().__init__()
        self.language = language
        self.chosen = chosen
        self.line = line
        self.now = now

    def compose(self) -> ComposeResult:
        t = self.t
        longest = min(self.line, key=lambda ticket: ticket.queue_at)
        with Vertical():
            yield Label(t("call.confirm", number=self.chosen.number), id="confirm-question")
            if longest.id != self.chosen.id:
                yield Label(
                    t("call.longest", number=longest.number, time=waited(longest, self.now)),
                    id="confirm-longest",
                    classes="-error",
                )
            else:
                yield Label(t("call.is_longest", number=longest.number), id="confirm-longest")
            if self.line[0].id != self.chosen.id:
                yield Label(t("call.policy_next", number=self.line[0].number), id="confirm-next")
            yield Label(t("call.confirm_keys"), classes="hint")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ReturnPrompt(CounterWords, ModalScreen[str | None]):
    """The number of a no-show of today who came late: dismisses with that ticket's id, or
    None. An unknown number is said in the dialog, which stays open."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ReturnPrompt")
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, language: str, no_shows: list[Ticket]) -> None:
        super().__init__()
        self.language = language
        self.no_shows = no_shows

    def compose(self) -> ComposeResult:
        t = self.t
        latest = ", ".join(ticket.number for ticket in self.no_shows[:8]) or "-"
        with Vertical():
            yield Label(t("return.title"))
            yield Input(placeholder=t("return.placeholder"), id="return-number")
            yield Label(t("return.latest", numbers=latest), classes="hint")
            yield Label("", id="return-error", classes="-error")
            yield Label(t("return.keys"), classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        typed = event.value.strip().upper()
        found = next((ticket for ticket in self.no_shows if ticket.number == typed), None)
        if found is None:
            self.query_one("#return-error", Label).update(
                self.t("return.unknown", number=typed or "-")
            )
            return
        self.dismiss(found.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class OutcomePicker(CounterWords, ModalScreen[str | None]):
    """How the visit of ``number`` ended: one digit per outcome of its service, shown in the
    key bar. No skipping: the service asks for one; Esc goes back without finishing."""

    DEFAULT_CSS = DIALOG_CSS.format(name="OutcomePicker")
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, language: str, number: str, outcomes: list[tuple[str, str]]) -> None:
        super().__init__()
        self.language = language
        self.number = number
        self.outcomes = outcomes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.t("outcome.title", number=self.number))
            yield KeyBar(id="outcome-keys")

    def on_mount(self) -> None:
        keys = [(str(n), name, True) for n, (_, name) in enumerate(self.outcomes, 1)]
        self.query_one(KeyBar).show([*keys, ("Esc", self.t("outcome.back"), True)])

    def on_key(self, event: events.Key) -> None:
        character = event.character
        if character and character.isdigit() and 1 <= int(character) <= len(self.outcomes):
            event.stop()
            self.dismiss(self.outcomes[int(character) - 1][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
