"""The supervisor's calls on the real server, on both stores: /kpis (and its charts), kpi.alert on
the branch's event stream, /staffing and /devices (presence from calls, streams, User-Agent)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from queue_api.client import Forbidden, QueueClient
from queue_api.schema import EventType
from tests.queue_api.conftest import STORES, as_role, database_for
from tests.queue_api.test_kpi_alerts import alerting_office
from tests.server_process import TOKENS, ServerProcess


async def issue(kiosk: QueueClient, service: str) -> None:
    await kiosk.issue_ticket("centro", service, idempotency_key=secrets.token_hex(8))


@pytest.mark.parametrize("role", ["kiosk", "counter1", "display"])
@pytest.mark.parametrize("call", ["kpis", "staffing", "devices"])
def test_only_supervisors_and_admins_read_operations(
    server: ServerProcess, role: str, call: str
) -> None:
    answer = httpx.get(f"{server.url}/api/v1/branches/centro/{call}", headers=as_role(role))
    assert answer.status_code == 403
    assert "supervisor or admin" in answer.json()["detail"]
    for allowed in ("supervisor", "admin"):
        ok = httpx.get(f"{server.url}/api/v1/branches/centro/{call}", headers=as_role(allowed))
        assert ok.status_code == 200, ok.text


async def test_kpis_per_service_and_counter(server: ServerProcess, clients: dict) -> None:
    for _ in range(3):
        await issue(clients["kiosk"], "licencias")
    await issue(clients["kiosk"], "pagos")
    await clients["counter2"].set_counter_state("centro", "2", "open", clerk="Ana")
    called = await clients["counter2"].call_next("centro", "2")
    await clients["counter2"].finish("centro", "2")
    await clients["counter2"].call_next("centro", "2")
    await clients["counter2"].no_show("centro", "2")
    await clients["counter2"].call_next("centro", "2")

    kpis = await clients["supervisor"].kpis("centro")
    services = {s.service: s for s in kpis.services}
    licencias = services["licencias"]
    assert (licencias.issued, licencias.waiting, licencias.served, licencias.no_shows) == (
        3,
        0,
        1,
        1,
    )
    assert licencias.within_target_share == 1.0  # all three called at once
    assert licencias.level == "fine" and licencias.ewt_seconds is None
    assert services["pagos"].waiting == 1 and services["pagos"].ewt_seconds
    assert services["pagos"].within_target_share is None  # nobody called yet
    desk = next(c for c in kpis.counters if c.counter == "2")
    assert (desk.state, desk.clerk, desk.current, desk.current_status) == (
        "open",
        "Ana",
        "A003",
        "called",
    )
    assert desk.current_seconds is not None and desk.idle_seconds is None
    assert called is not None
    closed = next(c for c in kpis.counters if c.counter == "1")
    assert closed.state == "closed" and closed.current is None
    assert kpis.alerts == [] and kpis.charts is None


async def test_charts_detail_has_fifteen_minute_slots(server: ServerProcess, clients: dict) -> None:
    await issue(clients["kiosk"], "registro")
    await clients["counter3"].call_next("centro", "3")
    kpis = await clients["supervisor"].kpis("centro", charts=True)
    charts = kpis.charts
    assert charts is not None
    assert charts.slot_minutes == 15 and len(charts.arrivals) == 96
    assert sum(charts.arrivals) == 1 and sum(charts.served) == 0
    assert max(charts.counters_busy) == 1
    assert charts.usual_arrivals == [0.0] * 96 and charts.history_days == []
    assert sum(charts.waits["registro"]) == 1 and len(charts.waits["registro"]) == 8
    async with httpx.AsyncClient() as http:
        bad = await http.get(
            f"{server.url}/api/v1/branches/centro/kpis?detail=everything",
            headers=as_role("admin"),
        )
    assert bad.status_code == 422 and "detail" in bad.json()


async def test_staffing_answers_a_plan_and_refuses_a_bad_date(
    server: ServerProcess, clients: dict
) -> None:
    plan = await clients["supervisor"].staffing("centro")
    assert plan.history_days == [] and plan.hours == [] and plan.counters_per_hour == [0] * 24
    assert plan.target_level == 0.8
    tomorrow = plan.date
    assert (await clients["supervisor"].staffing("centro", tomorrow)).date == tomorrow
    base = f"{server.url}/api/v1/branches/centro/staffing"
    async with httpx.AsyncClient(headers=as_role("admin")) as http:
        for bad in ("2026-13-01", "tomorrow"):
            answer = await http.get(f"{base}?date={bad}")
            assert answer.status_code == 422, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
        far = tomorrow + timedelta(days=800)
        answer = await http.get(f"{base}?date={far}")
    assert answer.status_code == 422 and "too far" in answer.json()["detail"]
    assert isinstance(tomorrow, date)


async def test_devices_report_presence_version_and_faults(
    server: ServerProcess, clients: dict
) -> None:
    async with QueueClient(server.url, TOKENS["kiosk"], user_agent="turnero-kiosk/9.8.7") as kiosk:
        await kiosk.queue("centro")
        await kiosk.report_alert("centro", "kiosk-entrada", "printer.paper_out", "no paper")

    async def follow() -> None:
        async for _ in clients["display"].events("centro"):
            pass

    streaming = asyncio.create_task(follow())
    try:
        devices = None
        for _ in range(200):
            devices = await clients["supervisor"].devices("centro")
            by_name = {d.name: d for d in devices.devices}
            if by_name["pantalla-sala"].streaming:
                break
            await asyncio.sleep(0.05)
        assert devices is not None
        by_name = {d.name: d for d in devices.devices}
        kiosk_seen = by_name["kiosk-entrada"]
        assert (kiosk_seen.app, kiosk_seen.version) == ("kiosk", "9.8.7")
        assert kiosk_seen.last_seen is not None
        assert kiosk_seen.faults == ["printer.paper_out"]
        display = by_name["pantalla-sala"]
        assert display.streaming and display.faults == [] and display.app == "turnero"
        assert by_name["ventanilla-4"].faults == ["never_seen"]
        assert by_name["supervision"].role == "supervisor"
        assert by_name["supervision"].faults == []  # not an always-on device
        assert "kiosk-norte" not in by_name and "administracion" not in by_name
    finally:
        streaming.cancel()
        with pytest.raises(asyncio.CancelledError):
            await streaming


# KPI alerts reach the branch's stream ------------------------------------------------------


@pytest.fixture(params=STORES)
def alerting_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    config = alerting_office(tmp_path, database_for(request, tmp_path))
    process = ServerProcess(config).start()
    yield process
    process.stop()


async def test_crossing_a_threshold_sends_kpi_alert_to_the_branch_stream(
    alerting_server: ServerProcess,
) -> None:
    url = alerting_server.url
    async with (
        QueueClient(url, TOKENS["kiosk"]) as kiosk,
        QueueClient(url, TOKENS["counter2"]) as counter,
        QueueClient(url, TOKENS["supervisor"]) as supervisor,
    ):
        seen: list = []

        async def watch() -> None:
            async for event in counter.events("centro"):
                if event.type in (EventType.KPI_ALERT, EventType.KPI_CLEARED):
                    seen.append(event)
                    if event.type is EventType.KPI_CLEARED:
                        return

        watching = asyncio.create_task(watch())
        await asyncio.sleep(0)
        for _ in range(4):
            await issue(kiosk, "licencias")
        for _ in range(200):
            if seen:
                break
            await asyncio.sleep(0.05)
        assert [
            (e.type, e.data.service, e.data.kpi, e.data.value, e.data.threshold) for e in seen
        ] == [(EventType.KPI_ALERT, "licencias", "waiting", 4, 3)]
        standing = (await supervisor.kpis("centro")).alerts
        assert [(a.service, a.kpi) for a in standing] == [("licencias", "waiting")]
        for _ in range(2):
            await counter.call_next("centro", "2")
        await asyncio.wait_for(watching, 10)
        assert [e.type for e in seen] == [EventType.KPI_ALERT, EventType.KPI_CLEARED]
        assert (await supervisor.kpis("centro")).alerts == []


async def test_a_supervisor_outside_its_branches_is_refused(tmp_path: Path) -> None:
    from tests.server_process import office_file

    extra = """
[[devices]]
name = "jefa-norte"
role = "supervisor"
branches = ["norte"]
token = "supervisor-of-norte"
"""
    process = ServerProcess(office_file(tmp_path, tmp_path / "t.db", extra)).start()
    try:
        async with QueueClient(process.url, "supervisor-of-norte") as client:
            assert (await client.kpis("norte")).branch == "norte"
            with pytest.raises(Forbidden):
                await client.kpis("centro")
            devices = await client.devices("norte")
            assert {d.name for d in devices.devices} == {"kiosk-norte", "supervision", "jefa-norte"}
    finally:
        process.stop()
