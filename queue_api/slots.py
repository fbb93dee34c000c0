"""Appointment rules: which slots a service offers on which days, booking codes, and whether a
citizen checking in is early, on time or too late.

Pure, like the engine: no I/O, no clock (``now`` and the office's zone are passed in).
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from queue_api.config import WEEKDAYS, AppointmentsConfig

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Digits and capitals without 0/O, 1/I/L: read aloud over a phone or typed from a screen,
no character can be taken for another."""

CODE_FIRST = "ABCDEFGHJKMNPQRSTUVWXYZ"
"""A code starts with a letter: on the kiosk's home a digit picks a service, so a scanner
typing a code in must not begin with one."""

CODE_LENGTH = 8
"""23 × 31^7 (about 6e11, 39 bits) codes: with per-address rate limits, not guessable."""

CODE_SHAPE = re.compile(f"[{CODE_FIRST}][{CODE_ALPHABET}]{{{CODE_LENGTH - 1}}}")

APPOINTMENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


@dataclass(frozen=True, slots=True)
class AppointmentRecord:
    """A booking as the store keeps it; ``start`` in UTC. No personal data: who booked it is
    whoever holds its id or code."""

    id: str
    branch: str
    code: str
    service: str
    start: datetime
    language: str
    status: BookingStatus
    created_at: datetime
    ticket_id: str | None = None


def new_code() -> str:
    """A fresh booking code, e.g. ``K7PX3MWQ`` (``CODE_ALPHABET``, ``CODE_LENGTH``)."""
    rest = (secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH - 1))
    return secrets.choice(CODE_FIRST) + "".join(rest)


def new_appointment_id() -> str:
    """An opaque, unguessable id for the booking's page: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def normalize_code(text: str) -> str | None:
    """The code ``text`` spells (any case, spaces and dashes allowed), or None if it cannot be
    one: only then may a store look it up."""
    code = re.sub(r"[\s-]", "", text).upper()
    return code if CODE_SHAPE.fullmatch(code) else None


def show_code(code: str) -> str:
    """The code as people read it: two groups of four (``K7PX-3MWQ``)."""
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


# Slots ----------------------------------------------------------------------------------


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether the local wall time exists (not skipped by a daylight-saving change)."""
    back = wall.astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == wall.replace(tzinfo=None)


def day_slots(config: AppointmentsConfig, day: date, zone: ZoneInfo) -> list[datetime]:
    """The starts (in UTC) of every slot ``day`` has by its weekday's hours, in local time.

    Slots follow the wall clock: on a daylight-saving day the 09:00 slot is still at 09:00
    local time, a local time the change skips has no slot, and a local time that happens twice
    gives one slot (its first occurrence). A slot must end by the hours' end.
    """
    hours = config.hours.get(WEEKDAYS[day.weekday()])
    if hours is None:
        return []
    first, last = hours.split("-")
    open_at = datetime.combine(day, time.fromisoformat(first))
    close_at = (
        datetime.combine(day + timedelta(days=1), time())
        if last == "24:00"
        else datetime.combine(day, time.fromisoformat(last))
    )
    step = timedelta(minutes=config.slot_minutes)
    starts = []
    wall = open_at
    while wall + step <= close_at:
        local = wall.replace(tzinfo=zone, fold=0)
        if _exists(local, zone):
            starts.append(local.astimezone(UTC))
        wall += step
    return starts


def bookable_days(
    config: AppointmentsConfig, closed_days: Iterable[date], today: date
) -> list[date]:
    """Days from ``today`` to ``days_ahead`` later with opening hours, not closed."""
    closed = set(closed_days)
    days = (today + timedelta(days=n) for n in range(config.days_ahead + 1))
    return [day for day in days if day not in closed and WEEKDAYS[day.weekday()] in config.hours]


@dataclass(frozen=True, slots=True)
class FreeSlot:
    start: datetime
    end: datetime
    free: int


def free_slots(
    config: AppointmentsConfig,
    day: date,
    zone: ZoneInfo,
    now: datetime,
    closed_days: Iterable[date],
    today: date,
    booked: Iterable[datetime],
) -> list[FreeSlot]:
    """The slots of ``day`` a citizen can still book at ``now``: a bookable day, not started
    yet, with places left once ``booked`` (the starts of live bookings) are counted."""
    if day not in bookable_days(config, closed_days, today):
        return []
    taken = Counter(start.astimezone(UTC) for start in booked)
    length = timedelta(minutes=config.slot_minutes)
    return [
        FreeSlot(start, start + length, config.per_slot - taken[start])
        for start in day_slots(config, day, zone)
        if start > now and taken[start] < config.per_slot
    ]


class SlotRefusal(StrEnum):
    """Why a time cannot be booked: ``NOT_A_SLOT`` is the request's mistake, the rest the
    state of the calendar."""

    NOT_A_SLOT = "not_a_slot"
    CLOSED = "closed"
    OUT_OF_RANGE = "out_of_range"
    PAST = "past"
    FULL = "full"


def refuse_slot(
    config: AppointmentsConfig,
    start: datetime,
    zone: ZoneInfo,
    now: datetime,
    closed_days: Iterable[date],
    today: date,
    booked_at_start: int,
) -> SlotRefusal | None:
    """None when ``start`` may be booked now (``booked_at_start`` live bookings hold it),
    else why not."""
    day = start.astimezone(zone).date()
    if start.astimezone(UTC) not in day_slots(config, day, zone):
        return SlotRefusal.NOT_A_SLOT
    if day in set(closed_days):
        return SlotRefusal.CLOSED
    if not today <= day <= today + timedelta(days=config.days_ahead):
        return SlotRefusal.OUT_OF_RANGE
    if start <= now:
        return SlotRefusal.PAST
    if booked_at_start >= config.per_slot:
        return SlotRefusal.FULL
    return None


# Check-in -------------------------------------------------------------------------------


class Arrival(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


@dataclass(frozen=True, slots=True)
class CheckInWindow:
    """When a booking at ``start`` may check in: from ``opens`` to ``closes``, both included."""

    opens: datetime
    closes: datetime

    def arrival(self, now: datetime) -> Arrival:
        """Early (come back at ``opens``), on time, or late (an ordinary ticket instead)."""
        if now < self.opens:
            return Arrival.EARLY
        if now > self.closes:
            return Arrival.LATE
        return Arrival.ON_TIME


def check_in_window(start: datetime, early_minutes: int, late_minutes: int) -> CheckInWindow:
    """The window of the branch policy's ``appointment_early_minutes`` / ``_late_minutes``."""
    return CheckInWindow(
        start - timedelta(minutes=early_minutes), start + timedelta(minutes=late_minutes)
    )


def current_status(
    appointment: AppointmentRecord, now: datetime, late_minutes: int
) -> BookingStatus:
    """The status as of ``now``: a booking never checked in by the end of its late window is a
    no-show, whether or not housekeeping has written that down yet."""
    if appointment.status is BookingStatus.BOOKED and now > appointment.start + timedelta(
        minutes=late_minutes
    ):
        return BookingStatus.NO_SHOW
    return appointment.status


def checked_in(appointment: AppointmentRecord, ticket_id: str) -> AppointmentRecord:
    """The booking turned into the ticket ``ticket_id``."""
    return replace(appointment, status=BookingStatus.CHECKED_IN, ticket_id=ticket_id)


def can_check_in(status: BookingStatus) -> bool:
    """Booked, or a no-show that came after all (late: an ordinary ticket)."""
    return status in (BookingStatus.BOOKED, BookingStatus.NO_SHOW)


def can_cancel(status: BookingStatus) -> bool:
    """Only a booking nobody has used yet can be cancelled."""
    return status is BookingStatus.BOOKED


def could_be_appointment_id(text: str) -> bool:
    """Whether ``text`` has the shape of a ``new_appointment_id``."""
    return APPOINTMENT_ID.fullmatch(text) is not None
