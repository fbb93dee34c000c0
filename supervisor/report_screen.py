"""The supervisor's reports: a date range and a grouping, shown as a table, saved as CSV.

It asks the server (``GET /api/v1/reports``) through the client it is given; the server
checks the dates and the grouping, and its sentence is shown when it refuses. Its words come
from the supervisor's catalog (``supervisor/locales``) in the app's language.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from queue_api.client import ApiError, QueueClient, Unreachable
from queue_api.i18n import Words
from queue_api.schema import Report, ReportRow
from supervisor.wording import words

GROUPINGS = ("service", "counter", "clerk", "hour", "day", "channel", "outcome")
"""What a report may be grouped by (API.md)."""
ALL_BRANCHES = "*"
COLUMNS = (
    "issued",
    "served",
    "no_shows",
    "cancelled",
    "mean_wait",
    "p50_wait",
    "p90_wait",
    "mean_service",
    "p90_service",
    "within_target",
    "feedback",
)
"""The figures' columns: each header is ``report.col.<name>`` in the catalog."""


def last_month(today: date) -> tuple[date, date]:
    """The first and last day of the month before ``today``'s: the report people ask most."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def duration(seconds: float | None) -> str:
    """``seconds`` as minutes and seconds (``12:05``), or a dash for no value."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _cells(row: ReportRow) -> list[str]:
    return [
        str(row.issued),
        str(row.served),
        str(row.no_shows),
        str(row.cancelled),
        duration(row.mean_wait_seconds),
        duration(row.p50_wait_seconds),
        duration(row.p90_wait_seconds),
        duration(row.mean_service_seconds),
        duration(row.p90_service_seconds),
        "–" if row.within_target_share is None else f"{row.within_target_share:.0%}",
        "–" if row.feedback_mean is None else f"{row.feedback_mean:.1f} ({row.feedback_count})",
    ]


def _figures(row: ReportRow) -> list[Text]:
    return [Text(cell, justify="right") for cell in _cells(row)]


@dataclass(frozen=True)
class Asked:
    """The report on screen: what was asked for it."""

    first: str
    last: str
    by: str
    branch: str | None

    @property
    def file_name(self) -> str:
        return f"report-{self.first}-{self.last}-{self.by}.csv"


class SaveReport(ModalScreen[Path | None]):
    """Asks where to save the report; dismisses with the path, or None when cancelled."""

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, suggested: str, t: Words | None = None) -> None:
        super().__init__()
        self.suggested = suggested
        self.t = t or words("es")

    def compose(self) -> ComposeResult:
        with Vertical(id="save-box"):
            yield Label(self.t("report.save_where"))
            yield Input(value=self.suggested, id="save-path")
            with Horizontal(id="save-buttons"):
                yield Button(self.t("report.save_ok"), variant="primary", id="save-ok")
                yield Button(self.t("report.save_cancel"), id="save-cancel")

    @on(Input.Submitted, "#save-path")
    @on(Button.Pressed, "#save-ok")
    def save(self) -> None:
        text = self.query_one("#save-path", Input).value.strip()
        self.dismiss(Path(text).expanduser() if text else None)

    @on(Button.Pressed, "#save-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ReportScreen(Screen[None]):
    """KPIs over a date range for the branches given, grouped as chosen; ctrl+s saves CSV."""

    CSS_PATH = "report_screen.tcss"
    BINDINGS: ClassVar = [
        Binding("f5", "show", "Show"),
        Binding("ctrl+s", "save", "Save CSV"),
        Binding("escape", "close", "Back"),
    ]

    def __init__(
        self,
        client: QueueClient,
        branches: Sequence[str],
        *,
        first: date | None = None,
        last: date | None = None,
        by: str = "service",
        language: str = "es",
    ) -> None:
        super().__init__()
        self.client = client
        self.language = language
        self.t = words(language)
        self.branches = list(branches)
        default_first, default_last = last_month(date.today())
        self.first = first or default_first
        self.last = last or default_last
        self.by = by
        #: What the table shows; None until a report came.
        self.shown: Asked | None = None
        self.report: Report | None = None

    def compose(self) -> ComposeResult:
        t = self.t
        with Horizontal(id="report-form"):
            yield Label(t("report.from"), classes="report-label")
            yield Input(self.first.isoformat(), placeholder="YYYY-MM-DD", id="report-from")
            yield Label(t("report.to"), classes="report-label")
            yield Input(self.last.isoformat(), placeholder="YYYY-MM-DD", id="report-to")
            yield Label(t("report.by"), classes="report-label")
            yield Select(
                [(t(f"report.group.{g}"), g) for g in GROUPINGS],
                value=self.by,
                allow_blank=False,
                id="report-by",
            )
            yield Select(
                [(t("report.all_branches"), ALL_BRANCHES), *((b, b) for b in self.branches)],
                value=ALL_BRANCHES if len(self.branches) != 1 else self.branches[0],
                allow_blank=False,
                id="report-branch",
            )
            yield Button(t("report.show"), variant="primary", id="report-show")
            yield Button(t("report.save"), id="report-save")
        yield Static("", id="report-status")
        yield DataTable(zebra_stripes=True, cursor_type="row", id="report-table")
        # A hint in the app's language, as on the other screens (a Footer's words are fixed).
        yield Label(t("report.hint"), classes="hint")

    def on_mount(self) -> None:
        self.action_show()

    def _asked(self) -> Asked:
        branch = self.query_one("#report-branch", Select).value
        return Asked(
            first=self.query_one("#report-from", Input).value.strip(),
            last=self.query_one("#report-to", Input).value.strip(),
            by=str(self.query_one("#report-by", Select).value),
            branch=None if branch == ALL_BRANCHES else str(branch),
        )

    def _say(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#report-status", Static)
        status.update(text)
        status.set_class(error, "error")

    @on(Input.Submitted)
    @on(Button.Pressed, "#report-show")
    def action_show(self) -> None:
        """Ask the server for the report the form describes."""
        self._load(self._asked())

    @on(Button.Pressed, "#report-save")
    def action_save(self) -> None:
        """Ask where, then save the report on screen as CSV."""
        shown = self.shown
        if shown is None:
            self._say(self.t("report.show_first"), error=True)
            return

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._save(shown, path)

        self.app.push_screen(SaveReport(shown.file_name, self.t), chosen)

    def action_close(self) -> None:
        self.dismiss()

    @work(exclusive=True, group="report")
    async def _load(self, asked: Asked) -> None:
        t = self.t
        self._say(t("report.asking"))
        try:
            report = await self.client.report(
                asked.first, asked.last, asked.by, branch=asked.branch
            )
        except ApiError as exc:
            self._say(t("report.refused", detail=exc.detail), error=True)
            return
        except Unreachable:
            self._say(t("report.unreachable"), error=True)
            return
        self.report, self.shown = report, asked
        self._fill(report)
        self._say(
            t(
                "report.summary",
                first=report.from_day,
                last=report.to_day,
                by=t(f"report.group.{report.by}"),
                groups=t.counted("report.groups", len(report.rows)),
                tickets=report.total.issued,
                timezone=report.timezone,
            )
        )

    def _fill(self, report: Report) -> None:
        table = self.query_one("#report-table", DataTable)
        table.clear(columns=True)
        t = self.t
        table.add_columns(
            t("report.col.branch"),
            t(f"report.group.{report.by}"),
            *(Text(t(f"report.col.{c}"), justify="right") for c in COLUMNS),
        )
        for row in report.rows:
            table.add_row(row.branch or "", row.key or t("report.none"), *_figures(row))
        total = Text(t("report.total"), style="bold")
        table.add_row(total, "", *_figures(report.total), key="total")

    @work(exclusive=True, group="save")
    async def _save(self, asked: Asked, path: Path) -> None:
        try:
            data = await self.client.report_csv(
                asked.first, asked.last, asked.by, branch=asked.branch
            )
            await asyncio.to_thread(path.write_bytes, data)
        except ApiError as exc:
            self._say(self.t("report.refused", detail=exc.detail), error=True)
        except Unreachable:
            self._say(self.t("report.not_saved"), error=True)
        except OSError as exc:
            self._say(self.t("report.cannot_save", path=path, why=exc.strerror or exc), error=True)
        else:
            self._say(self.t("report.saved", path=path))
