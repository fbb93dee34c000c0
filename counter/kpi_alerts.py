"""KPI alerts of the counter's services (``kpi.alert`` / ``kpi.cleared``): the line is long or a
wait passed its threshold, and the clerks who serve it are the ones who can speed it up."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Static

from counter.wording import CounterWords
from queue_api.schema import Event, EventType, StandingAlerts


class KpiAlerts(CounterWords, Static):
    """One line per standing KPI alert of a service this counter serves; hidden while none.

    The server's list (with the device faults, at start and after a reconnection) and the
    branch's stream both feed it; an event newer than the list wins over it."""

    def __init__(
        self,
        language: str,
        serves: Callable[[], list[str] | None],
        names: dict[str, str],
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.language = language
        #: The counter's services once it is known (None before: then every alert shows).
        self.serves = serves
        self.names = names
        #: (service, kpi) -> (value, threshold), in the order they were raised.
        self.standing: dict[tuple[str, str], tuple[float, float]] = {}
        #: The event id of the latest word heard per (service, kpi), alert or cleared.
        self.heard: dict[tuple[str, str], int] = {}

    def on_mount(self) -> None:
        self.display = False

    def take(self, event: Event) -> None:
        """Note a ``kpi.alert`` (stands) or ``kpi.cleared`` (gone)."""
        data = event.data
        if data.service is None or data.kpi is None:
            return
        key = (data.service, data.kpi)
        if event.id <= self.heard.get(key, 0):
            return
        self.heard[key] = event.id
        if event.type is EventType.KPI_CLEARED:
            self.standing.pop(key, None)
        elif event.type is EventType.KPI_ALERT:
            self.standing[key] = (data.value or 0.0, data.threshold or 0.0)
        self.draw()

    def load(self, standing: StandingAlerts) -> None:
        """Take the server's list of standing KPI alerts: it decides every KPI, except those
        an event newer than the list has decided since."""
        kept = {
            key: value
            for key, value in self.standing.items()
            if self.heard.get(key, 0) > standing.last_event_id
        }
        for alert in standing.kpi_alerts:
            key = (alert.service, alert.kpi)
            if self.heard.get(key, 0) <= standing.last_event_id:
                kept[key] = (alert.value, alert.threshold)
        self.standing = kept
        self.draw()

    def draw(self) -> None:
        """Show the standing alerts of this counter's services."""
        serves = self.serves()
        lines = [
            self.t(
                f"kpi.{kpi}",
                service=self.names.get(service, service),
                value=f"{value:g}",
                threshold=f"{threshold:g}",
            )
            for (service, kpi), (value, threshold) in self.standing.items()
            if serves is None or service in serves
        ]
        self.update("\n".join(lines))
        self.display = bool(lines)
