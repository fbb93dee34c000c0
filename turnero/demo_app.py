"""The demo's one window: kiosk, counter and lobby display as modes, with their virtual hardware.

The kiosk's printer appears as a paper strip beside it and the counter's LED board above it;
both are the drivers' virtual devices, polled a few times a second like a person would look.
In a small terminal (an 80x24 console) the strip gives way to one line and the board shrinks,
so that the kiosk keeps every button usable and the counter its queue and keys.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from counter.app import board_for
from counter.screen import CounterScreen
from device.big_text import BigText
from device.config import DeviceConfig
from display.board_screen import BoardScreen
from display.sound import open_player
from drivers.board import LedBoard, VirtualBoard
from drivers.printer import VirtualPrinter
from drivers.ticket_layout import Text as TextBlock
from kiosk.kiosk_screen import KioskScreen
from queue_api.client import QueueClient

LOOK_EVERY = 0.2
"""Seconds between looks at the virtual devices."""
WIDE = 100
"""Columns from which the paper strip (46) fits beside the kiosk; below, a line replaces it."""
ABOVE_COUNTER = 1 + 7
"""Rows above the counter in a tall terminal: the mode bar and the LED board (one when short)."""


class PrinterView(Static):
    """Something drawn from the virtual printer's last print, redrawn when a new one comes."""

    def __init__(self, printer: VirtualPrinter, *, id: str) -> None:
        super().__init__(id=id)
        self.printer = printer
        self._seen = -1

    def on_mount(self) -> None:
        self.set_interval(LOOK_EVERY, self.look)
        self.look()

    def look(self) -> None:
        if len(self.printer.tickets) == self._seen:
            return
        self._seen = len(self.printer.tickets)
        self.update(self.drawn())

    def drawn(self) -> Text:
        """The last print as this view shows it."""
        raise NotImplementedError


class PaperStrip(PrinterView):
    """The last ticket the virtual printer printed, as a strip of paper."""

    DEFAULT_CSS = """
    PaperStrip {
        dock: right;
        width: 46;
        height: 1fr;
        background: #f5f5f0;
        color: #111;
        padding: 1 1;
        border-left: heavy $primary;
    }
    """

    def __init__(self, printer: VirtualPrinter) -> None:
        super().__init__(printer, id="demo-paper")

    def drawn(self) -> Text:
        return Text("\n".join(self.printer.printed or ["(virtual printer: no ticket yet)"]))


class PaperNote(PrinterView):
    """One line in place of the strip when the terminal is too narrow for both it and the kiosk."""

    DEFAULT_CSS = """
    PaperNote {
        dock: bottom;
        height: 1;
        background: #f5f5f0;
        color: #111;
        padding: 0 1;
    }
    """

    def __init__(self, printer: VirtualPrinter) -> None:
        super().__init__(printer, id="demo-paper-note")

    def drawn(self) -> Text:
        # The big text of a print is its number (a ticket's, or the test page's sample).
        big = [
            block.text
            for block in self.printer.blocks
            if isinstance(block, TextBlock) and block.big
        ]
        printed = f"printed {big[0]}" if big else "no ticket yet"
        return Text(f"Virtual printer: {printed}. Its paper shows from {WIDE} columns on.")


class LedBoardView(Static):
    """The counter's virtual LED board: red digits on black, blinking while the board blinks."""

    DEFAULT_CSS = """
    LedBoardView {
        dock: top;
        height: 7;
        background: black;
        color: #ff3b30;
        text-style: bold;
        border: heavy #444;
    }
    LedBoardView.off { color: #3a0a08; }
    LedBoardView BigText { color: #ff3b30; }
    """

    def __init__(self, board: VirtualBoard) -> None:
        super().__init__(id="demo-board")
        self.board = board

    def compose(self) -> ComposeResult:
        yield BigText("", max_scale=2)

    def on_mount(self) -> None:
        self.set_interval(LOOK_EVERY, self.look)

    def look(self) -> None:
        text = self.query_one(BigText)
        text.text = self.board.shown.strip()
        self.set_class(self.board.blinking and not self.has_class("off"), "off")


class ModeBar(Static):
    """Which program is on screen, and the keys to the others."""

    DEFAULT_CSS = """
    ModeBar { dock: top; height: 1; background: $accent; color: $text; padding: 0 1; }
    """

    def __init__(self, current: str) -> None:
        keys = "  ".join(
            f"[b]{key}[/b] {name}" if name != current else f"[reverse] {key} {name} [/reverse]"
            for key, name in (("F10", "Kiosk"), ("F11", "Counter"), ("F12", "Display"))
        )
        super().__init__(f"Turnero demo   {keys}   [b]ctrl+q[/b] quit")


def css_beside(screen: type[KioskScreen | CounterScreen | BoardScreen]) -> str:
    """``screen``'s CSS_PATH made absolute: Textual reads it relative to the subclass's file."""
    return str(Path(inspect.getfile(screen)).parent / screen.CSS_PATH)


class DemoKioskScreen(KioskScreen):
    CSS_PATH = css_beside(KioskScreen)
    HORIZONTAL_BREAKPOINTS: list[tuple[int, str]] | None = [(0, "-narrow"), (WIDE, "-wide")]  # noqa: RUF012
    DEFAULT_CSS = """
    DemoKioskScreen.-narrow PaperStrip { display: none; }
    DemoKioskScreen.-wide PaperNote { display: none; }
    """

    def __init__(self, device: DeviceConfig, client: QueueClient, printer: VirtualPrinter):
        super().__init__(device, client, printer, id="kiosk")
        self.paper = printer

    def compose(self) -> ComposeResult:
        yield ModeBar("Kiosk")
        yield PaperStrip(self.paper)
        yield PaperNote(self.paper)
        yield from super().compose()


class DemoCounterScreen(CounterScreen):
    CSS_PATH = css_beside(CounterScreen)
    # The counter's own breakpoints, moved by the rows the demo puts above it when tall: the
    # desk keeps the height each of its layouts needs.
    VERTICAL_BREAKPOINTS: list[tuple[int, str]] | None = [  # noqa: RUF012
        (rows + ABOVE_COUNTER if rows else 0, name)
        for rows, name in CounterScreen.VERTICAL_BREAKPOINTS or []
    ]
    DEFAULT_CSS = """
    #demo-top { dock: top; height: auto; }
    #demo-top > * { dock: none; }
    /* Short (under 38 rows): the board as one band of plain digits, so that the counter
       keeps its queue at 80x24, even under the closed desk's hint. */
    DemoCounterScreen.-short LedBoardView { height: 1; border: none; padding: 0 1; }
    """

    def __init__(self, device: DeviceConfig, client: QueueClient, board: LedBoard | None):
        super().__init__(device, client, board)
        self.virtual_board = board if isinstance(board, VirtualBoard) else None

    def compose(self) -> ComposeResult:
        with Vertical(id="demo-top"):
            yield ModeBar("Counter")
            if self.virtual_board is not None:
                yield LedBoardView(self.virtual_board)
        yield from super().compose()


class DemoBoardScreen(BoardScreen):
    CSS_PATH = css_beside(BoardScreen)

    def compose(self) -> ComposeResult:
        yield ModeBar("Display")
        yield from super().compose()


class DemoApp(App[None]):
    """Kiosk (F10), counter (F11) and lobby display (F12) of one office, in one window."""

    TITLE = "Turnero demo"
    BINDINGS: ClassVar[list[BindingType]] = [
        # F1-F9 belong to the counter's actions.
        Binding("f10", "switch_mode('kiosk')", "Kiosk", priority=True),
        Binding("f11", "switch_mode('counter')", "Counter", priority=True),
        Binding("f12", "switch_mode('display')", "Display", priority=True),
    ]

    def __init__(self, devices: dict[str, DeviceConfig]) -> None:
        super().__init__()
        self.devices = devices
        self.clients = {
            role: QueueClient(device.base_url, device.server.token)
            for role, device in devices.items()
        }
        self.printer = VirtualPrinter()
        self.board, _ = board_for(devices["counter"])

    def on_mount(self) -> None:
        self.add_mode(
            "kiosk",
            lambda: DemoKioskScreen(self.devices["kiosk"], self.clients["kiosk"], self.printer),
        )
        self.add_mode(
            "counter",
            lambda: DemoCounterScreen(self.devices["counter"], self.clients["counter"], self.board),
        )
        self.add_mode(
            "display",
            lambda: DemoBoardScreen(
                self.devices["display"], self.clients["display"], open_player()
            ),
        )
        self.switch_mode("kiosk")

    async def on_unmount(self) -> None:
        for client in self.clients.values():
            await client.aclose()
        if self.board is not None:
            self.board.close()
