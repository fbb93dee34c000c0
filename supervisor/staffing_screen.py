"""Tomorrow's staffing plan of a branch: desks per hour and service, by Erlang C."""

from __future__ import annotations

import logging
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Label
from textual.worker import Worker

from queue_api.client import ApiError, QueueClient, Unreachable
from queue_api.schema import Staffing
from supervisor.wording import words

log = logging.getLogger(__name__)


class StaffingScreen(Screen[None]):
    """One row per hour with expected arrivals: desks each service needs, and their sum."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, client: QueueClient, language: str, branch: str) -> None:
        super().__init__()
        self.client = client
        self.language = language
        self.t = words(language)
        self.branch = branch
        self.plan: Staffing | None = None

    def compose(self) -> ComposeResult:
        yield Label(self.branch, id="title", classes="title")
        yield Label("", id="history")
        yield DataTable(id="plan", cursor_type="row", zebra_stripes=True)
        yield Label("", id="advice")
        yield Label(self.t("back.hint"), classes="hint")

    def on_mount(self) -> None:
        _: Worker[None] = self.run_worker(self._read, group="plan", exit_on_error=False)

    async def _read(self) -> None:
        try:
            self.plan = await self.client.staffing(self.branch)
        except (Unreachable, ApiError) as exc:
            log.info("staffing of %s not read: %s", self.branch, exc)
            return
        self.draw()

    def draw(self) -> None:
        plan = self.plan
        if plan is None:
            return
        self.query_one("#title", Label).update(self.t("staffing.title", date=plan.date.isoformat()))
        history = (
            self.t(
                "staffing.history",
                days=len(plan.history_days),
                level=round(plan.target_level * 100),
            )
            if plan.history_days
            else self.t("staffing.none")
        )
        self.query_one("#history", Label).update(history)
        services = sorted({h.service for h in plan.hours})
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_column(self.t("col.hour"), key="hour")
        for service in services:
            table.add_column(service, key=service)
        table.add_column(self.t("staffing.total"), key="total")
        cells = {(h.hour, h.service): h for h in plan.hours}
        for hour in sorted({h.hour for h in plan.hours}):
            row = [f"{hour:02d}:00"]
            for service in services:
                cell = cells.get((hour, service))
                row.append(f"{cell.counters} ({cell.arrivals:g})" if cell else "—")
            row.append(str(plan.counters_per_hour[hour]))
            table.add_row(*row, key=str(hour))
        self.query_one("#advice", Label).update("\n".join(f"→ {a}" for a in plan.advice))
