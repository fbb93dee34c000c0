"""``turnero supervisor``: a thin App around the overview of the token's branches."""

from __future__ import annotations

from textual.screen import Screen

from device.config import DeviceConfig
from device.shell import DeviceApp
from queue_api.client import QueueClient
from supervisor.overview import OverviewScreen


class SupervisorApp(DeviceApp):
    """All branches in the token's scope, then one in detail; keyboard first."""

    TITLE = "Turnero · Supervisor"
    CSS_PATH = "supervisor.tcss"

    def __init__(
        self,
        device: DeviceConfig,
        *,
        client: QueueClient | None = None,
        refresh_seconds: float = 30.0,
    ) -> None:
        super().__init__(device, client=client)
        self.refresh_seconds = refresh_seconds
        self.language = (device.device.languages or ["es"])[0]

    def make_screen(self) -> Screen[None]:
        return OverviewScreen(
            self.client, self.language, self.device.server.branch, self.refresh_seconds
        )
