"""The list of the last calls under the big one, newest first; in big glyphs when room allows."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from device.glyphs import render, text_height, text_width
from queue_api.schema import Call

RECALL_MARK = "↻"


class RecentCalls(Widget):
    """Ticket number and counter of each recent call; a recall carries a mark.

    On a TV-sized terminal each call is drawn in glyphs too, so the list reads from the back
    of the room; on a small terminal it is one line of text per call.
    """

    DEFAULT_CSS = """
    RecentCalls { height: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.calls: list[Call] = []

    def show(self, calls: Sequence[Call]) -> None:
        """Replace the list with ``calls`` (newest first)."""
        self.calls = list(calls)
        self.refresh()

    def lines(self) -> list[str]:
        """One line per call: number (padded so counters line up), then the counter label."""
        width = max((len(call.number) for call in self.calls), default=0)
        return [f"{call.number:<{width}} {call.counter_label}" for call in self.calls]

    @property
    def big(self) -> bool:
        """Whether the calls are drawn in glyphs at the current size."""
        lines = self.lines()
        size = self.content_size
        fitting = size.height // text_height(1)
        return (
            bool(lines)
            and fitting >= min(len(lines), 3)
            and all(text_width(line, 1) <= size.width for line in lines[:fitting])
        )

    def render(self) -> RenderResult:
        lines = self.lines()
        if self.big:
            fitting = self.content_size.height // text_height(1)
            rows = [row for line in lines[:fitting] for row in render(line, 1)]
            return Text("\n".join(rows), no_wrap=True, overflow="crop")
        text = Text(no_wrap=True, overflow="ellipsis")
        width = max((len(call.number) for call in self.calls), default=0)
        for index, call in enumerate(self.calls):
            if index:
                text.append("\n")
            text.append(f"{call.number:<{width}}", style="bold")
            text.append(f"  {RECALL_MARK if call.recall else ' '} {call.counter_label}")
        return text
