"""``turnero display``: a thin App around the lobby board screen."""

from __future__ import annotations

import gc

from textual.app import App

from device.config import DeviceConfig
from display.announcer import Player
from display.board_screen import BoardScreen
from display.clock import Clock, system_clock
from display.sound import SilentPlayer, SoundPlayer, open_player
from queue_api.client import QueueClient


class DisplayApp(App[None]):
    """The lobby display for one branch, on a TV's terminal or served to its browser."""

    TITLE = "Turnero"

    def __init__(
        self,
        device: DeviceConfig,
        *,
        client: QueueClient | None = None,
        player: Player | None = None,
        clock: Clock = system_clock,
        reconnect_max: float = 10.0,
    ) -> None:
        super().__init__()
        self.device = device
        self._own_client = client is None
        self.client = client or QueueClient(device.base_url, device.server.token)
        self.player = player
        self._own_player = player is None
        self.clock = clock
        self.reconnect_max = reconnect_max

    def on_mount(self) -> None:
        # Pushed rather than returned by get_default_screen: only pushed screens get their
        # CSS_PATH loaded.
        if self.player is None:
            # In a browser the sound would come out of the server's machine, not the TV.
            self.player = SilentPlayer() if self.is_web else open_player()
        self.push_screen(
            BoardScreen(
                self.device,
                self.client,
                self.player,
                clock=self.clock,
                reconnect_max=self.reconnect_max,
            )
        )
        # Python's full garbage collections walk every object: with Textual loaded that is
        # 60-70 ms, long enough to delay a call on screen. Objects alive once the board is
        # up live as long as the process, so they are set aside from collection.
        self.call_after_refresh(gc.freeze)

    async def on_unmount(self) -> None:
        if self._own_client:
            await self.client.aclose()
        if self._own_player and isinstance(self.player, SoundPlayer):
            self.player.close()
