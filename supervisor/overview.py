"""All branches in the token's scope at a glance; Enter opens one."""

from __future__ import annotations

import logging
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Label
from textual.worker import Worker

from queue_api.client import ApiError, QueueClient, Unreachable
from queue_api.schema import BranchSummary, Kpis
from supervisor.feed import BranchEvent, Stale, StreamState, follow, read_into
from supervisor.wording import level_text, minutes, words

log = logging.getLogger(__name__)

LEVELS = ("fine", "close", "over")


class OverviewScreen(Screen[None]):
    """One row per branch: waiting, the worst wait against its target, alerts, desks open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_branch", "Open", show=False),
        Binding("q", "app.quit", "Quit", show=False),
    ]

    def __init__(
        self, client: QueueClient, language: str, home: str, refresh_seconds: float = 30.0
    ) -> None:
        super().__init__()
        self.client = client
        self.language = language
        self.t = words(language)
        self.home = home
        self.refresh_seconds = refresh_seconds
        self.branches: list[BranchSummary] = []
        self.kpis: dict[str, Kpis] = {}
        self.online: bool | None = None
        self.stale = Stale(self, self.read_branch)

    def compose(self) -> ComposeResult:
        yield Label(self.t("overview.title"), id="title", classes="title")
        yield Label("", id="status", classes="status")
        yield DataTable(id="branches", cursor_type="row", zebra_stripes=True)
        yield Label(self.t("overview.hint"), classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key in ("branch", "waiting", "longest", "alerts", "open", "served", "no_shows"):
            table.add_column(self.t(f"col.{key}"), key=key)
        _: Worker[None] = self.run_worker(self._start, group="start", exit_on_error=False)
        self.set_interval(self.refresh_seconds, self.read_all)

    async def _start(self) -> None:
        try:
            self.branches = await self.client.branches()
        except Unreachable:
            self._say(self.t("offline"))
            self.set_timer(2.0, self._restart)
            return
        except ApiError as exc:
            self._say(self.t("refused", detail=exc.detail))
            return
        table = self.query_one(DataTable)
        for branch in self.branches:
            table.add_row(branch.name, "…", "", "", "", "", "", key=branch.id)
        homes = [i for i, b in enumerate(self.branches) if b.id == self.home]
        if homes:
            table.move_cursor(row=homes[0])
        for branch in self.branches:
            follow(self, self.client, branch.id)
        self.read_all()

    def _restart(self) -> None:
        _: Worker[None] = self.run_worker(self._start, group="start", exit_on_error=False)

    def read_all(self) -> None:
        """Read every branch again (time-based figures: waits grow with no event)."""
        for branch in self.branches:
            self.read_branch(branch.id)

    def read_branch(self, branch: str) -> None:
        def shown(kpis: Kpis) -> None:
            self.kpis[branch] = kpis
            self._draw(kpis)

        read_into(
            self, f"read-{branch}", lambda: self.client.kpis(branch), shown, (self.t, self._say)
        )

    def _say(self, text: str) -> None:
        status = self.query_one("#status", Label)
        status.update(text)
        status.display = bool(text)

    def _draw(self, kpis: Kpis) -> None:
        table = self.query_one(DataTable)
        worst = max((LEVELS.index(s.level) for s in kpis.services), default=0)
        longest = max((s.longest_wait_seconds or 0 for s in kpis.services), default=0)
        values = {
            "waiting": str(sum(s.waiting for s in kpis.services)),
            "longest": level_text(minutes(self.t, longest), LEVELS[worst]),
            "alerts": level_text(str(len(kpis.alerts)), "over" if kpis.alerts else "fine"),
            "open": str(sum(c.state == "open" for c in kpis.counters)),
            "served": str(sum(s.served for s in kpis.services)),
            "no_shows": str(sum(s.no_shows for s in kpis.services)),
        }
        for column, value in values.items():
            table.update_cell(kpis.branch, column, value)

    def on_branch_event(self, message: BranchEvent) -> None:
        self.stale.mark(message.branch)

    def on_stream_state(self, message: StreamState) -> None:
        if message.up:
            self.read_branch(message.branch)

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        self._open(str(message.row_key.value))

    def action_open_branch(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            self._open(str(key.value))

    def _open(self, branch: str) -> None:
        from supervisor.branch_screen import BranchScreen

        self.app.push_screen(BranchScreen(self.client, self.language, branch, self.refresh_seconds))
