"""The office's message, scrolling along the bottom when it is longer than the screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual.widget import Widget

from display.clock import Clock, system_clock

CELLS_PER_SECOND = 4
GAP = "   ·   "


class Ticker(Widget):
    """Scrolls ``message``; its position comes from the clock, so a frozen clock freezes it."""

    DEFAULT_CSS = """
    Ticker { height: 1; width: 1fr; }
    """

    message: reactive[str] = reactive("")

    def __init__(
        self,
        message: str,
        clock: Clock = system_clock,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.clock = clock
        self.set_reactive(Ticker.message, message)

    def on_mount(self) -> None:
        self.set_interval(1 / CELLS_PER_SECOND, self.refresh)

    def render(self) -> RenderResult:
        width = self.content_size.width
        if len(self.message) <= width:
            return Text(self.message, justify="center")
        loop = self.message + GAP
        start = int(self.clock().timestamp() * CELLS_PER_SECOND) % len(loop)
        return Text((loop * (width // len(loop) + 2))[start : start + width], no_wrap=True)
