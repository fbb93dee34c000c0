"""The nine desk buttons under the ticket and the key bar's entries, greyed out by the rules."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button

from counter.desk import Action
from counter.desk_rules import BUTTONS, KEYS, action_word, key_word
from counter.wording import CounterWords
from queue_api.schema import Counter


class ActionButtons(CounterWords, Horizontal):
    """One button per action (``#do-<action>``); a press runs the screen's action of that name."""

    def __init__(self, language: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.language = language
        #: The actions enabled on screen now (None: not drawn yet).
        self.enabled: set[Action] | None = None
        self.counter: Counter | None = None

    def compose(self) -> ComposeResult:
        for action in BUTTONS:
            button = Button(self.label(action), id=f"do-{action.value}", compact=True)
            button.can_focus = False  # keys belong to the screen, not to a button
            yield button

    def label(self, action: Action) -> str:
        """``F7 Pausar (p)``: the F-key, the action's name for the desk's state, the letter."""
        fkey, letter = KEYS[action]
        return f"{fkey.upper()} {self.t(action_word(action, self.counter))} ({letter})"

    def keys(self) -> list[tuple[str, str, bool]]:
        """The key bar's entries: ``(F-key, short name, enabled)`` per action."""
        enabled = self.enabled or set()
        return [
            (KEYS[action][0].upper(), self.t(key_word(action, self.counter)), action in enabled)
            for action in BUTTONS
        ]

    def show(self, enabled: set[Action], counter: Counter | None) -> bool:
        """Enable exactly ``enabled``, labelled for ``counter``; False when nothing changed."""
        self.counter = counter
        if enabled == self.enabled and self._labels_ok():
            return False  # restyling nine buttons and the key bar costs frames: only on a change
        self.enabled = enabled
        for action in BUTTONS:
            button = self.query_one(f"#do-{action.value}", Button)
            button.disabled = action not in enabled
            button.label = self.label(action)
        return True

    def _labels_ok(self) -> bool:
        # Only Pause/Resume changes its label (with the counter's state).
        label = self.query_one("#do-pause_resume", Button).label
        plain = label if isinstance(label, str) else label.plain
        return plain == self.label(Action.PAUSE_RESUME)
