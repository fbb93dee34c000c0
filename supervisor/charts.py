"""Charts of one branch's day (textual-plotext): arrivals and served per 15 minutes against the
usual same weekday, the waits per service, and the desks at work over the day."""

from __future__ import annotations

import logging
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Label
from textual_plotext import PlotextPlot

from queue_api.client import QueueClient
from queue_api.schema import KpiCharts, Kpis
from supervisor.feed import BranchEvent, Stale, follow, read_into
from supervisor.wording import words

log = logging.getLogger(__name__)

FIRST_HOUR, LAST_HOUR = 7, 20
"""The span of the day the slot charts show (an office's hours, with room either side)."""


def _hours(charts: KpiCharts) -> list[float]:
    """Each slot's start as an hour of the day (9.25 is 09:15)."""
    return [i * charts.slot_minutes / 60 for i in range(len(charts.arrivals))]


def _span(charts: KpiCharts) -> slice:
    per_hour = 60 // charts.slot_minutes
    return slice(FIRST_HOUR * per_hour, LAST_HOUR * per_hour)


class ChartsScreen(Screen[None]):
    """Four charts of today; read again after events settle (slowly: charts are for a look)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    SETTLE = 2.0

    def __init__(
        self,
        client: QueueClient,
        language: str,
        branch: str,
        *,
        kpis: Kpis | None = None,
    ) -> None:
        """``kpis``: draw these (with their charts) instead of reading the server."""
        super().__init__()
        self.client = client
        self.language = language
        self.t = words(language)
        self.branch = branch
        self.kpis = kpis
        self.stale = Stale(self, lambda _: self.read())

    def compose(self) -> ComposeResult:
        yield Label(self.branch, id="title", classes="title")
        with Grid(id="charts"):
            yield PlotextPlot(id="arrivals")
            yield PlotextPlot(id="served")
            yield PlotextPlot(id="waits")
            yield PlotextPlot(id="busy")
        yield Label(self.t("back.hint"), classes="hint")

    def on_mount(self) -> None:
        if self.kpis is not None:
            self.draw()
            return
        follow(self, self.client, self.branch)
        self.read()

    def read(self) -> None:
        read_into(
            self,
            f"charts of {self.branch}",
            lambda: self.client.kpis(self.branch, charts=True),
            self._shown,
        )

    def _shown(self, kpis: Kpis) -> None:
        self.kpis = kpis
        self.draw()

    def on_branch_event(self, message: BranchEvent) -> None:
        self.stale.mark(message.branch)

    def draw(self) -> None:
        """Draw the four charts from ``kpis``."""
        kpis = self.kpis
        if kpis is None or kpis.charts is None:
            return
        charts = kpis.charts
        self.query_one("#title", Label).update(self.t("charts.title", branch=kpis.name))
        span = _span(charts)
        hours = _hours(charts)[span]
        for widget_id, today, usual, title in (
            ("#arrivals", charts.arrivals, charts.usual_arrivals, "charts.arrivals"),
            ("#served", charts.served, charts.usual_served, "charts.served"),
        ):
            plot = self.query_one(widget_id, PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(self.t(title))
            plt.bar(hours, today[span], label=self.t("charts.today"), width=0.2)
            plt.plot(hours, usual[span], label=self.t("charts.usual"), marker="braille")
            plt.xlim(FIRST_HOUR, LAST_HOUR)
            plt.xticks(list(range(FIRST_HOUR, LAST_HOUR + 1)))
            plot.refresh()
        waits = self.query_one("#waits", PlotextPlot)
        plt = waits.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.t("charts.waits"))
        buckets = [f"≤{m}" for m in charts.wait_buckets] + [f">{charts.wait_buckets[-1]}"]
        names = {s.service: s.name.get(self.language) or s.name["es"] for s in kpis.services}
        services = list(charts.waits)
        # plotext takes ``labels`` here; textual-plotext's stub names it ``label``.
        plt.multiple_bar(  # type: ignore[call-arg]
            buckets,
            [charts.waits[s] for s in services],
            labels=[names.get(s, s) for s in services],
        )
        waits.refresh()
        busy = self.query_one("#busy", PlotextPlot)
        plt = busy.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.t("charts.busy"))
        plt.plot(hours, charts.counters_busy[span], marker="braille")
        plt.xlim(FIRST_HOUR, LAST_HOUR)
        plt.xticks(list(range(FIRST_HOUR, LAST_HOUR + 1)))
        plt.ylim(0, max([*charts.counters_busy, 1]) + 1)
        busy.refresh()
