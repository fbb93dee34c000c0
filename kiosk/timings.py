"""How long the kiosk waits for things."""

from __future__ import annotations

from dataclasses import dataclass

from device.config import DeviceConfig


@dataclass(frozen=True)
class KioskTimings:
    """How long things last, in seconds; tests shorten them."""

    #: No touch for this long: back home, default language, nothing of the last citizen.
    idle: float = 30.0
    #: The issued ticket stays on screen this long (three times as long when not printed).
    ticket: float = 8.0
    #: Waiting counts are read again this often, and a lost server is retried this often.
    refresh: float = 5.0
    #: The printer's status is read this often between tickets (faults that clear by themselves).
    printer_poll: float = 10.0
    #: Touches this soon after the priority question or the ticket appears are the second half
    #: of a double tap, not an answer (or "done"): the buttons appear under the citizen's finger.
    tap_guard: float = 1.0
    #: After five wrong technician PINs in a row, every PIN is refused for this long.
    pin_lockout: float = 300.0

    @classmethod
    def from_device(cls, device: DeviceConfig) -> KioskTimings:
        """The timings of the device file's [kiosk] section."""
        return cls(idle=device.kiosk.idle_seconds, ticket=device.kiosk.ticket_seconds)
