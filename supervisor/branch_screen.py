"""One branch in detail: per service and per desk, the KPI alerts and device faults that stand,
and today's advice; charts, devices, today's bookings, tomorrow's staffing and reports one key
away."""

from __future__ import annotations

import logging
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from queue_api.client import QueueClient
from queue_api.i18n import Words
from queue_api.schema import Devices, EventType, Kpis
from supervisor.feed import BranchEvent, Stale, StreamState, follow, read_into
from supervisor.wording import fault_text, level_text, minutes, share, words

log = logging.getLogger(__name__)

DEVICE_EVENTS = {EventType.DEVICE_ALERT}


class BranchScreen(Screen[None]):
    """The live picture of one branch."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("c", "charts", "Charts"),
        Binding("d", "devices", "Devices"),
        Binding("s", "staffing", "Staffing"),
        Binding("r", "report", "Report"),
        Binding("a", "bookings", "Bookings"),
    ]

    def __init__(
        self, client: QueueClient, language: str, branch: str, refresh_seconds: float = 30.0
    ) -> None:
        super().__init__()
        self.client = client
        self.language = language
        self.t = words(language)
        self.branch = branch
        self.refresh_seconds = refresh_seconds
        self.kpis: Kpis | None = None
        self.devices: Devices | None = None
        self.stale = Stale(self, lambda _: self.read())

    def compose(self) -> ComposeResult:
        yield Label(self.branch, id="title", classes="title")
        yield Label("", id="status", classes="status")
        with Vertical(id="body"):
            yield DataTable(id="services", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="counters", cursor_type="row", zebra_stripes=True)
            yield Static("", id="alerts")
        yield Label(self.t("branch.hint"), classes="hint")

    def on_mount(self) -> None:
        services = self.query_one("#services", DataTable)
        for key in ("service", "waiting", "longest", "target", "ewt", "within", "served"):
            services.add_column(self.t(f"col.{key}"), key=key)
        services.add_column(self.t("col.no_shows"), key="no_shows")
        counters = self.query_one("#counters", DataTable)
        for key in ("counter", "state", "clerk", "ticket", "for", "idle"):
            counters.add_column(self.t(f"col.{key}"), key=key)
        follow(self, self.client, self.branch)
        self.read()
        self.read_devices()
        self.set_interval(self.refresh_seconds, self._periodic)

    def _periodic(self) -> None:
        self.read()
        self.read_devices()

    def read(self) -> None:
        """Read the branch's KPIs again (the newest read replaces one running)."""
        read_into(
            self, "kpis", lambda: self.client.kpis(self.branch), self._kpis, (self.t, self._say)
        )

    def _kpis(self, kpis: Kpis) -> None:
        self.kpis = kpis
        self._draw()

    def read_devices(self) -> None:
        read_into(
            self,
            f"devices of {self.branch}",
            lambda: self.client.devices(self.branch),
            self._devices,
        )

    def _devices(self, devices: Devices) -> None:
        self.devices = devices
        self._draw_alerts()

    def _say(self, text: str) -> None:
        status = self.query_one("#status", Label)
        status.update(text)
        status.display = bool(text)

    def _draw(self) -> None:
        kpis = self.kpis
        if kpis is None:
            return
        self.query_one("#title", Label).update(kpis.name)
        services = self.query_one("#services", DataTable)
        services.clear()
        for s in kpis.services:
            services.add_row(
                s.name.get(self.language) or s.name["es"],
                str(s.waiting),
                level_text(minutes(self.t, s.longest_wait_seconds), s.level),
                self.t("minutes", m=s.target_wait_minutes),
                # Worded as the citizen's ticket words it (one rule: queue_api.i18n).
                Words(self.language).wait_range(s.ewt_range_seconds, s.ewt_seconds)
                if s.waiting
                else "—",
                share(s.within_target_share),
                str(s.served),
                str(s.no_shows),
                key=s.service,
            )
        counters = self.query_one("#counters", DataTable)
        counters.clear()
        for c in kpis.counters:
            state = Text(
                self.t(f"state.{c.state.value}"),
                style={"open": "green", "paused": "yellow"}.get(c.state.value, "dim"),
            )
            counters.add_row(
                c.label,
                state,
                c.clerk or "—",
                c.current or "—",
                minutes(self.t, c.current_seconds),
                minutes(self.t, c.idle_seconds),
                key=c.counter,
            )
        self._draw_alerts()

    def _draw_alerts(self) -> None:
        lines: list[Text] = []
        kpis = self.kpis
        if kpis is not None:
            names = {s.service: s.name.get(self.language) or s.name["es"] for s in kpis.services}
            for alert in kpis.alerts:
                lines.append(
                    Text(
                        self.t(
                            f"kpi.{alert.kpi}",
                            service=names.get(alert.service, alert.service),
                            value=f"{alert.value:g}",
                            threshold=f"{alert.threshold:g}",
                        ),
                        style="bold red",
                    )
                )
            lines += [Text(f"→ {advice}", style="bold yellow") for advice in kpis.advice]
        if self.devices is not None:
            for device in self.devices.devices:
                if device.faults:
                    faults = ", ".join(fault_text(self.t, kind) for kind in device.faults)
                    line = self.t("fault.line", device=device.name, faults=faults)
                    lines.append(Text(line, style="yellow"))
        if not lines:
            lines.append(Text(self.t("branch.no_alerts"), style="green"))
        self.query_one("#alerts", Static).update(Text("\n").join(lines))

    def on_branch_event(self, message: BranchEvent) -> None:
        event = message.event
        if event is not None and event.type in DEVICE_EVENTS:
            self.read_devices()
        self.stale.mark(message.branch)

    def on_stream_state(self, message: StreamState) -> None:
        if message.up:
            self.read()
            self.read_devices()

    def action_charts(self) -> None:
        from supervisor.charts import ChartsScreen

        self.app.push_screen(ChartsScreen(self.client, self.language, self.branch))

    def action_devices(self) -> None:
        from supervisor.devices_screen import DevicesScreen

        self.app.push_screen(DevicesScreen(self.client, self.language, self.branch))

    def action_staffing(self) -> None:
        from supervisor.staffing_screen import StaffingScreen

        self.app.push_screen(StaffingScreen(self.client, self.language, self.branch))

    def action_bookings(self) -> None:
        from supervisor.bookings_screen import BookingsScreen

        self.app.push_screen(
            BookingsScreen(self.client, self.language, self.branch, self.refresh_seconds)
        )

    def action_report(self) -> None:
        from supervisor.report_screen import ReportScreen

        self.app.push_screen(ReportScreen(self.client, [self.branch], language=self.language))
