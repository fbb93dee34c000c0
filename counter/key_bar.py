"""The keys of the desk along the bottom, the disabled ones dimmed.

Textual's Footer rebuilds its keys on every bindings change and each rebuilt key leaves a
data-binding watcher behind on the Footer (Textual 8.2), so a terminal pressing Next all day
slows down more with every call. This bar redraws one line of text instead.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KeyBar(Static):
    """``F1 Siguiente  F2 Rellamar ...``; disabled keys dim. One line where it fits; on a
    narrow terminal (80 columns) a second line, broken between two keys, never cut off."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._keys: list[tuple[str, str, bool]] = []

    def show(self, keys: list[tuple[str, str, bool]]) -> None:
        """Show ``(key, description, enabled)`` in order."""
        self._keys = list(keys)
        width = self.size.width or self.app.size.width
        line = Text(no_wrap=True, overflow="ellipsis")
        used = 0
        for key, description, enabled in keys:
            entry = len(key) + len(description) + 2
            if used and used + entry - 1 > width:
                line.rstrip()
                line.append("\n")
                used = 0
            style = "" if enabled else "dim"
            line.append(key, style=f"bold reverse {style}".strip())
            line.append(f" {description} ", style=style)
            used += entry
        line.rstrip()
        self.update(line)

    def on_resize(self) -> None:
        if self._keys:
            self.show(self._keys)
