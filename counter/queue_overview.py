"""Per service this counter serves: how many wait, the longest wait, the estimated wait."""

from __future__ import annotations

from textual.widgets import DataTable

from counter.clock import minutes
from counter.wording import CounterWords
from queue_api.i18n import Words
from queue_api.schema import Queue

COLUMNS = ("service", "waiting", "longest", "estimated")


class QueueOverview(CounterWords, DataTable):
    """A read-only table; never takes focus, so the clerk's keys always reach the screen."""

    can_focus = False

    def __init__(self, language: str, **kwargs: object) -> None:
        super().__init__(cursor_type="none", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.language = language

    def on_mount(self) -> None:
        t = self.t
        self.border_title = t("queue.title")
        for column in COLUMNS:
            self.add_column(t(f"queue.{column}"), key=column)

    def show(self, queue: Queue, services: list[str], names: dict[str, str]) -> None:
        """Show ``services`` (in the counter's order) from ``queue``."""
        by_id = {line.service: line for line in queue.services}
        rows = []
        for service in services:
            line = by_id.get(service)
            if line is None:
                continue
            waiting = bool(line.waiting)
            rows.append(
                (
                    service,
                    (
                        names.get(service, service),
                        str(line.waiting),
                        minutes(line.longest_wait_seconds) if waiting else "-",
                        Words(self.language).wait_range(line.ewt_range_seconds, line.ewt_seconds)
                        if waiting
                        else "-",
                    ),
                )
            )
        if [key.value for key in self.rows] != [service for service, _ in rows]:
            self.clear()
            for service, cells in rows:
                self.add_row(*cells, key=service)
            return
        # The same services: change only the cells that changed (a rebuild reflows it all).
        for service, cells in rows:
            for column, value in zip(COLUMNS, cells, strict=True):
                if self.get_cell(service, column) != value:
                    self.update_cell(service, column, value)
