"""The desk's line under the banners: which desk, its state, who serves; and the state's hint."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from counter.desk_rules import state_hint
from counter.text_fields import set_text
from counter.wording import CounterWords
from queue_api.schema import Counter


class DeskBar(CounterWords, Horizontal):
    """``Ventanilla 3 · Centro   Abierta   Atiende: Marta``, from the attributes it is given."""

    def __init__(self, language: str, counter_id: str, branch_id: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.language = language
        self.counter_id = counter_id
        #: The branch's name once read; its id until then.
        self.branch_name = branch_id
        self.counter: Counter | None = None
        self.clerk = ""

    def compose(self) -> ComposeResult:
        yield Static(id="desk-title")
        yield Static(id="desk-state")
        yield Static(id="desk-clerk")

    def show(self) -> None:
        """Redraw from ``counter``, ``clerk`` and ``branch_name`` (only what changed redraws)."""
        counter = self.counter
        label = counter.label if counter else self.counter_id
        title = self.t("desk.title", label=label, branch=self.branch_name)
        set_text(self.query_one("#desk-title", Static), title)
        state = self.query_one("#desk-state", Static)
        value = counter.state.value if counter else "unknown"
        set_text(state, self.t(f"state.{value}"))
        for option in ("open", "paused", "closed"):
            state.set_class(value == option, f"-{option}")
        clerk = self.t("desk.clerk", clerk=self.clerk) if self.clerk else self.t("desk.no_clerk")
        set_text(self.query_one("#desk-clerk", Static), clerk)


class StateHint(CounterWords, Static):
    """What a paused or closed desk means for the clerk; empty while the desk is open."""

    def __init__(self, language: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.language = language

    def show(self, counter: Counter | None) -> None:
        """Say what ``counter``'s state means (nothing for an open desk)."""
        key = state_hint(counter)
        hint = self.t(key) if key else ""
        set_text(self, hint)
        self.set_class(not hint, "-empty")
