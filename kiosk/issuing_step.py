"""The moment between the press and the ticket: the citizen is asked to wait."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Label

from kiosk.wording import DEFAULT_LANGUAGE, Words


class IssuingStep(Vertical):
    """ "Please wait" while the server issues and the printer prints."""

    #: Bound to the screen's language.
    language: reactive[str] = reactive(DEFAULT_LANGUAGE, init=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = Label(id="issuing-text")

    def compose(self) -> ComposeResult:
        yield self.text

    def on_mount(self) -> None:
        self.watch_language()

    def watch_language(self) -> None:
        self.text.update(Words(self.language)("issuing.wait"))
