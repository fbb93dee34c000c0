"""BigText: any text in the largest glyphs that fit the widget, for reading across a room."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from device.glyphs import largest_scale, render


def centred(rows: list[str], width: int, height: int, style: Style) -> list[Strip]:
    """``rows`` centred in ``width`` x ``height`` cells, cropped if they are wider."""
    top = max(0, (height - len(rows)) // 2)
    lines = [Strip.blank(width, style)] * height
    for index, row in enumerate(rows[:height]):
        left = max(0, (width - len(row)) // 2)
        text = (" " * left + row)[:width].ljust(width)
        lines[top + index] = Strip([Segment(text, style)], width)
    return lines


class BigText(Widget):
    """``text`` as big as its size allows; plain bold text when even scale 1 does not fit.

    Drawn line by line from strips kept until the text, the size or the style changes: the
    glyphs are the biggest thing on the board and it redraws them often.
    """

    DEFAULT_CSS = """
    BigText {
        width: 1fr;
        height: 1fr;
    }
    """

    text: reactive[str] = reactive("")
    max_scale: reactive[int] = reactive(12)

    def __init__(
        self,
        text: str = "",
        *,
        max_scale: int = 12,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(BigText.text, text)
        self.set_reactive(BigText.max_scale, max_scale)
        self._drawn: list[Strip] | None = None

    @property
    def scale(self) -> int:
        """The glyph scale used at the current size (0: too small, drawn as plain text)."""
        size = self.content_size
        return largest_scale(self.text, size.width, size.height, self.max_scale)

    def lines(self) -> list[Strip]:
        """The whole widget's content, one strip per row."""
        if self._drawn is None or len(self._drawn) != self.content_size.height:
            size = self.content_size
            style = self.rich_style
            scale = self.scale
            if scale:
                rows = render(self.text, scale)
            else:
                rows = [self.text] if self.text else []
                style = style + Style(bold=True)
            self._drawn = centred(rows, size.width, size.height, style)
        return self._drawn

    def _forget(self) -> None:
        self._drawn = None

    def watch_text(self) -> None:
        self._forget()

    def watch_max_scale(self) -> None:
        self._forget()

    def on_resize(self) -> None:
        self._forget()

    def notify_style_update(self) -> None:
        # Colours change with the blink; the strips carry them.
        super().notify_style_update()
        self._forget()

    def render_line(self, y: int) -> Strip:
        lines = self.lines()
        return lines[y] if 0 <= y < len(lines) else Strip.blank(self.content_size.width)
