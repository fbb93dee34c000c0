"""``GET /api/v1/reports`` on the real server, each store: figures of tickets written with chosen
times, CSV for spreadsheets, validation at the edge, and who may see which branch."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from queue_api.client import Forbidden, InvalidRequest, QueueClient, new_idempotency_key
from queue_api.reports import GROUPINGS
from queue_api.schema import TicketStatus
from queue_api.stats import percentile
from queue_api.store import open_store
from tests.queue_api.conftest import STORES, as_role, bearer, database_for
from tests.queue_api.test_reports_store import HAND_MADE, ticket
from tests.server_process import TOKENS, ServerProcess, office_file

SUPERVISORS = """
[[devices]]
name = "jefa-norte"
role = "supervisor"
branches = ["norte"]
token = "demo-supervisor-norte"

[[devices]]
name = "jefa-general"
role = "supervisor"
branches = ["*"]
token = "demo-supervisor-all"
"""
NORTE = bearer("demo-supervisor-norte")
EVERYWHERE = bearer("demo-supervisor-all")
DAY = "2026-03-10"
PAST = {"from": DAY, "to": DAY}
PAST_TICKETS = [t for t in HAND_MADE if t.status is not TicketStatus.WAITING]


@pytest.fixture(scope="module", params=STORES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server whose database already holds HAND_MADE (centro, 2026-03-10) and one ticket of
    norte that day, written with chosen times before it started. Not the one still waiting:
    the server cancels what a past day left waiting, maybe after the first report."""
    folder = tmp_path_factory.mktemp("reports")
    database = database_for(request, folder)
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    store = open_store(url)
    with store.write() as tx:
        for t in [
            *PAST_TICKETS,
            ticket(9, service="pagos", branch="norte", called=30, finished=90),
        ]:
            tx.insert_ticket(t)
    store.close()
    config = office_file(folder, database, SUPERVISORS, kiosk_tickets_per_minute=0)
    process = ServerProcess(config).start()
    yield process
    process.stop()


def get(server: ServerProcess, headers: dict[str, str], **params: str) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v1/reports", params=params, headers=headers, timeout=30)


def test_the_figures_of_tickets_with_known_times(server: ServerProcess) -> None:
    answer = get(server, as_role("admin"), by="service", branch="centro", **PAST)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from_day"], body["to_day"], body["by"]) == (DAY, DAY, "service")
    assert body["branches"] == ["centro"]
    assert body["timezone"] == "America/Mexico_City"
    licencias, pagos = body["rows"]
    assert licencias == {
        "branch": "centro",
        "key": "licencias",
        "issued": 4,
        "served": 2,
        "no_shows": 1,
        "cancelled": 1,
        "mean_wait_seconds": 500.0,
        "p50_wait_seconds": 400.0,
        "p90_wait_seconds": 1000.0,
        "mean_service_seconds": 150.0,
        "p90_service_seconds": 200.0,
        "within_target_share": 2 / 3,  # examples/office.toml: licencias 15 min
        "feedback_mean": None,  # no feedback table yet
        "feedback_count": 0,
    }
    assert (pagos["key"], pagos["issued"], pagos["within_target_share"]) == ("pagos", 1, 1.0)
    assert body["total"]["issued"] == 5 and body["total"]["branch"] is None


@pytest.mark.parametrize("by", GROUPINGS)
def test_every_grouping_answers(server: ServerProcess, by: str) -> None:
    answer = get(server, as_role("admin"), by=by, **PAST)
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert sum(row["issued"] for row in rows) == 6  # five of centro, one of norte
    assert {row["branch"] for row in rows} == {"centro", "norte"}


def test_hours_are_the_office_s_local_hours(server: ServerProcess) -> None:
    rows = get(server, as_role("admin"), by="hour", branch="centro", **PAST).json()["rows"]
    # 15:00 UTC is 09:00 in Mexico City
    assert [(row["key"], row["issued"]) for row in rows] == [("09:00", 4), ("10:00", 1)]


def test_csv_opens_in_a_spreadsheet(server: ServerProcess) -> None:
    by_format = get(server, as_role("admin"), by="day", format="csv", **PAST)
    by_accept = get(server, {**as_role("admin"), "Accept": "text/csv"}, by="day", **PAST)
    for answer in (by_format, by_accept):
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert f'filename="report-{DAY}-{DAY}-day.csv"' in answer.headers["content-disposition"]
        assert answer.content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    assert by_format.content == by_accept.content
    table = list(csv.reader(io.StringIO(by_format.content.decode("utf-8-sig"))))
    header, *rows = table
    assert header[:8] == [
        "from",
        "to",
        "branch",
        "day",
        "issued",
        "served",
        "no_shows",
        "cancelled",
    ]
    assert "p90_wait_seconds" in header and "feedback_count" in header
    assert all(len(row) == len(header) for row in rows)
    assert [row[:5] for row in rows] == [
        [DAY, DAY, "centro", DAY, "5"],
        [DAY, DAY, "norte", DAY, "1"],
        [DAY, DAY, "*", "", "6"],  # the total, last
    ]
    column = header.index("p50_wait_seconds")
    assert rows[0][column] == "100.0"  # 90, 100, 400, 1000 s: the 2nd
    assert rows[0][header.index("feedback_mean")] == ""  # no value: an empty cell
    assert date.fromisoformat(rows[0][0])


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"from": "10/03/2026", "to": DAY, "by": "service"}, "from: expected a date as YYYY-MM-DD"),
        ({"from": DAY, "to": "2026-02-30", "by": "service"}, "to: expected a date as YYYY-MM-DD"),
        ({"from": DAY, "to": "2026-03-01", "by": "service"}, "is before from"),
        ({"from": "2025-01-01", "to": "2026-03-01", "by": "service"}, "at most 366"),
        (
            {"from": DAY, "to": DAY, "by": "weekday"},
            "expected one of service, counter, clerk, hour, day, channel, outcome",
        ),
        ({"from": DAY, "to": DAY, "by": "day", "format": "xlsx"}, "format: expected csv or json"),
        ({"from": "9999-12-30", "to": "9999-12-31", "by": "hour"}, "from: 9999-12-30 is out of"),
        ({"from": "0001-01-01", "to": "0001-01-02", "by": "hour"}, "from: 0001-01-01 is out of"),
        ({"to": DAY, "by": "day"}, "from"),
    ],
)
def test_bad_input_is_a_422_that_says_what_to_send(
    server: ServerProcess, params: dict[str, str], says: str
) -> None:
    answer = get(server, as_role("admin"), **params)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert says in answer.json()["detail"]


def test_a_whole_year_is_allowed(server: ServerProcess) -> None:
    answer = get(
        server, as_role("admin"), by="service", **{"from": "2024-01-01", "to": "2024-12-31"}
    )
    assert answer.status_code == 200
    assert answer.json()["rows"] == []


@pytest.mark.parametrize(
    ("first", "last"), [("2000-01-01", "2000-01-02"), ("9998-12-30", "9998-12-31")]
)
def test_the_far_ends_of_the_calendar_answer(server: ServerProcess, first: str, last: str) -> None:
    answer = get(server, as_role("admin"), by="hour", **{"from": first, "to": last})
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == []


def test_an_unknown_branch_is_a_404(server: ServerProcess) -> None:
    answer = get(server, as_role("admin"), by="service", branch="sur", **PAST)
    assert answer.status_code == 404


def test_a_supervisor_sees_its_branches_only(server: ServerProcess) -> None:
    mine = get(server, NORTE, by="service", **PAST)
    assert mine.status_code == 200
    assert mine.json()["branches"] == ["norte"]
    assert [row["branch"] for row in mine.json()["rows"]] == ["norte"]
    assert mine.json()["total"]["issued"] == 1
    assert get(server, NORTE, by="service", branch="norte", **PAST).status_code == 200
    refused = get(server, NORTE, by="service", branch="centro", **PAST)
    assert refused.status_code == 403
    assert "centro" in refused.json()["detail"]
    everywhere = get(server, EVERYWHERE, by="service", **PAST).json()
    assert everywhere["branches"] == ["centro", "norte"]


@pytest.mark.parametrize(("role", "status"), [("kiosk", 403), ("counter1", 403), ("display", 403)])
def test_devices_of_the_floor_may_not_read_reports(
    server: ServerProcess, role: str, status: int
) -> None:
    assert get(server, as_role(role), by="service", **PAST).status_code == status
    assert get(server, {}, by="service", **PAST).status_code == 401


async def test_today_s_tickets_through_the_client(server: ServerProcess) -> None:
    """Tickets issued and served through the API count in today's report."""
    today = datetime.now(ZoneInfo("America/Mexico_City")).date()
    async with (
        QueueClient(server.url, TOKENS["kiosk"]) as kiosk,
        QueueClient(server.url, TOKENS["counter3"]) as desk,
        QueueClient(server.url, "demo-supervisor-all") as boss,
        QueueClient(server.url, "demo-supervisor-norte") as norte,
    ):
        issued = [
            await kiosk.issue_ticket("centro", "registro", idempotency_key=new_idempotency_key())
        ]
        called = await desk.call_next("centro", "3")
        assert called is not None and called.id == issued[0].id
        done = await desk.finish("centro", "3")
        report = await boss.report(today, today, "service", branch="centro")
        (row,) = [r for r in report.rows if r.key == "registro"]
        assert (row.issued, row.served) == (1, 1)
        assert done.called_at is not None and done.issued_at is not None
        wait = (done.called_at - done.issued_at).total_seconds()
        assert row.p90_wait_seconds == round(percentile([wait], 0.9), 1)
        saved = await boss.report_csv(today, today, "service", branch="centro")
        assert saved.startswith(b"\xef\xbb\xbf")
        with pytest.raises(Forbidden):
            await norte.report(today, today, "service", branch="centro")
        with pytest.raises(InvalidRequest, match="unknown grouping"):
            await boss.report(today, today, "weekday")
