"""KPI alerts (API.md v1 additions): crossing a threshold sends ``kpi.alert`` once, coming back
under it (past a small hysteresis) sends ``kpi.cleared`` once, on both stores; a restart
neither repeats nor loses a standing alert.

Through ``Office`` and ``Operations`` on each real store with a clock the test moves; the rules
themselves (``queue_api.stats``) are tested pure at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from device.clock import FrozenClock as Clock
from queue_api import engine, stats
from queue_api.config import ServiceConfig, load_office_config
from queue_api.office import Office
from queue_api.operations import Operations
from queue_api.schema import EventType, IssueTicket
from queue_api.stats import KpiReading, KpiState
from queue_api.store import StoredEvent, open_store
from tests.queue_api.conftest import STORES, database_for
from tests.server_process import office_file

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 09:00 in Mexico City

THRESHOLDS = """target_wait_minutes = 15
priority_allowed = true
alert_wait_minutes = 10
alert_waiting = 3
"""


def alerting_office(folder: Path, database: Path | str) -> Path:
    """The example office with thresholds on licencias: longest wait 10 min, more than 3 wait."""
    path = office_file(folder, database)
    text = path.read_text(encoding="utf-8")
    first = "target_wait_minutes = 15\npriority_allowed = true\n"
    assert first in text
    path.write_text(text.replace(first, THRESHOLDS, 1), encoding="utf-8")
    return path


class Sink:
    """Collects what the office publishes."""

    def __init__(self) -> None:
        self.events: list[StoredEvent] = []

    def publish(self, events: list[StoredEvent]) -> None:
        self.events.extend(events)

    def kpi(self) -> list[tuple[str, str, str, float, float]]:
        return [
            (e.type.value, e.data["service"], e.data["kpi"], e.data["value"], e.data["threshold"])
            for e in self.events
            if e.type in (EventType.KPI_ALERT, EventType.KPI_CLEARED)
        ]


@pytest.fixture(params=STORES)
def config_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return alerting_office(tmp_path, database_for(request, tmp_path))


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


def open_ops(config_path: Path, clock: Clock, sink: Sink) -> Operations:
    config = load_office_config(config_path)
    office = Office(
        config, open_store(config.server.database), sink, clock=clock, monotonic=clock.monotonic
    )
    return Operations(office)


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def ops(config_path: Path, clock: Clock, sink: Sink) -> Iterator[Operations]:
    made = open_ops(config_path, clock, sink)
    yield made
    made.office.store.close()


def issue(office: Office, service: str = "licencias") -> None:
    office.issue("centro", IssueTicket(service=service), engine.new_ticket_id())


def test_a_line_longer_than_its_threshold_alerts_once_and_clears_once_one_below_it(
    ops: Operations, sink: Sink
) -> None:
    office = ops.office
    for _ in range(3):
        issue(office)
        assert ops.check_kpis("centro") == []  # 3 waiting is not more than 3
    issue(office)
    assert [e.type for e in ops.check_kpis("centro")] == [EventType.KPI_ALERT]
    issue(office)
    assert ops.check_kpis("centro") == []  # still above: nothing more
    assert sink.kpi() == [("kpi.alert", "licencias", "waiting", 4, 3)]

    office.call_next("centro", "2")  # 4 wait: above the line, not yet cleared
    office.call_next("centro", "2")  # 3 wait: back at the threshold, inside the hysteresis
    assert ops.check_kpis("centro") == []
    office.call_next("centro", "2")  # 2 wait: one fewer than the threshold
    assert [e.type for e in ops.check_kpis("centro")] == [EventType.KPI_CLEARED]
    assert ops.check_kpis("centro") == []
    assert sink.kpi()[1:] == [("kpi.cleared", "licencias", "waiting", 2, 3)]
    assert ops.kpis("centro").alerts == []


def test_a_long_wait_alerts_as_time_passes_and_clears_at_ninety_percent(
    ops: Operations, sink: Sink, clock: Clock
) -> None:
    office = ops.office
    issue(office)
    clock.advance(10 * 60)
    assert ops.check_kpis("centro") == []  # 10 min is not more than 10
    clock.advance(30)
    assert [e.type for e in ops.check_kpis("centro")] == [EventType.KPI_ALERT]
    standing = ops.kpis("centro").alerts
    assert [(a.service, a.kpi, a.value, a.threshold) for a in standing] == [
        ("licencias", "wait_minutes", 10.5, 10)
    ]
    assert standing[0].since == clock.now

    clock.advance(60)
    issue(office)  # a newer ticket: the oldest still waits 11.5 min
    office.call_next("centro", "2")  # the oldest is called; the newest waited 0 min
    clock.advance(9.5 * 60)  # the one left waited 9.5 min: under 10, above 9
    assert ops.check_kpis("centro") == []
    office.call_next("centro", "2")
    issue(office)
    clock.advance(9 * 60)  # 9 min: 90% of the threshold
    assert [e.type for e in ops.check_kpis("centro")] == [EventType.KPI_CLEARED]
    assert sink.kpi() == [
        ("kpi.alert", "licencias", "wait_minutes", 10.5, 10),
        ("kpi.cleared", "licencias", "wait_minutes", 9.0, 10),
    ]


def test_a_restart_neither_repeats_nor_loses_a_standing_alert(
    config_path: Path, clock: Clock
) -> None:
    first_sink = Sink()
    first = open_ops(config_path, clock, first_sink)
    for _ in range(4):
        issue(first.office)
    assert len(first.check_kpis("centro")) == 1
    first.office.store.close()

    again_sink = Sink()
    again = open_ops(config_path, clock, again_sink)
    try:
        assert again.check_kpis("centro") == []  # still above, and already said
        assert [a.kpi for a in again.kpis("centro").alerts] == ["waiting"]
        for _ in range(2):
            again.office.call_next("centro", "2")
        assert [e.type for e in again.check_kpis("centro")] == [EventType.KPI_CLEARED]
    finally:
        again.office.store.close()


def test_the_event_carries_service_kpi_value_and_threshold(ops: Operations) -> None:
    for _ in range(4):
        issue(ops.office)
    (event,) = ops.check_kpis("centro")
    with ops.office.store.read() as tx:
        assert tx.last_event_id("centro") == event.id
    assert {k: event.data[k] for k in ("service", "kpi", "value", "threshold")} == {
        "service": "licencias",
        "kpi": "waiting",
        "value": 4,
        "threshold": 3,
    }
    assert "at" in event.data


# The rules, pure ------------------------------------------------------------------------


def service(**thresholds: int) -> ServiceConfig:
    return ServiceConfig(id="licencias", prefix="A", name={"es": "Licencias"}, **thresholds)


def test_thresholds_of_zero_read_nothing() -> None:
    assert stats.kpi_readings(service(), waiting=50, longest_wait_seconds=9999) == []
    assert stats.kpi_readings(service(alert_waiting=5), 6, 120) == [
        KpiReading("licencias", "waiting", 6, 5)
    ]
    assert stats.kpi_readings(service(alert_wait_minutes=10), 0, None) == [
        KpiReading("licencias", "wait_minutes", 0.0, 10)
    ]


@pytest.mark.parametrize(
    ("kpi", "threshold", "value", "crosses", "clears"),
    [
        ("waiting", 5, 5, False, False),
        ("waiting", 5, 6, True, False),
        ("waiting", 5, 4, False, True),
        ("wait_minutes", 10, 10.0, False, False),
        ("wait_minutes", 10, 10.1, True, False),
        ("wait_minutes", 10, 9.1, False, False),
        ("wait_minutes", 10, 9.0, False, True),
    ],
)
def test_hysteresis(kpi: str, threshold: int, value: float, crosses: bool, clears: bool) -> None:
    reading = KpiReading("licencias", kpi, value, threshold)
    assert stats.crosses(reading) is crosses
    assert stats.clears(reading) is clears


def test_a_threshold_turned_off_clears_its_standing_alert() -> None:
    stood = KpiState("centro", "licencias", "waiting", 9, 5, T0)
    raised, cleared = stats.kpi_changes("centro", [], [stood], T0)
    assert (raised, cleared) == ([], [stood])


@pytest.mark.parametrize(
    ("seconds", "level"),
    [(None, "fine"), (600, "fine"), (675, "close"), (900, "close"), (901, "over")],
)
def test_wait_level_against_a_15_minute_target(seconds: float | None, level: str) -> None:
    assert stats.wait_level(seconds, 15) == level


def test_two_servers_checking_at_once_send_one_alert(config_path: Path, clock: Clock) -> None:
    """Every server checks (on its changes and every minute): the crossing is decided again
    under the branch's lock, so only one of them sends it."""
    sinks = [Sink() for _ in range(4)]
    servers = [open_ops(config_path, clock, sink) for sink in sinks]
    try:
        for _ in range(4):
            issue(servers[0].office)
        barrier = threading.Barrier(len(servers))

        def check(ops: Operations) -> None:
            barrier.wait()
            ops.check_kpis("centro")

        threads = [threading.Thread(target=check, args=(ops,)) for ops in servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sum(len(sink.kpi()) for sink in sinks) == 1
        with servers[0].office.store.read() as tx:
            assert len(tx.kpi_alerts("centro")) == 1
        assert len(servers[0].office.store.events_after("centro", 0)) == 5  # 4 issued, 1 alert
    finally:
        for ops in servers:
            ops.office.store.close()
