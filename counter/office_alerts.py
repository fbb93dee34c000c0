"""Faults the branch's other devices report (a kiosk out of paper): clerks are the staff nearby.

Each device reports a fault as ``<part>.<fault>`` (``printer.paper_out``) and its end as
``<part>.ok``; the latest word per device and part is what stands.
"""

from __future__ import annotations

from datetime import datetime

from textual.reactive import reactive
from textual.widgets import Static

from counter.wording import CounterWords
from queue_api.schema import Alert


def part_of(kind: str) -> str:
    """The device part an alert kind is about: ``printer`` for ``printer.paper_out``."""
    return kind.split(".", 1)[0]


def is_all_clear(kind: str) -> bool:
    """Whether the kind says a part works again (``printer.ok``)."""
    return kind == "ok" or kind.endswith(".ok")


class OfficeAlerts(CounterWords, Static):
    """The standing faults of the other devices, one line each, with how long each has stood
    up to ``now``; hidden while there are none."""

    now: reactive[datetime | None] = reactive(None)

    def __init__(self, language: str, own_device: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.language = language
        #: This terminal's own faults (its LED board) have their banner already.
        self.own_device = own_device
        #: (device, part) → the alert and when it came, in arrival order.
        self.faults: dict[tuple[str, str], tuple[Alert, datetime]] = {}

    def on_mount(self) -> None:
        self.display = False

    def watch_now(self) -> None:
        if self.faults:
            self._draw()

    def note(self, alert: Alert, at: datetime) -> None:
        """Take a ``device.alert``: a fault stands until its part reports ``ok``."""
        if alert.device == self.own_device:
            return
        key = (alert.device, part_of(alert.kind))
        self.faults.pop(key, None)  # cleared, or moved to the end: the newest fault goes last
        if not is_all_clear(alert.kind):
            self.faults[key] = (alert, at)
        self._draw()

    def _draw(self) -> None:
        lines = [
            self.t(
                "alert.line",
                minutes=max(0, int(((self.now or at) - at).total_seconds() // 60)),
                device=alert.device,
                kind=alert.kind,
                detail=alert.detail or "-",
            )
            for alert, at in self.faults.values()
        ]
        self.update("\n".join(lines))
        self.display = bool(lines)
