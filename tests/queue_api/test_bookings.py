"""Appointments through ``Bookings`` on each real store, with a clock the test moves: booking,
the check-in window at its edges, the queue time of an appointment's ticket, late arrivals,
no-shows, cancelling."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from device.clock import FrozenClock
from queue_api.bookings import Bookings, CheckInRefused, InvalidBooking
from queue_api.config import load_office_config
from queue_api.office import Conflict, NotFound, Office
from queue_api.phone import Phone
from queue_api.schema import BookAppointment, EventType, IssueTicket
from queue_api.store import StoredEvent, open_store
from tests.queue_api.appointments_office import appointments_office
from tests.queue_api.conftest import STORES, database_for

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 09:00 in Mexico City
SLOT = T0 + timedelta(minutes=30)  # the 09:30 slot


class Sink:
    def __init__(self) -> None:
        self.events: list[StoredEvent] = []

    def publish(self, events: Sequence[StoredEvent]) -> None:
        self.events.extend(events)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture(params=STORES)
def office(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock, sink: Sink
) -> Iterator[Office]:
    database = database_for(request, tmp_path)
    closed = 'closed_days = ["2026-03-12"]'
    config = load_office_config(appointments_office(tmp_path, database, closed))
    made = Office(
        config, open_store(config.server.database), sink, clock=clock, monotonic=clock.monotonic
    )
    yield made
    made.store.close()


def book(office: Office, start: datetime = SLOT, language: str = "es"):
    request = BookAppointment(service="registro", start=start, language=language)
    return Bookings(office).book("centro", request)


def test_a_booked_slot_is_no_longer_free_and_its_capacity_holds(office: Office) -> None:
    bookings = Bookings(office)
    free = bookings.slots("centro", "registro", T0.date()).slots
    assert free[0].start == T0 + timedelta(minutes=5)  # the 09:00 slot has begun
    booked = book(office)
    assert booked.status == "booked" and booked.code and len(booked.code) == 8
    assert booked.start == SLOT and booked.end == SLOT + timedelta(minutes=5)
    assert SLOT not in [s.start for s in bookings.slots("centro", "registro", T0.date()).slots]
    with pytest.raises(Conflict, match="just taken"):
        book(office)
    assert bookings.appointment(booked.id).code == booked.code


def test_what_cannot_be_booked_says_why(office: Office) -> None:
    with pytest.raises(InvalidBooking, match="not a slot"):
        book(office, SLOT + timedelta(minutes=2))
    with pytest.raises(InvalidBooking, match="UTC offset"):
        book(office, SLOT.replace(tzinfo=None))
    with pytest.raises(Conflict, match="no appointments that day"):
        book(office, SLOT + timedelta(days=2))  # 2026-03-12 is closed
    with pytest.raises(Conflict, match="already begun"):
        book(office, T0)
    with pytest.raises(Conflict, match="cannot be booked yet"):
        book(office, SLOT + timedelta(days=31))
    with pytest.raises(Conflict, match="takes no appointments"):
        Bookings(office).book(
            "centro", BookAppointment(service="licencias", start=SLOT, language="es")
        )


def test_closed_days_and_full_days_are_not_offered(office: Office) -> None:
    days = Bookings(office).open_days("centro", "registro")
    assert days[0] == T0.date() and date(2026, 3, 12) not in days
    assert date(2026, 3, 11) in days and len(days) == 30  # 31 days less the closed one
    assert Bookings(office).slots("centro", "registro", date(2026, 3, 12)).slots == []


def test_check_in_window_edges_and_the_ticket_it_makes(
    office: Office, clock: FrozenClock, sink: Sink
) -> None:
    booked = book(office)
    bookings = Bookings(office)
    clock.now = SLOT - timedelta(minutes=15, microseconds=1)
    with pytest.raises(CheckInRefused) as early:
        bookings.check_in("centro", booked.code.lower())
    assert early.value.reason == "early"
    assert early.value.come_back_at == SLOT - timedelta(minutes=15)
    assert "09:15" in str(early.value)
    clock.now = SLOT - timedelta(minutes=15)
    ticket = bookings.check_in("centro", f"{booked.code[:4]}-{booked.code[4:]}")
    assert ticket.channel == "appointment" and ticket.appointment_at == SLOT
    assert ticket.number == "C001" and not ticket.late and ticket.notice is None
    assert [e.type for e in sink.events[-2:]] == [
        EventType.TICKET_ISSUED,
        EventType.APPOINTMENT_CHECKED_IN,
    ]
    assert sink.events[-1].data["ticket"]["id"] == ticket.id
    with office.store.read() as tx:
        assert tx.ticket(ticket.id).queue_at == SLOT  # its booked time
    assert bookings.appointment(booked.id).status == "checked_in"
    assert bookings.appointment(booked.id).ticket_id == ticket.id
    with pytest.raises(CheckInRefused) as again:
        bookings.check_in("centro", booked.code)
    assert again.value.reason == "checked_in"
    with pytest.raises(Conflict, match="already checked in"):
        bookings.cancel(booked.id)


def test_an_early_appointment_waits_for_its_slot_and_an_on_time_one_goes_first(
    office: Office, clock: FrozenClock
) -> None:
    booked = book(office)
    bookings = Bookings(office)
    clock.now = SLOT - timedelta(minutes=10)
    ticket = bookings.check_in("centro", booked.code)
    # A walk-in after the check-in but before the slot is ahead of it...
    clock.now = SLOT - timedelta(minutes=5)
    walk_in = office.issue("centro", IssueTicket(service="registro"), "k1")[0]
    assert Phone(office).public_ticket(ticket.id).ahead == 1
    assert Phone(office).public_ticket(walk_in.id).ahead == 0
    # ... one who came after the slot began is behind it.
    clock.now = SLOT + timedelta(minutes=1)
    later = office.issue("centro", IssueTicket(service="registro"), "k2")[0]
    assert Phone(office).public_ticket(later.id).ahead == 2
    with office.store.read() as tx:
        clock_now = tx.branch_clock("centro")
    assert clock_now is not None and clock_now.queue_at == later.issued_at


def test_late_arrival_gets_an_ordinary_ticket_saying_so(office: Office, clock: FrozenClock) -> None:
    booked = book(office, language="en")
    bookings = Bookings(office)
    assert not bookings.appointment(booked.id).late
    clock.now = SLOT + timedelta(minutes=10)
    assert bookings.appointment(booked.id).status == "booked"
    assert bookings.appointment(booked.id).late  # the supervisor sees who is late
    clock.now = SLOT + timedelta(minutes=10, microseconds=1)
    assert bookings.appointment(booked.id).status == "no_show"
    ticket = bookings.check_in("centro", booked.code)
    assert ticket.late and ticket.channel == "kiosk" and ticket.appointment_at is None
    assert ticket.notice and "ordinary" in ticket.notice["en"]
    assert ticket.language == "en"
    with office.store.read() as tx:
        assert tx.ticket(ticket.id).queue_at == clock.now  # a walk-in's queue time
    assert bookings.appointment(booked.id).status == "checked_in"


def test_no_shows_are_written_down_after_the_late_window(
    office: Office, clock: FrozenClock
) -> None:
    first = book(office)
    second = book(office, SLOT + timedelta(minutes=5))
    bookings = Bookings(office)
    clock.now = SLOT + timedelta(minutes=11)
    assert bookings.mark_no_shows() == 1
    with office.store.read() as tx:
        assert tx.appointment(first.id).status.value == "no_show"
        assert tx.appointment(second.id).status.value == "booked"
    listed = bookings.of_day("centro", T0.date())
    assert [(a.id, a.status, a.code) for a in listed] == [
        (first.id, "no_show", None),
        (second.id, "booked", None),
    ]
    # Who still comes after all gets an ordinary ticket.
    assert bookings.check_in("centro", first.code).late


def test_cancelled_bookings_free_their_slot_and_cannot_check_in(
    office: Office, clock: FrozenClock
) -> None:
    booked = book(office)
    bookings = Bookings(office)
    assert bookings.cancel(booked.id).status == "cancelled"
    assert bookings.cancel(booked.id).status == "cancelled"  # again: the same answer
    assert book(office).id != booked.id  # the place is free again
    clock.now = SLOT
    with pytest.raises(CheckInRefused) as refused:
        bookings.check_in("centro", booked.code)
    assert refused.value.reason == "cancelled"


def test_unknown_codes_and_ids_are_not_found(office: Office) -> None:
    bookings = Bookings(office)
    for code in ("ABCDEFGH", "0OIL1", "", "x" * 40):
        with pytest.raises(NotFound, match="no booking has this code"):
            bookings.check_in("centro", code)
    with pytest.raises(NotFound):
        bookings.appointment("nope")
    with pytest.raises(NotFound):
        bookings.appointment("../etc")
    booked = book(office)
    with pytest.raises(NotFound):  # codes are the branch's own
        bookings.check_in("norte", booked.code)


def test_a_retried_check_in_returns_the_same_ticket(office: Office, clock: FrozenClock) -> None:
    booked = book(office)
    clock.now = SLOT
    bookings = Bookings(office)
    first = bookings.check_in("centro", booked.code, "key-1")
    again = bookings.check_in("centro", booked.code, "key-1")
    assert again.id == first.id and again.channel == "appointment"
