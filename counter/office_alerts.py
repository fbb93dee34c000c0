"""Faults the branch's other devices report (a kiosk out of paper): clerks are the staff nearby.

Each device reports a fault as ``<part>.<fault>`` (``printer.paper_out``) and its end as
``<part>.ok``; the latest word per device and part is what stands.
"""

from __future__ import annotations

from datetime import datetime

from textual.reactive import reactive
from textual.widgets import Static

from counter.wording import CounterWords
from device.alert_words import alert_words
from queue_api.schema import ReportedAlert, StandingAlerts

Part = tuple[str, str]
"""A device and one of its parts: ``("kiosko-entrada", "printer")``."""


class OfficeAlerts(CounterWords, Static):
    """The standing faults of the other devices, oldest first, one line each, with how long
    each has stood up to ``now``; hidden while there are none."""

    now: reactive[datetime | None] = reactive(None)

    def __init__(self, language: str, own_device: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.language = language
        #: This terminal's own faults (its LED board) have their banner already.
        self.own_device = own_device
        self.faults: dict[Part, ReportedAlert] = {}
        #: The event id of the latest word heard per part, fault or ok: an older word that
        #: arrives later (the server's list read before an event) must not undo a newer one.
        self.heard: dict[Part, int] = {}

    def on_mount(self) -> None:
        self.display = False

    def watch_now(self) -> None:
        if self.faults:
            self._draw()

    def note(self, alert: ReportedAlert) -> None:
        """Take a ``device.alert``: a fault stands until its part reports ``ok``."""
        part = (alert.device, alert.part)
        if alert.device == self.own_device or alert.event_id <= self.heard.get(part, 0):
            return
        self.heard[part] = alert.event_id
        if alert.all_clear:
            self.faults.pop(part, None)
        else:
            self.faults[part] = alert
        self._draw()

    def load(self, standing: StandingAlerts) -> None:
        """Take the server's list of standing faults (after a start or a reconnection): it
        decides every part, except those an event newer than the list has decided since."""
        faults = {
            part: alert
            for part, alert in self.faults.items()
            if alert.event_id > standing.last_event_id
        }
        for alert in standing.alerts:
            part = (alert.device, alert.part)
            if alert.device == self.own_device or self.heard.get(part, 0) > standing.last_event_id:
                continue
            faults[part] = alert
            self.heard[part] = max(self.heard.get(part, 0), alert.event_id)
        self.faults = faults
        self._draw()

    def _draw(self) -> None:
        lines = [
            self.t(
                "alert.line",
                minutes=max(0, int(((self.now or alert.at) - alert.at).total_seconds() // 60)),
                device=alert.device,
                what=self._what(alert),
            )
            for alert in sorted(self.faults.values(), key=lambda alert: alert.event_id)
        ]
        self.update("\n".join(lines))
        self.display = bool(lines)

    def _what(self, alert: ReportedAlert) -> str:
        """The fault in this screen's language; the device's own words for a kind not in
        the catalog (a newer device's)."""
        words = alert_words(alert.kind, self.language)
        if words is None:
            return f"{alert.kind}, {alert.detail or '-'}"
        part, faults = words
        return f"{part} — {faults}"
