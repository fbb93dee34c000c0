"""The priority question, for services that allow it: yes, no, or back to the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Label

from kiosk.wording import DEFAULT_LANGUAGE, Words
from queue_api.schema import Service


class PriorityStep(Vertical):
    """Asks whether the citizen needs priority; keys 1, 2 and 0 (or Escape) press its buttons."""

    #: Bound to the screen's language.
    language: reactive[str] = reactive(DEFAULT_LANGUAGE, init=False)
    #: The answer each key gives: the button it presses.
    KEYS: ClassVar[dict[str, str]] = {"1": "yes", "2": "no", "0": "back", "escape": "back"}

    @dataclass
    class Answered(Message):
        """The citizen answered: ``priority`` True or False, or None to go back."""

        priority: bool | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.service: Service | None = None
        self.service_label = Label(id="priority-service")
        self.question = Label(id="priority-question")
        self.who = Label(id="priority-who")
        self.buttons = {
            "yes": Button(id="priority-yes", variant="success"),
            "no": Button(id="priority-no", variant="primary"),
            "back": Button(id="priority-back"),
        }

    def compose(self) -> ComposeResult:
        yield self.service_label
        yield self.question
        yield self.who
        with Horizontal(id="priority-answers"):
            yield self.buttons["yes"]
            yield self.buttons["no"]
        yield self.buttons["back"]

    def on_mount(self) -> None:
        self.watch_language()

    def watch_language(self) -> None:
        words = Words(self.language)
        self.question.update(words("priority.question"))
        self.who.update(words("priority.who"))
        for answer, button in self.buttons.items():
            button.label = words(f"priority.{answer}")
        self._draw_service()

    def ask(self, service: Service | None) -> None:
        """Ask about ``service`` (None: forget it, nothing shows)."""
        self.service = service
        self._draw_service()

    def press(self, key: str) -> bool:
        """A key pressed on this step presses its button; True when it was one of them."""
        answer = self.KEYS.get(key)
        if answer is not None:
            self.buttons[answer].press()
        return answer is not None

    def _draw_service(self) -> None:
        name = self.service.name_in(self.language) if self.service else ""
        self.service_label.update(name)

    @on(Button.Pressed)
    def _on_button(self, event: Button.Pressed) -> None:
        event.stop()
        answer = {"yes": True, "no": False}
        name = next(name for name, button in self.buttons.items() if button is event.button)
        self.post_message(self.Answered(answer.get(name)))
