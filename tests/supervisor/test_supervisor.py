"""The supervisor app on a real server (SQLite): the overview of every branch, one branch live
from its event stream, and the charts, devices and staffing screens, keyboard first."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from supervisor.branch_screen import BranchScreen
from supervisor.charts import ChartsScreen
from supervisor.devices_screen import DevicesScreen
from supervisor.overview import OverviewScreen
from supervisor.report_screen import ReportScreen
from supervisor.staffing_screen import StaffingScreen
from tests.pilot_wait import until
from tests.queue_api.test_kpi_alerts import alerting_office
from tests.supervisor.conftest import call, issue, make_app, morning


def cell(table: DataTable, row: str, column: str) -> str:
    return str(table.get_cell(row, column))


async def open_home_branch(pilot) -> None:
    """Enter on the overview once it has its rows: the home branch is under the cursor."""
    overview = pilot.app.screen
    assert isinstance(overview, OverviewScreen)
    await until(pilot, lambda: "centro" in overview.kpis)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, BranchScreen))


async def test_the_overview_shows_every_branch_and_follows_their_events(server) -> None:
    app = make_app(server)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        table = screen.query_one(DataTable)
        await until(pilot, lambda: set(screen.kpis) == {"centro", "norte"})
        assert cell(table, "centro", "waiting") == "0"
        assert cell(table, "centro", "branch") == "Oficina Centro"
        issue(server, "licencias", 2)
        # No periodic read for an hour: the row changed because an event said so.
        await until(pilot, lambda: cell(table, "centro", "waiting") == "2")
        assert cell(table, "norte", "waiting") == "0"


async def test_a_branch_in_detail_live(server) -> None:
    morning(server)
    app = make_app(server)
    async with app.run_test(size=(120, 40)) as pilot:
        overview = app.screen
        await until(pilot, lambda: "centro" in overview.kpis)
        await pilot.press("enter")  # the home branch is under the cursor
        await until(pilot, lambda: isinstance(app.screen, BranchScreen))
        screen = app.screen
        assert isinstance(screen, BranchScreen)
        await until(pilot, lambda: screen.kpis is not None)
        services = screen.query_one("#services", DataTable)
        counters = screen.query_one("#counters", DataTable)
        await until(pilot, lambda: services.row_count == 3 and counters.row_count == 4)
        assert cell(services, "licencias", "waiting") == "1"
        assert cell(services, "licencias", "served") == "1"
        assert cell(services, "licencias", "no_shows") == "1"
        assert cell(counters, "1", "clerk") == "Ana"
        assert cell(counters, "1", "ticket") == "A002"
        assert cell(counters, "3", "state") == "en pausa"
        assert cell(services, "registro", "waiting") == "1"
        issue(server, "registro", 3)
        await until(pilot, lambda: cell(services, "registro", "waiting") == "4")
        call(server, "counter1", "POST", "/counters/1/finish")
        await until(pilot, lambda: cell(counters, "1", "ticket") == "—")
        assert cell(counters, "1", "idle") == "0 min"

        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, OverviewScreen))


@pytest.fixture
def office_config(tmp_path: Path) -> Path:
    return alerting_office(tmp_path, tmp_path / "turnero.db")


async def test_kpi_alerts_and_device_faults_stand_on_the_branch_screen(server) -> None:
    app = make_app(server)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_home_branch(pilot)
        screen = app.screen
        alerts = screen.query_one("#alerts", Static)
        # Desks that never called stand as faults; no KPI alert yet.
        await until(pilot, lambda: "ventanilla-1: nunca se conectó" in str(alerts.render()))
        assert "esperando" not in str(alerts.render())
        issue(server, "licencias", 4)
        call(server, "kiosk", "POST", "/alerts", {"device": "k", "kind": "printer.paper_out"})
        await until(pilot, lambda: "4 esperando (límite 3)" in str(alerts.render()))
        await until(pilot, lambda: "kiosk-entrada: Impresora: sin papel" in str(alerts.render()))
        for _ in range(2):
            call(server, "counter2", "POST", "/counters/2/next")
        await until(pilot, lambda: "esperando" not in str(alerts.render()))


async def test_charts_devices_and_staffing_are_one_key_away(server) -> None:
    morning(server)
    app = make_app(server)
    async with app.run_test(size=(140, 44)) as pilot:
        await open_home_branch(pilot)

        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ChartsScreen))
        charts = app.screen
        assert isinstance(charts, ChartsScreen)
        await until(pilot, lambda: charts.kpis is not None)
        assert charts.kpis is not None and charts.kpis.charts is not None
        assert sum(charts.kpis.charts.arrivals) == 7
        assert len(charts.query(PlotextPlot)) == 4
        await pilot.press("escape")

        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
        devices = app.screen
        table = devices.query_one(DataTable)
        await until(pilot, lambda: table.row_count > 0)
        assert cell(table, "kiosk-entrada", "faults") == "ok"
        assert cell(table, "pantalla-sala", "faults") == "nunca se conectó"
        assert cell(table, "supervision", "app").startswith("supervisor ")
        await pilot.press("escape")

        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, StaffingScreen))
        plan = app.screen
        assert isinstance(plan, StaffingScreen)
        await until(pilot, lambda: plan.plan is not None)
        assert "Aún no hay historia" in str(plan.query_one("#history").render())
        await pilot.press("escape")

        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ReportScreen))
        report = app.screen
        assert isinstance(report, ReportScreen)
        await until(pilot, lambda: report.report is not None)
        assert report.report is not None
        assert report.report.branches == ["centro"]  # the branch on screen, today
        assert report.report.total.issued == 7
        # In the app's language, as its other screens.
        status = str(report.query_one("#report-status", Static).render())
        assert "por servicio: 3 grupos, 7 turnos" in status
