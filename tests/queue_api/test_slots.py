"""Appointment rules (queue_api.slots): slots by opening hours in the office's time zone,
closed days, booking codes, and the check-in window at its edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from queue_api import slots
from queue_api.config import AppointmentsConfig
from queue_api.slots import AppointmentRecord, Arrival, BookingStatus, SlotRefusal

MADRID = ZoneInfo("Europe/Madrid")
MEXICO = ZoneInfo("America/Mexico_City")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def calendar(hours: str = "09:00-13:00", **kw: int) -> AppointmentsConfig:
    return AppointmentsConfig(hours={d: hours for d in WEEKDAYS}, **kw)


def local_times(starts: list[datetime], zone: ZoneInfo) -> list[str]:
    return [s.astimezone(zone).strftime("%H:%M") for s in starts]


def test_slots_fill_the_hours_and_end_by_their_end() -> None:
    cfg = AppointmentsConfig(slot_minutes=25, hours={"tue": "09:00-10:30"})
    starts = slots.day_slots(cfg, date(2026, 3, 10), MEXICO)  # a Tuesday
    assert local_times(starts, MEXICO) == ["09:00", "09:25", "09:50"]  # 10:15 would end late
    assert all(s.tzinfo is UTC for s in starts)
    assert starts[0] == datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def test_a_day_without_hours_has_no_slots() -> None:
    cfg = AppointmentsConfig(hours={"mon": "09:00-13:00"})
    assert slots.day_slots(cfg, date(2026, 3, 10), MEXICO) == []


def test_the_office_time_zone_places_the_slots() -> None:
    cfg = calendar("09:00-09:30", slot_minutes=15)
    day = date(2026, 3, 10)
    assert slots.day_slots(cfg, day, MEXICO)[0] == datetime(2026, 3, 10, 15, tzinfo=UTC)
    assert slots.day_slots(cfg, day, MADRID)[0] == datetime(2026, 3, 10, 8, tzinfo=UTC)


def test_spring_forward_keeps_local_times_and_skips_the_missing_hour() -> None:
    cfg = calendar("01:00-04:00", slot_minutes=30)
    day = date(2026, 3, 29)  # Madrid: 02:00 becomes 03:00
    starts = slots.day_slots(cfg, day, MADRID)
    assert local_times(starts, MADRID) == ["01:00", "01:30", "03:00", "03:30"]
    # 01:30 CET and 03:00 CEST are 30 real minutes apart, as the wall clock says.
    assert starts[2] - starts[1] == timedelta(minutes=30)
    nine = slots.day_slots(calendar("09:00-09:15", slot_minutes=15), day, MADRID)[0]
    day_before = slots.day_slots(
        calendar("09:00-09:15", slot_minutes=15), date(2026, 3, 28), MADRID
    )
    assert nine == datetime(2026, 3, 29, 7, tzinfo=UTC)  # 09:00 CEST
    assert day_before[0] == datetime(2026, 3, 28, 8, tzinfo=UTC)  # 09:00 CET


def test_fall_back_gives_each_local_time_once() -> None:
    cfg = calendar("01:00-04:00", slot_minutes=30)
    starts = slots.day_slots(cfg, date(2026, 10, 25), MADRID)  # 03:00 becomes 02:00
    assert local_times(starts, MADRID) == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    assert len(set(starts)) == len(starts)
    assert starts == sorted(starts)


def test_hours_to_midnight_end_at_the_next_day() -> None:
    cfg = calendar("23:00-24:00", slot_minutes=30)
    assert local_times(slots.day_slots(cfg, date(2026, 3, 10), MEXICO), MEXICO) == [
        "23:00",
        "23:30",
    ]


def test_bookable_days_skip_closed_days_and_days_without_hours_up_to_days_ahead() -> None:
    cfg = AppointmentsConfig(days_ahead=7, hours={"mon": "09:00-10:00", "wed": "09:00-10:00"})
    today = date(2026, 12, 21)  # a Monday
    closed = [date(2026, 12, 23)]
    assert slots.bookable_days(cfg, closed, today) == [date(2026, 12, 21), date(2026, 12, 28)]
    # days_ahead counts from today: the 29th (a Tuesday) is not open, the 30th is past it.
    assert date(2026, 12, 30) not in slots.bookable_days(cfg, closed, today)


def test_free_slots_leave_out_the_past_and_the_full() -> None:
    cfg = calendar("09:00-10:00", slot_minutes=15, per_slot=2)
    day = date(2026, 3, 10)
    starts = slots.day_slots(cfg, day, MEXICO)
    now = starts[0]  # the 09:00 slot has begun
    booked = [starts[1], starts[1], starts[2]]
    free = slots.free_slots(cfg, day, MEXICO, now, [], day, booked)
    assert [(local_times([f.start], MEXICO)[0], f.free) for f in free] == [
        ("09:30", 1),
        ("09:45", 2),
    ]
    assert free[0].end - free[0].start == timedelta(minutes=15)
    assert slots.free_slots(cfg, day, MEXICO, now, [day], day, []) == []


def test_refuse_slot_says_why() -> None:
    cfg = calendar("09:00-10:00", slot_minutes=15, days_ahead=2)
    day = date(2026, 3, 10)
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)  # 06:00 in Mexico City
    nine = slots.day_slots(cfg, day, MEXICO)[0]
    refuse = slots.refuse_slot
    assert refuse(cfg, nine, MEXICO, now, [], day, 0) is None
    assert refuse(cfg, nine + timedelta(minutes=5), MEXICO, now, [], day, 0) == (
        SlotRefusal.NOT_A_SLOT
    )
    assert refuse(cfg, nine, MEXICO, now, [day], day, 0) is SlotRefusal.CLOSED
    assert refuse(cfg, nine + timedelta(days=3), MEXICO, now, [], day, 0) == (
        SlotRefusal.OUT_OF_RANGE
    )
    assert refuse(cfg, nine - timedelta(days=1), MEXICO, now, [], day, 0) == (
        SlotRefusal.OUT_OF_RANGE
    )
    assert refuse(cfg, nine, MEXICO, nine, [], day, 0) is SlotRefusal.PAST
    assert refuse(cfg, nine, MEXICO, now, [], day, 1) is SlotRefusal.FULL


def test_codes_are_easy_to_read_and_type_and_hard_to_guess() -> None:
    codes = {slots.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == 8
        assert not set(code) & set("0O1IL")
        assert not code[0].isdigit()  # a digit on the kiosk's home picks a service
    assert {code[0] for code in codes} == set(slots.CODE_FIRST)
    assert len(slots.CODE_FIRST) * len(slots.CODE_ALPHABET) ** (slots.CODE_LENGTH - 1) > 10**11


def test_codes_are_read_back_in_any_case_with_spaces_or_dashes() -> None:
    assert slots.normalize_code(" k7px-3mwq ") == "K7PX3MWQ"
    assert slots.normalize_code("K7PX 3MWQ") == "K7PX3MWQ"
    assert slots.show_code("K7PX3MWQ") == "K7PX-3MWQ"
    assert slots.normalize_code("K7PX3MW0") is None  # 0 is never in a code
    assert slots.normalize_code("K7PX3MW") is None
    assert slots.normalize_code("'; DROP") is None
    assert slots.normalize_code("7KPX3MWQ") is None  # codes start with a letter


START = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "arrival"),
    [
        (timedelta(minutes=-15, microseconds=-1), Arrival.EARLY),
        (timedelta(minutes=-15), Arrival.ON_TIME),
        (timedelta(0), Arrival.ON_TIME),
        (timedelta(minutes=10), Arrival.ON_TIME),
        (timedelta(minutes=10, microseconds=1), Arrival.LATE),
    ],
)
def test_check_in_window_edges(offset: timedelta, arrival: Arrival) -> None:
    window = slots.check_in_window(START, early_minutes=15, late_minutes=10)
    assert window.arrival(START + offset) is arrival
    assert window.opens == START - timedelta(minutes=15)


def test_a_booking_past_its_late_window_is_a_no_show() -> None:
    record = AppointmentRecord(
        id="x",
        branch="centro",
        code="K7PX3MWQ",
        service="registro",
        start=START,
        language="es",
        status=BookingStatus.BOOKED,
        created_at=START - timedelta(days=1),
    )
    late = START + timedelta(minutes=10)
    assert slots.current_status(record, late, 10) is BookingStatus.BOOKED
    assert slots.current_status(record, late + timedelta(seconds=1), 10) is BookingStatus.NO_SHOW
    used = slots.checked_in(record, "ticket")
    assert slots.current_status(used, late + timedelta(hours=1), 10) is BookingStatus.CHECKED_IN
    assert slots.can_check_in(BookingStatus.NO_SHOW)
    assert not slots.can_cancel(BookingStatus.CHECKED_IN)
