"""Appointments over HTTP on the real server, on each store: the calls of API.md, their
errors, the calendar file parsed back, limits per client address, and the booking race."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest

from tests.queue_api.appointments_office import appointments_office
from tests.queue_api.conftest import STORES, as_role, database_for
from tests.server_process import ServerProcess

MEXICO = ZoneInfo("America/Mexico_City")
B = "centro"


@pytest.fixture(scope="module", params=STORES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("appointments")
    process = ServerProcess(appointments_office(folder, database_for(request, folder))).start()
    yield process
    process.stop()


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def free_slots(http: httpx.Client, day: str | None = None) -> list[str]:
    day = day or datetime.now(MEXICO).date().isoformat()
    answer = http.get(f"/api/v1/branches/{B}/slots", params={"service": "registro", "date": day})
    assert answer.status_code == 200, answer.text
    return [slot["start"] for slot in answer.json()["slots"]]


def later_slot(http: httpx.Client, hours: float) -> str:
    """A free slot at least ``hours`` from now (on a later day if need be)."""
    # Ten seconds' margin: a slot about to begin could begin before the booking reaches it.
    after = datetime.now(UTC) + timedelta(hours=hours, seconds=10)
    for days in range(3):
        day = (after.astimezone(MEXICO) + timedelta(days=days)).date().isoformat()
        for start in free_slots(http, day):
            if datetime.fromisoformat(start) >= after:
                return start
    raise AssertionError("no free slot found")


def book(http: httpx.Client, start: str, **headers: str) -> httpx.Response:
    body = {"service": "registro", "start": start, "language": "es"}
    return http.post(f"/api/v1/branches/{B}/appointments", json=body, headers=headers)


def test_book_see_and_get_the_calendar_file(http: httpx.Client) -> None:
    start = later_slot(http, 3)
    answer = book(http, start)
    assert answer.status_code == 201, answer.text
    booked = answer.json()
    assert {"id", "code", "branch", "service", "start", "status"} <= set(booked)
    assert booked["status"] == "booked" and booked["branch"] == B
    assert datetime.fromisoformat(booked["start"]) == datetime.fromisoformat(start)
    assert start not in free_slots(http, start[:10])  # one place per slot here
    seen = http.get(f"/api/v1/appointments/{booked['id']}").json()
    assert seen["code"] == booked["code"] and seen["service_name"]["es"] == "Registro civil"
    ics = http.get(f"/api/v1/appointments/{booked['id']}.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(ics.content)
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == datetime.fromisoformat(start)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=5)
    assert booked["code"][:4] in str(event["description"])
    assert "Oficina Centro" in str(event["summary"])
    assert str(event["status"]) == "CONFIRMED"


def test_twenty_citizens_race_for_the_last_place_and_one_wins(server: ServerProcess) -> None:
    async def race() -> list[int]:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            slots = await client.get(
                f"/api/v1/branches/{B}/slots",
                params={
                    "service": "registro",
                    "date": (datetime.now(MEXICO) + timedelta(days=2)).date().isoformat(),
                },
            )
            start = slots.json()["slots"][0]["start"]
            body = {"service": "registro", "start": start, "language": "es"}
            # Admin: the per-address limit would otherwise refuse most of them first.
            answers = await asyncio.gather(
                *(
                    client.post(
                        f"/api/v1/branches/{B}/appointments", json=body, headers=as_role("admin")
                    )
                    for _ in range(20)
                )
            )
            return [answer.status_code for answer in answers]

    codes = asyncio.run(race())
    assert sorted(codes) == [201] + [409] * 19


def test_bad_bookings_are_problems_that_say_what_to_do(http: httpx.Client) -> None:
    start = later_slot(http, 4)
    path = f"/api/v1/branches/{B}/appointments"
    cases = [
        ({"start": start}, 422, "service"),
        ({"service": "registro", "start": "tomorrow"}, 422, "start"),
        ({"service": "registro", "start": start[:19]}, 422, "UTC offset"),
        ({"service": "registro", "start": start, "who": "x"}, 422, "who"),
        ({"service": "licencias", "start": start}, 409, "takes no appointments"),
    ]
    misaligned = (datetime.fromisoformat(start) + timedelta(minutes=2)).isoformat()
    cases.append(({"service": "registro", "start": misaligned}, 422, "not a slot"))
    for body, status, says in cases:
        answer = http.post(path, json=body, headers=as_role("admin"))
        assert answer.status_code == status, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert says in answer.json()["detail"], answer.text
    assert http.post("/api/v1/branches/nada/appointments", json=cases[0][0]).status_code in (
        404,
        422,
    )
    unknown = http.get("/api/v1/branches/nada/slots?service=registro&date=2026-03-10")
    assert unknown.status_code == 404
    assert http.get(f"/api/v1/branches/{B}/slots?service=registro&date=soon").status_code == 422
    assert http.get("/api/v1/appointments/nope").status_code == 404
    assert http.get("/api/v1/appointments/nope.ics").status_code == 404


def test_check_in_on_time_too_early_cancelled_and_unknown(http: httpx.Client) -> None:
    kiosk = as_role("kiosk")
    soon = later_slot(http, 0)  # within five minutes: the check-in window is open
    booked = book(http, soon).json()
    later = book(http, later_slot(http, 2)).json()
    gone = book(http, later_slot(http, 2)).json()
    check_in = f"/api/v1/branches/{B}/check-in"

    answer = http.post(check_in, json={"code": booked["code"]}, headers=kiosk)
    assert answer.status_code == 201, answer.text
    ticket = answer.json()
    assert ticket["channel"] == "appointment" and ticket["late"] is False
    assert datetime.fromisoformat(ticket["appointment_at"]) == datetime.fromisoformat(soon)
    assert ticket["number"].startswith("C") and ticket["status_url"].endswith(ticket["id"])
    again = http.post(check_in, json={"code": booked["code"]}, headers=kiosk)
    assert again.status_code == 409 and again.json()["reason"] == "checked_in"
    assert http.delete(f"/api/v1/appointments/{booked['id']}").status_code == 409

    early = http.post(check_in, json={"code": later["code"]}, headers=kiosk)
    assert early.status_code == 409 and early.json()["reason"] == "early"
    come_back = datetime.fromisoformat(early.json()["come_back_at"])
    assert come_back == datetime.fromisoformat(later["start"]) - timedelta(minutes=15)
    assert f"{come_back.astimezone(MEXICO):%H:%M}" in early.json()["detail"]

    assert http.delete(f"/api/v1/appointments/{gone['id']}").json()["status"] == "cancelled"
    cancelled = http.post(check_in, json={"code": gone["code"]}, headers=kiosk)
    assert cancelled.status_code == 409 and cancelled.json()["reason"] == "cancelled"

    unknown = http.post(check_in, json={"code": "ABCD-EFGH"}, headers=kiosk)
    assert unknown.status_code == 404 and "no booking has this code" in unknown.json()["detail"]
    assert http.post(check_in, json={"code": booked["code"]}).status_code == 401
    display = as_role("display")
    assert http.post(check_in, json={"code": booked["code"]}, headers=display).status_code == 403
    assert http.post(check_in, json={}, headers=kiosk).status_code == 422


def test_the_day_list_is_for_supervisors_and_admins_and_lists_no_codes(
    http: httpx.Client,
) -> None:
    start = later_slot(http, 5)
    booked = book(http, start).json()
    day = datetime.fromisoformat(start).astimezone(MEXICO).date().isoformat()
    path = f"/api/v1/branches/{B}/appointments"
    listed = http.get(path, params={"date": day}, headers=as_role("admin"))
    assert listed.status_code == 200
    mine = [a for a in listed.json() if a["id"] == booked["id"]]
    assert mine and mine[0]["code"] is None and mine[0]["status"] == "booked"
    assert all(a["code"] is None for a in listed.json())
    assert http.get(path, params={"date": day}, headers=as_role("kiosk")).status_code == 403
    assert http.get(path, params={"date": day}).status_code == 401


def test_public_bookings_are_limited_per_client_address(tmp_path: Path) -> None:
    config = appointments_office(tmp_path, tmp_path / "turnero.db")
    process = ServerProcess(config).start()
    try:
        with httpx.Client(base_url=process.url, timeout=30) as http:
            starts = free_slots(http, (datetime.now(MEXICO) + timedelta(days=1)).date().isoformat())
            answers = [book(http, start) for start in starts[:11]]
            assert [a.status_code for a in answers] == [201] * 10 + [429]
            assert int(answers[-1].headers["retry-after"]) > 0
            assert "try again in" in answers[-1].json()["detail"]
            # An admin books on behalf of someone on the phone: not limited.
            assert book(http, starts[11], **as_role("admin")).status_code == 201
            reads = [http.get("/api/v1/appointments/nope").status_code for _ in range(125)]
            assert reads.count(429) >= 5 and reads[0] == 404
    finally:
        process.stop()
