"""``turnero counter``: a thin App around the clerk's screen, with its client and LED board."""

from __future__ import annotations

import contextlib
import gc

from textual.app import App

from counter.clock import Clock, system_clock
from counter.screen import CounterScreen
from device.config import DeviceConfig
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


class CounterApp(App[None]):
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
        super().__init__()
        self.device = device
        self._own_client = client is None
        self._own_board = board is None
        self.client = client or QueueClient(device.base_url, device.server.token)
        board_error = None
        if board is None:
            board, board_error = board_for(device)
        self.board = board
        self.counter_screen = CounterScreen(
            device,
            self.client,
            board,
            clock=clock,
            board_error=board_error,
            **screen_options,  # type: ignore[arg-type]
        )

    def on_mount(self) -> None:
        self.push_screen(self.counter_screen)
        # A full garbage collection walks every Textual object (60-100 ms, as the kiosk and
        # display measured): frozen after the first frame, they are skipped.
        self.call_after_refresh(gc.freeze)

    async def on_unmount(self) -> None:
        if self.counter_screen.feed is not None:
            self.counter_screen.feed.stop()
        if self._own_client:
            await self.client.aclose()
        if self._own_board and self.board is not None:
            with contextlib.suppress(BoardError):
                self.board.close()
