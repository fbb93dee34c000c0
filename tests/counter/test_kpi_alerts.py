"""Clerks see the KPI alerts of the services their counter serves, until they clear."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from counter.app import CounterApp
from counter.kpi_alerts import KpiAlerts
from tests.counter.conftest import api, device_for, events_flowing
from tests.pilot_wait import until
from tests.queue_api.test_kpi_alerts import alerting_office


@pytest.fixture
def office_config(tmp_path: Path) -> Path:
    """The example office with thresholds on licencias: more than 3 waiting alerts."""
    return alerting_office(tmp_path, tmp_path / "turnero.db")


async def test_a_kpi_alert_of_a_service_it_serves_stands_until_cleared(
    server, tokens, kiosk, clock
) -> None:
    one = CounterApp(device_for(server.url, tokens["counter1"]), clock=clock)  # serves licencias
    three = CounterApp(device_for(server.url, tokens["counter3"], "3"), clock=clock)  # does not
    async with one.run_test(size=(100, 34)) as pilot, three.run_test(size=(100, 34)) as other:
        alerts = one.counter_screen.query_one(KpiAlerts)
        theirs = three.counter_screen.query_one(KpiAlerts)
        for app, driver in ((one, pilot), (three, other)):
            screen = app.counter_screen
            await until(driver, lambda s=screen: s.online and s.counter is not None and s.queue)
        await events_flowing(pilot, kiosk)  # one licencias ticket: no alert yet
        for _ in range(3):
            kiosk("licencias")
        await until(pilot, lambda: bool(alerts.standing))
        assert alerts.display
        assert "⚠ Licencias de conducir: 4 esperando (límite 3)" in str(alerts.render())
        await until(other, lambda: bool(theirs.standing))  # heard it too, but shows nothing
        assert not theirs.display

        for _ in range(2):
            answer = await api(server, tokens["admin"], "POST", "/counters/2/next")
            assert answer.status_code == 200
        await until(pilot, lambda: not alerts.standing)
        assert not alerts.display


def test_a_wait_alert_reads_in_english() -> None:
    from datetime import UTC, datetime

    from queue_api.schema import Event, EventData, EventType

    alerts = KpiAlerts("en", lambda: ["licencias"], {"licencias": "Driver licences"})
    event = Event(
        id=9,
        type=EventType.KPI_ALERT,
        data=EventData(
            at=datetime(2026, 1, 5, tzinfo=UTC),
            service="licencias",
            kpi="wait_minutes",
            value=12.5,
            threshold=10,
        ),
    )
    alerts.take(event)
    assert "⚠ Driver licences: longest wait 12.5 min (limit 10)" in str(alerts.render())


async def test_a_counter_that_starts_late_sees_the_kpi_alerts_that_stand(
    server, tokens, kiosk, clock
) -> None:
    for _ in range(4):
        kiosk("licencias")
    async with httpx.AsyncClient() as http:  # the server checks off the request path
        for _ in range(200):
            answer = await http.get(
                f"{server.url}/api/v1/branches/centro/alerts",
                headers={"Authorization": f"Bearer {tokens['counter1']}"},
            )
            if answer.json()["kpi_alerts"]:
                break
            await asyncio.sleep(0.05)
    app = CounterApp(device_for(server.url, tokens["counter1"]), clock=clock)
    async with app.run_test(size=(100, 34)) as pilot:
        alerts = app.counter_screen.query_one(KpiAlerts)
        await until(pilot, lambda: bool(alerts.standing))
        assert "4 esperando (límite 3)" in str(alerts.render())


def test_an_event_newer_than_the_list_wins_over_it() -> None:
    from datetime import UTC, datetime

    from queue_api.schema import Event, EventData, EventType, KpiAlert, StandingAlerts

    at = datetime(2026, 1, 5, tzinfo=UTC)
    alerts = KpiAlerts("es", lambda: None, {})
    cleared = EventData(at=at, service="licencias", kpi="waiting", value=2, threshold=3)
    alerts.take(Event(id=12, type=EventType.KPI_CLEARED, data=cleared))
    stood = KpiAlert(service="licencias", kpi="waiting", value=4, threshold=3, since=at)
    alerts.load(StandingAlerts(branch="centro", alerts=[], last_event_id=11, kpi_alerts=[stood]))
    assert alerts.standing == {}  # read before the clear: the clear stands
    alerts.load(StandingAlerts(branch="centro", alerts=[], last_event_id=13, kpi_alerts=[stood]))
    assert alerts.standing == {("licencias", "waiting"): (4, 3)}
