"""Device alerts: the device is the token's, each device has an allowance, and reading the
faults that stand does not read every alert ever sent."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx

from queue_api.schema import EventType
from queue_api.store.sqlite import MIGRATIONS, SqliteStore
from tests.queue_api.conftest import as_role
from tests.server_process import ServerProcess

B = "centro"
ALERTS = f"/api/v1/branches/{B}/alerts"
AT = "2026-01-05T09:00:00-06:00"


def alert_data(device: str, kind: str, detail: str = "") -> dict:
    alert = {"branch": B, "device": device, "kind": kind, "detail": detail, "role": "kiosk"}
    return {"alert": alert, "at": AT}


def test_the_store_gives_the_latest_alert_per_device_and_part_not_every_alert(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "t.db")
    with store.write() as tx:
        for n in range(50):
            tx.append_event(
                B, EventType.DEVICE_ALERT, alert_data("kiosk-entrada", "printer.x", str(n))
            )
        board = tx.append_event(B, EventType.DEVICE_ALERT, alert_data("ventanilla-1", "board.lost"))
        tx.append_event("norte", EventType.DEVICE_ALERT, alert_data("kiosk-norte", "printer.x"))
        last = tx.append_event(B, EventType.DEVICE_ALERT, alert_data("kiosk-entrada", "printer.ok"))
    with store.read() as tx:
        assert [event.id for event in tx.alerts(B)] == [board.id, last.id]
    store.close()


def test_a_version_2_database_keeps_its_standing_alerts_after_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[1] + MIGRATIONS[2])
    old.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    old.executemany("INSERT INTO schema_version (version) VALUES (?)", [(1,), (2,)])
    for device, kind in [("k", "printer.paper_out"), ("k", "board.ok"), ("k", "printer.cover")]:
        old.execute(
            "INSERT INTO events (branch, type, data, at) VALUES (?, 'device.alert', ?, ?)",
            (B, json.dumps(alert_data(device, kind)), AT),
        )
    old.commit()
    old.close()
    store = SqliteStore(path)
    with store.read() as tx:
        assert [event.id for event in tx.alerts(B)] == [2, 3]
    store.close()


async def test_the_device_of_an_alert_is_the_tokens_own(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        fault = {"device": "ventanilla-2", "kind": "board.lost", "detail": "no answer"}
        assert (await http.post(ALERTS, json=fault, headers=as_role("counter2"))).status_code == 202
        # Another device cannot clear it by naming it: its alert is its own.
        clear = {"device": "ventanilla-2", "kind": "board.ok", "detail": ""}
        answer = await http.post(ALERTS, json=clear, headers=as_role("counter1"))
        assert (answer.status_code, answer.json()["device"]) == (202, "ventanilla-1")
        standing = (await http.get(ALERTS, headers=as_role("display"))).json()["alerts"]
        assert [(a["device"], a["kind"]) for a in standing] == [("ventanilla-2", "board.lost")]
        # An admin (staff at a desk) may report for a device, and clear it.
        answer = await http.post(ALERTS, json=clear, headers=as_role("admin"))
        assert (answer.status_code, answer.json()["device"]) == (202, "ventanilla-2")
        assert (await http.get(ALERTS, headers=as_role("display"))).json()["alerts"] == []


async def test_a_device_reporting_too_often_gets_429(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:

        async def report(role: str) -> httpx.Response:
            body = {"device": "x", "kind": "printer.paper_out", "detail": ""}
            return await http.post(ALERTS, json=body, headers=as_role(role))

        answers = [await report("kiosk") for _ in range(40)]
        codes = [answer.status_code for answer in answers]
        assert codes[:30] == [202] * 30 and codes[-1] == 429
        refused = answers[-1]
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "kiosk-entrada" in refused.json()["detail"]
        assert (await report("display")).status_code == 202  # each device has its own
    assert not any("demo-kiosk-centro" in line for line in server.output)
