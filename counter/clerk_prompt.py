"""A short prompt for the clerk's name when the device file has none."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from counter.wording import CounterWords


class ClerkPrompt(CounterWords, ModalScreen[str]):
    """Asks who works at the desk; dismisses with the name (never empty)."""

    CSS_PATH = "counter.tcss"

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language

    def compose(self) -> ComposeResult:
        t = self.t
        with Vertical(id="clerk-box"):
            yield Label(t("clerk.title"))
            yield Input(placeholder=t("clerk.placeholder"), max_length=40, id="clerk-name")
            yield Label("", id="clerk-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = " ".join(event.value.split())
        if not name:
            self.query_one("#clerk-error", Label).update(self.t("clerk.empty"))
            return
        self.dismiss(name)
