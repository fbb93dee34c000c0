"""``turnero counter``: a thin App around the clerk's screen, with its client and LED board."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from textual.screen import Screen

from counter.clock import Clock, system_clock
from counter.screen import CounterScreen
from device.config import DeviceConfig
from device.shell import DeviceApp
from drivers.board import BoardError, LedBoard, open_board
from queue_api.client import QueueClient


def board_for(device: DeviceConfig) -> tuple[LedBoard | None, str | None]:
    """The board the device file names, or None and why (the clerk can work without it)."""
    settings = device.board
    try:
        board = open_board(
            settings.url,
            protocol=settings.protocol,
            address=settings.address,
            baudrate=settings.baudrate,
            parity=settings.parity,
            bytesize=settings.bytesize,
            timeout=settings.timeout,
            digits=settings.digits,
        )
    except BoardError as error:
        return None, str(error)
    return board, None


class CounterApp(DeviceApp):
    """Hosts :class:`CounterScreen`; owns (and closes) the client and board it creates."""

    TITLE = "Turnero · Ventanilla"

    def __init__(
        self,
        device: DeviceConfig,
        *,
        client: QueueClient | None = None,
        board: LedBoard | None = None,
        clock: Clock = system_clock,
        **screen_options: float,
    ) -> None:
        super().__init__(device, client=client)
        board_error = None
        if board is None:
            board, board_error = board_for(device)
            if board is not None:
                self.own(_closer(board))
        self.board = board
        self.counter_screen = CounterScreen(
            device,
            self.client,
            board,
            clock=clock,
            board_error=board_error,
            **screen_options,  # type: ignore[arg-type]
        )
        if self.counter_screen.feed is not None:
            # Closed first: the board's one writer stops before the board does.
            self.own(self.counter_screen.feed.stop)

    def make_screen(self) -> Screen[None]:
        return self.counter_screen


def _closer(board: LedBoard) -> Callable[[], None]:
    def close() -> None:
        with contextlib.suppress(BoardError):  # a board already gone is closed enough
            board.close()

    return close
