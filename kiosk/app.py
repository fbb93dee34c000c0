"""``turnero kiosk``: a thin App around :class:`KioskScreen`, locked down for citizens."""

from __future__ import annotations

import asyncio
import gc
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from device.config import DeviceConfig
from drivers.printer import PrinterError, TicketPrinter, open_printer
from kiosk.kiosk_screen import KioskScreen
from kiosk.timings import KioskTimings
from queue_api.client import QueueClient
from queue_api.config_errors import ConfigError


class KioskApp(App[None]):
    """The kiosk full screen: no command palette, no quit key; the technician menu can exit."""

    TITLE = "Turnero"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        # Override App's ctrl+q (quit) and ctrl+c (quit hint): a citizen cannot leave the kiosk.
        Binding("ctrl+q", "nothing", show=False, priority=True),
        Binding("ctrl+c", "nothing", show=False, priority=True, system=True),
    ]

    def __init__(
        self,
        device: DeviceConfig,
        *,
        client: QueueClient | None = None,
        printer: TicketPrinter | None = None,
        timings: KioskTimings | None = None,
    ) -> None:
        super().__init__()
        self.device = device
        self._owns_client = client is None
        self._owns_printer = printer is None
        if printer is None:
            try:
                printer = open_printer(
                    device.printer.url,
                    profile=device.printer.profile,
                    timeout=device.printer.timeout,
                )
            except PrinterError as exc:
                raise ConfigError(f"printer.url: {exc}: {exc.advice}") from None
        self.client = client or QueueClient(device.base_url, device.server.token)
        self.printer = printer
        self.timings = timings

    def on_mount(self) -> None:
        self.push_screen(
            KioskScreen(self.device, self.client, self.printer, timings=self.timings, id="kiosk")
        )
        # Textual's long-lived objects made a full garbage collection take ~100 ms: a citizen
        # waiting at the slot when one struck. Frozen after the first frame, they are skipped.
        self.call_after_refresh(gc.freeze)

    def action_nothing(self) -> None:
        """Keys that would let a citizen out."""

    def on_kiosk_screen_exit_requested(self) -> None:
        self.exit()

    async def on_unmount(self) -> None:
        if self._owns_client:
            await self.client.aclose()
        if self._owns_printer:
            await asyncio.to_thread(self.printer.close)
