"""``turnero display``: a thin App around the lobby board screen."""

from __future__ import annotations

from textual.screen import Screen

from device.config import DeviceConfig
from device.shell import DeviceApp
from display.announcer import Player
from display.board_screen import BoardScreen
from display.clock import Clock, system_clock
from display.sound import SilentPlayer, SoundPlayer, open_player
from queue_api.client import QueueClient


class DisplayApp(DeviceApp):
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
        super().__init__(device, client=client)
        self.player = player
        self.clock = clock
        self.reconnect_max = reconnect_max

    def make_screen(self) -> Screen[None]:
        if self.player is None:
            # In a browser the sound would come out of the server's machine, not the TV.
            self.player = SilentPlayer() if self.is_web else open_player()
            if isinstance(self.player, SoundPlayer):
                self.own(self.player.close)
        return BoardScreen(
            self.device,
            self.client,
            self.player,
            clock=self.clock,
            reconnect_max=self.reconnect_max,
        )
