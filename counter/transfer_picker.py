"""Pick the service a ticket moves to: a short list, arrows and Enter, Esc to cancel."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from counter.wording import CounterWords


class TransferPicker(CounterWords, ModalScreen[str | None]):
    """Dismisses with the chosen service id, or None when cancelled."""

    CSS_PATH = "counter.tcss"
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, language: str, number: str, services: list[tuple[str, str]]) -> None:
        super().__init__()
        self.language = language
        self.number = number
        self.services = services

    def compose(self) -> ComposeResult:
        t = self.t
        with Vertical(id="transfer-box"):
            yield Label(t("transfer.title", number=self.number))
            yield OptionList(
                *(
                    Option(f"{index}. {name}", id=service)
                    for index, (service, name) in enumerate(self.services, 1)
                ),
                id="transfer-services",
            )
            yield Label(t("transfer.cancel"), classes="hint")

    def on_key(self, event: events.Key) -> None:
        # A digit picks the line with that number: one key for the common case.
        character = event.character
        if character and character.isdigit() and 1 <= int(character) <= len(self.services):
            event.stop()
            self.dismiss(self.services[int(character) - 1][0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
