"""``turnero kiosk``: a thin App around :class:`KioskScreen`, locked down for citizens."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen

from device.config import DeviceConfig
from device.shell import DeviceApp
from drivers.printer import PrinterError, TicketPrinter, open_printer
from kiosk.kiosk_screen import KioskScreen
from kiosk.timings import KioskTimings
from queue_api.client import QueueClient
from queue_api.config_errors import ConfigError


class KioskApp(DeviceApp):
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
        super().__init__(device, client=client)
        if printer is None:
            try:
                printer = open_printer(
                    device.printer.url,
                    profile=device.printer.profile,
                    timeout=device.printer.timeout,
                )
            except PrinterError as exc:
                raise ConfigError(f"printer.url: {exc}: {exc.advice}") from None
            self.own(printer.close)
        self.printer = printer
        self.timings = timings

    def make_screen(self) -> Screen[None]:
        return KioskScreen(self.device, self.client, self.printer, timings=self.timings, id="kiosk")

    def action_nothing(self) -> None:
        """Keys that would let a citizen out."""

    def on_kiosk_screen_exit_requested(self) -> None:
        self.exit()
