"""The warning above the steps: why the last press gave nothing, no server, no printer."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from kiosk.wording import DEFAULT_LANGUAGE, Words


class Notice(Static):
    """Hidden when there is nothing to say; red when the server is lost."""

    #: Bound to the screen's.
    language: reactive[str] = reactive(DEFAULT_LANGUAGE, init=False)
    printer_blocked: reactive[bool] = reactive(False, init=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.problem = ""
        self.server_lost = False

    def on_mount(self) -> None:
        self.redraw()

    def watch_language(self) -> None:
        self.redraw()

    def watch_printer_blocked(self) -> None:
        self.redraw()

    def show(self, *, problem: str, server_lost: bool) -> None:
        """Say ``problem`` (a catalog key, "" for none) and whether the server is lost."""
        self.problem, self.server_lost = problem, server_lost
        self.redraw()

    def redraw(self) -> None:
        """The lines that apply, in the current language."""
        words = Words(self.language)
        lines = [words(self.problem)] if self.problem else []
        if self.server_lost:
            lines.append(words("notice.unavailable"))
        if self.printer_blocked:
            lines.append(words("notice.printer"))
        self.update("\n".join(lines))
        self.display = bool(lines)
        self.set_class(self.server_lost, "-unavailable")
