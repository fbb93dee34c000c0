"""The keys of the desk along the bottom, the disabled ones dimmed.

Textual's Footer rebuilds its keys on every bindings change and each rebuilt key leaves a
data-binding watcher behind on the Footer (Textual 8.2), so a terminal pressing Next all day
slows down more with every call. This bar redraws one line of text instead.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KeyBar(Static):
    """One line: ``F1 Siguiente  F2 Rellamar ...``; disabled keys dim."""

    def show(self, keys: list[tuple[str, str, bool]]) -> None:
        """Show ``(key, description, enabled)`` in order."""
        line = Text(no_wrap=True, overflow="ellipsis")
        for key, description, enabled in keys:
            style = "" if enabled else "dim"
            line.append(key, style=f"bold reverse {style}".strip())
            line.append(f" {description} ", style=style)
        line.rstrip()
        self.update(line)
