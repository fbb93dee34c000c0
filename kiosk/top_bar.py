"""The bar above every step: the office's name and one button per language."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Label

from kiosk.wording import DEFAULT_LANGUAGE, Words


class TopBar(Horizontal):
    """The office's name, and the languages with the current one marked."""

    #: Bound to the screen's language.
    language: reactive[str] = reactive(DEFAULT_LANGUAGE, init=False)

    @dataclass
    class LanguageChosen(Message):
        """A citizen touched a language."""

        language: str

    def __init__(self, languages: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.office = Label(id="office")
        self.buttons = {
            language: Button(
                Words(language)(f"lang.{language}"), id=f"lang-{language}", classes="lang"
            )
            for language in languages
        }

    def compose(self) -> ComposeResult:
        yield self.office
        yield from self.buttons.values()

    def on_mount(self) -> None:
        self.watch_language()

    def watch_language(self) -> None:
        for language, button in self.buttons.items():
            button.set_class(language == self.language, "-selected")

    @on(Button.Pressed)
    def _on_button(self, event: Button.Pressed) -> None:
        event.stop()
        language = next(name for name, button in self.buttons.items() if button is event.button)
        self.post_message(self.LanguageChosen(language))
