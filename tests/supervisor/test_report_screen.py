"""The supervisor's report screen, pushed by a tiny app, against a real server whose tickets of
2026-03-10 were written with chosen times."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Select, Static

from queue_api.client import QueueClient
from queue_api.store import open_store
from supervisor.report_screen import ReportScreen, SaveReport
from tests.pilot_wait import touch, until
from tests.queue_api.test_reports_api import PAST_TICKETS, SUPERVISORS
from tests.queue_api.test_reports_store import ticket
from tests.server_process import TOKENS, ServerProcess, office_file

DAY = date(2026, 3, 10)
SIZE = (150, 24)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("report-screen")
    store = open_store(f"sqlite:///{folder / 'turnero.db'}")
    with store.write() as tx:
        for t in [
            *PAST_TICKETS,
            ticket(9, service="pagos", branch="norte", called=30, finished=90),
        ]:
            tx.insert_ticket(t)
    store.close()
    process = ServerProcess(office_file(folder, folder / "turnero.db", SUPERVISORS)).start()
    yield process
    process.stop()


class ReportApp(App[None]):
    """Pushes the report screen, as the supervisor app does."""

    def __init__(self, url: str, token: str, branches: list[str], language: str = "en") -> None:
        super().__init__()
        self.url, self.token, self.branches = url, token, branches
        self.language = language

    def on_mount(self) -> None:
        self.client = QueueClient(self.url, self.token)
        screen = ReportScreen(
            self.client, self.branches, first=DAY, last=DAY, language=self.language
        )
        self.push_screen(screen)

    async def on_unmount(self) -> None:
        await self.client.aclose()


def table_of(pilot: Pilot) -> list[list[str]]:
    table = pilot.app.screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]


def status_of(pilot: Pilot) -> str:
    return str(pilot.app.screen.query_one("#report-status", Static).render())


async def shown(pilot: Pilot) -> None:
    """Until the report has come and fills the table."""
    screen = pilot.app.screen
    assert isinstance(screen, ReportScreen)
    await until(pilot, lambda: screen.shown is not None and screen.query_one(DataTable).row_count)
    await pilot.pause()


def admin_app(server: ServerProcess, language: str = "en") -> ReportApp:
    return ReportApp(server.url, TOKENS["admin"], ["centro", "norte"], language)


async def test_the_report_of_every_branch_by_service(server: ServerProcess) -> None:
    async with admin_app(server).run_test(size=SIZE) as pilot:
        await shown(pilot)
        rows = table_of(pilot)
        assert [row[:3] for row in rows] == [
            ["centro", "licencias", "4"],
            ["centro", "pagos", "1"],
            ["norte", "pagos", "1"],
            ["total", "", "6"],
        ]
        # licencias: mean wait 500 s, p50 400 s, p90 1000 s, 2 of 3 within its 15 minutes
        assert rows[0][6:9] == ["8:20", "6:40", "16:40"]
        assert rows[0][11:] == ["67%", "–"]  # no feedback yet
        assert "2026-03-10 to 2026-03-10 by service: 3 groups, 6 tickets" in status_of(pilot)


async def test_another_grouping_and_one_branch(server: ServerProcess) -> None:
    async with admin_app(server).run_test(size=SIZE) as pilot:
        await shown(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ReportScreen)
        screen.query_one("#report-by", Select).value = "hour"
        screen.query_one("#report-branch", Select).value = "centro"
        first = screen.shown
        await touch(pilot, "#report-show")
        await until(pilot, lambda: screen.shown is not first)
        await pilot.pause()
        assert [row[:3] for row in table_of(pilot)] == [
            ["centro", "09:00", "4"],
            ["centro", "10:00", "1"],
            ["total", "", "5"],
        ]
        columns = [str(c.label) for c in screen.query_one(DataTable).columns.values()]
        assert columns[:3] == ["branch", "hour", "issued"]


async def test_bad_dates_show_the_server_s_sentence(server: ServerProcess) -> None:
    async with admin_app(server).run_test(size=SIZE) as pilot:
        await shown(pilot)
        field = pilot.app.screen.query_one("#report-from", Input)
        field.value = "2026-03-32"
        field.focus()
        await pilot.press("enter")
        await until(pilot, lambda: "refused" in status_of(pilot))
        assert "from: expected a date as YYYY-MM-DD" in status_of(pilot)
        assert pilot.app.screen.query_one("#report-status").has_class("error")
        assert len(table_of(pilot)) == 4  # the last good report stays


async def test_a_supervisor_sees_its_branch_only(server: ServerProcess) -> None:
    app = ReportApp(server.url, "demo-supervisor-norte", ["norte"])
    async with app.run_test(size=SIZE) as pilot:
        await shown(pilot)
        assert [row[:3] for row in table_of(pilot)] == [["norte", "pagos", "1"], ["total", "", "1"]]


async def test_save_asks_where_and_writes_the_csv(server: ServerProcess, tmp_path: Path) -> None:
    async with admin_app(server).run_test(size=SIZE) as pilot:
        await shown(pilot)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(pilot.app.screen, SaveReport))
        field = pilot.app.screen.query_one("#save-path", Input)
        assert field.value == "report-2026-03-10-2026-03-10-service.csv"
        target = tmp_path / field.value
        field.value = str(target)
        await touch(pilot, "#save-ok")
        await until(pilot, lambda: "Saved the report" in status_of(pilot))
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[:5] == ["from", "to", "branch", "service", "issued"]
    assert [row[2:5] for row in rows] == [
        ["centro", "licencias", "4"],
        ["centro", "pagos", "1"],
        ["norte", "pagos", "1"],
        ["*", "", "6"],
    ]


async def test_saving_nowhere_says_so(server: ServerProcess, tmp_path: Path) -> None:
    async with admin_app(server).run_test(size=SIZE) as pilot:
        await shown(pilot)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(pilot.app.screen, SaveReport))
        pilot.app.screen.query_one("#save-path", Input).value = str(tmp_path / "no" / "x.csv")
        await touch(pilot, "#save-ok")
        await until(pilot, lambda: "Cannot save" in status_of(pilot))


async def test_the_report_in_spanish(server: ServerProcess, tmp_path: Path) -> None:
    async with admin_app(server, "es").run_test(size=SIZE) as pilot:
        await shown(pilot)
        screen = pilot.app.screen
        columns = [str(c.label) for c in screen.query_one(DataTable).columns.values()]
        assert columns[:4] == ["oficina", "servicio", "emitidos", "atendidos"]
        assert table_of(pilot)[-1][:3] == ["total", "", "6"]
        assert "Del 2026-03-10 al 2026-03-10 por servicio: 3 grupos, 6 turnos" in status_of(pilot)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(pilot.app.screen, SaveReport))
        assert "Guardar el informe como CSV" in str(pilot.app.screen.query_one(Label).render())
        pilot.app.screen.query_one("#save-path", Input).value = str(tmp_path / "no" / "x.csv")
        await touch(pilot, "#save-ok")
        await until(pilot, lambda: "No se puede guardar" in status_of(pilot))


def test_snapshot(snap_compare, server: ServerProcess) -> None:
    """The screen as the supervisor app shows it first: in Spanish."""
    assert snap_compare(admin_app(server, "es"), terminal_size=SIZE, run_before=shown)
