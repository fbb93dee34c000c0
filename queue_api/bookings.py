"""Appointments' use cases (API.md v1 additions): free slots, booking, cancelling, the day's
bookings, and check-in at the kiosk, each one store transaction applying ``queue_api.slots``.

Beside ``queue_api.office``, over the same ``Office`` (its store, clock and event hub).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from queue_api import engine, slots
from queue_api.config import AppointmentsConfig, BranchConfig, ServiceConfig
from queue_api.office import IDEMPOTENCY_WINDOW, Conflict, NotFound, Office
from queue_api.schema import (
    Appointment,
    BookAppointment,
    CheckedIn,
    EventType,
    Slot,
    Slots,
    Ticket,
)
from queue_api.slots import AppointmentRecord, Arrival, BookingStatus
from queue_api.store import ReadTx, StoredEvent

log = logging.getLogger("turnero.bookings")

LIVE = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN)
"""Bookings that hold their place in a slot (a no-show's slot is past anyway)."""

UNKNOWN_CODE = "no booking has this code: check it, or book at /b/{branch}/book"


class InvalidBooking(Exception):
    """The request names no slot of the service (a 422: read /slots first)."""


class CheckInRefused(Conflict):
    """A check-in that issues nothing: ``reason`` is ``early`` (then ``come_back_at``),
    ``cancelled``, ``checked_in`` or ``closed``."""

    def __init__(self, message: str, reason: str, come_back_at: datetime | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.come_back_at = come_back_at


def local_day_bounds(day: date, office: Office) -> tuple[datetime, datetime]:
    """The UTC instants a local calendar ``day`` of the office starts and ends."""
    zone = office.config.zone
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


class Bookings:
    """Every appointment call of API.md over an ``Office``."""

    def __init__(self, office: Office) -> None:
        self.office = office

    # Lookups ---------------------------------------------------------------------------

    def bookable(self, branch_id: str, service_id: str) -> tuple[BranchConfig, ServiceConfig]:
        """The branch and its service that takes appointments; NotFound or Conflict else."""
        branch = self.office.branch_config(branch_id)
        service = self.office._service(branch, service_id)
        if service.appointments is None:
            taking = [s.id for s in branch.services if s.appointments is not None]
            raise Conflict(
                f"service {service.id} takes no appointments; "
                + (f"these do: {', '.join(taking)}" if taking else "no service of this branch does")
            )
        return branch, service

    @staticmethod
    def _calendar(service: ServiceConfig) -> AppointmentsConfig:
        assert service.appointments is not None  # bookable() checked it
        return service.appointments

    def _view(
        self, record: AppointmentRecord, now: datetime, *, with_code: bool = True
    ) -> Appointment:
        branch = self.office.config.branch(record.branch)
        service = branch.service(record.service) if branch else None
        policy = branch.policy if branch else None
        late = policy.appointment_late_minutes if policy else 0
        window = slots.check_in_window(
            record.start, policy.appointment_early_minutes if policy else 0, late
        )
        length = service.appointments.slot_minutes if service and service.appointments else None
        status = slots.current_status(record, now, late)
        return Appointment(
            id=record.id,
            code=record.code if with_code else None,
            branch=record.branch,
            service=record.service,
            start=record.start,
            end=record.start + timedelta(minutes=length) if length else None,
            status=status.value,
            language=record.language,
            branch_name=branch.name if branch else None,
            service_name=dict(service.name) if service else {},
            ticket_id=record.ticket_id,
            check_in_from=window.opens,
            check_in_until=window.closes,
            late=status is BookingStatus.BOOKED and now > record.start,
        )

    def _booked_starts(
        self, tx: ReadTx, branch: str, service: str, start: datetime, end: datetime
    ) -> list[datetime]:
        return [
            a.start
            for a in tx.appointments_between(branch, start, end, service)
            if a.status in LIVE
        ]

    # Reads -----------------------------------------------------------------------------

    def slots(self, branch_id: str, service_id: str, day: date) -> Slots:
        """The slots of ``day`` that can still be booked, with the places left in each."""
        branch, service = self.bookable(branch_id, service_id)
        calendar = self._calendar(service)
        now = self.office._now()
        begin, end = local_day_bounds(day, self.office)
        with self.office.store.read() as tx:
            booked = self._booked_starts(tx, branch.id, service.id, begin, end)
        free = slots.free_slots(
            calendar,
            day,
            self.office.config.zone,
            now,
            branch.closed_days,
            self.office.today(now),
            booked,
        )
        return Slots(
            branch=branch.id,
            service=service.id,
            date=day.isoformat(),
            slot_minutes=calendar.slot_minutes,
            slots=[Slot(start=s.start, end=s.end, free=s.free) for s in free],
        )

    def open_days(self, branch_id: str, service_id: str) -> list[date]:
        """The days from today on with at least one slot left to book."""
        branch, service = self.bookable(branch_id, service_id)
        calendar = self._calendar(service)
        now = self.office._now()
        today = self.office.today(now)
        days = slots.bookable_days(calendar, branch.closed_days, today)
        if not days:
            return []
        begin = local_day_bounds(days[0], self.office)[0]
        end = local_day_bounds(days[-1], self.office)[1]
        with self.office.store.read() as tx:
            booked = self._booked_starts(tx, branch.id, service.id, begin, end)
        zone = self.office.config.zone
        return [
            day
            for day in days
            if slots.free_slots(calendar, day, zone, now, branch.closed_days, today, booked)
        ]

    def appointment(self, appointment_id: str) -> Appointment:
        """The booking's public view; NotFound if no booking has this id."""
        now = self.office._now()
        with self.office.store.read() as tx:
            record = (
                tx.appointment(appointment_id)
                if slots.could_be_appointment_id(appointment_id)
                else None
            )
        if record is None:
            raise NotFound("no booking has this id: check the link")
        return self._view(record, now)

    def of_day(self, branch_id: str, day: date) -> list[Appointment]:
        """The bookings of ``day`` in the branch, by start, without their codes."""
        branch = self.office.branch_config(branch_id)
        now = self.office._now()
        begin, end = local_day_bounds(day, self.office)
        with self.office.store.read() as tx:
            records = tx.appointments_between(branch.id, begin, end)
        return [self._view(record, now, with_code=False) for record in records]

    # Writes ----------------------------------------------------------------------------

    def book(self, branch_id: str, request: BookAppointment) -> Appointment:
        """Book a place in a free slot; Conflict when it is full or cannot be booked now."""
        branch, service = self.bookable(branch_id, request.service)
        calendar = self._calendar(service)
        if request.start.tzinfo is None:
            raise InvalidBooking(
                "start: give the slot's time with its UTC offset, as /slots lists it"
            )
        start = request.start.astimezone(UTC)
        now = self.office._now()
        zone = self.office.config.zone
        with self.office.store.write() as tx:
            # Counted inside the write transaction, which holds the branch: no other booking
            # of this branch can come in between (SQLite: BEGIN IMMEDIATE; PostgreSQL: the
            # branch's lock row).
            taken = self._booked_starts(tx, branch.id, service.id, start, start + engine.QUEUE_TICK)
            refusal = slots.refuse_slot(
                calendar,
                start,
                zone,
                now,
                branch.closed_days,
                self.office.today(now),
                len(taken),
            )
            if refusal is slots.SlotRefusal.NOT_A_SLOT:
                raise InvalidBooking(
                    f"start: {start.isoformat()} is not a slot of {service.id}: pick one"
                    f" from /api/v1/branches/{branch.id}/slots?service={service.id}&date=..."
                )
            if refusal is not None:
                raise Conflict(_REFUSALS[refusal])
            code = slots.new_code()
            while tx.appointment_by_code(branch.id, code) is not None:
                code = slots.new_code()
            record = AppointmentRecord(
                id=slots.new_appointment_id(),
                branch=branch.id,
                code=code,
                service=service.id,
                start=start,
                language=request.language,
                status=BookingStatus.BOOKED,
                created_at=now,
            )
            tx.insert_appointment(record)
        log.info("appointment booked: %s %s at %s", branch.id, service.id, start.isoformat())
        return self._view(record, now)

    def cancel(self, appointment_id: str) -> Appointment:
        """Cancel a booking not checked in (again: the same answer); Conflict otherwise."""
        now = self.office._now()
        if not slots.could_be_appointment_id(appointment_id):
            raise NotFound("no booking has this id: check the link")
        with self.office.store.write() as tx:
            record = tx.appointment(appointment_id)
            if record is None:
                raise NotFound("no booking has this id: check the link")
            branch = self.office.branch_config(record.branch)
            status = slots.current_status(record, now, branch.policy.appointment_late_minutes)
            if status is BookingStatus.CHECKED_IN:
                raise Conflict("this booking was already checked in: its ticket stands")
            if status is BookingStatus.NO_SHOW:
                raise Conflict("this booking's time has passed: there is nothing to cancel")
            if status is BookingStatus.BOOKED:
                record = replace(record, status=BookingStatus.CANCELLED)
                tx.update_appointment(record)
        return self._view(record, now)

    def check_in(self, branch_id: str, code_text: str, key: str | None = None) -> CheckedIn:
        """Turn the booking with this code into a ticket (a walk-in one when late).

        NotFound for an unknown code; CheckInRefused when early (saying when to come back),
        cancelled or already checked in. With ``key``, a retry returns the same ticket.
        """
        branch = self.office.branch_config(branch_id)
        code = slots.normalize_code(code_text)
        if code is None:
            raise NotFound(UNKNOWN_CODE.format(branch=branch.id))
        now = self.office._now()
        events: list[StoredEvent] = []
        with self.office.store.write() as tx:
            tx.on_commit(lambda: self.office._publish(events))
            replayed = self._replay(tx, branch, key, code, now)
            if replayed is not None:
                return replayed
            record = tx.appointment_by_code(branch.id, code)
            if record is None:
                raise NotFound(UNKNOWN_CODE.format(branch=branch.id))
            service = branch.service(record.service)
            if service is None:
                raise Conflict(f"this booking's service {record.service} is no longer offered")
            late = self._arrival(branch, service, record, now) is Arrival.LATE
            if late:
                ticket = self.office._new_in_line(
                    tx, branch, service, now, language=record.language
                )
            else:
                ticket = self.office._new_in_line(
                    tx,
                    branch,
                    service,
                    now,
                    language=record.language,
                    channel="appointment",
                    booked=self._booked_queue_time(tx, record),
                    appointment_at=record.start,
                )
            tx.update_appointment(slots.checked_in(record, ticket.id))
            if key is not None:
                tx.remember_issue(branch.id, key, ticket.id, code, now)
            office = self.office
            events.append(office._event(tx, branch, EventType.TICKET_ISSUED, now, ticket=ticket))
            events.append(
                office._event(tx, branch, EventType.APPOINTMENT_CHECKED_IN, now, ticket=ticket)
            )
        view = Ticket.model_validate(events[0].data["ticket"])
        log.info("appointment checked in%s: %s %s", " late" if late else "", branch.id, view.number)
        return _checked_in(view, late, record.id)

    def _replay(
        self, tx: ReadTx, branch: BranchConfig, key: str | None, code: str, now: datetime
    ) -> CheckedIn | None:
        """The ticket an earlier check-in with this Idempotency-Key made, if any."""
        seen = tx.idempotent_issue(branch.id, key) if key is not None else None
        if seen is None or now - seen.created_at >= IDEMPOTENCY_WINDOW:
            return None
        existing = tx.ticket(seen.ticket_id) if seen.request == code else None
        if existing is None:
            raise Conflict(
                "this Idempotency-Key was already used for another request:"
                " create a new key for each check-in"
            )
        view = self.office._ticket_view(tx, existing)
        return _checked_in(view, existing.channel != "appointment", None)

    def _arrival(
        self,
        branch: BranchConfig,
        service: ServiceConfig,
        record: AppointmentRecord,
        now: datetime,
    ) -> Arrival:
        """On time or late; CheckInRefused when the booking cannot check in now."""
        policy = branch.policy
        status = slots.current_status(record, now, policy.appointment_late_minutes)
        if status is BookingStatus.CANCELLED:
            raise CheckInRefused("this booking was cancelled: take a ticket", "cancelled")
        if status is BookingStatus.CHECKED_IN:
            raise CheckInRefused(
                "this booking was already checked in: its ticket was issued", "checked_in"
            )
        window = slots.check_in_window(
            record.start, policy.appointment_early_minutes, policy.appointment_late_minutes
        )
        arrival = window.arrival(now)
        if arrival is Arrival.EARLY:
            local = window.opens.astimezone(self.office.config.zone)
            raise CheckInRefused(
                f"too early: check in from {local:%H:%M} ({local:%Y-%m-%d})",
                "early",
                come_back_at=window.opens,
            )
        if not service.open:
            raise CheckInRefused(
                f"service {service.id} is closed today: no tickets are issued", "closed"
            )
        return arrival

    @staticmethod
    def _booked_queue_time(tx: ReadTx, record: AppointmentRecord) -> datetime:
        """Its booked time (API.md: an appointment's queue time), after those of the same
        slot who checked in before it."""
        earlier = sum(
            1
            for other in tx.appointments_between(
                record.branch, record.start, record.start + engine.QUEUE_TICK, record.service
            )
            if other.status is BookingStatus.CHECKED_IN
        )
        return record.start + earlier * engine.QUEUE_TICK

    def mark_no_shows(self) -> int:
        """Bookings never checked in by the end of their late window become ``no_show`` in
        the store (reports count them there); how many."""
        now = self.office._now()
        marked = 0
        for branch in self.office.config.branches:
            if not any(s.appointments for s in branch.services):
                continue
            cutoff = now - timedelta(minutes=branch.policy.appointment_late_minutes)
            with self.office.store.write() as tx:
                marked += tx.mark_no_shows(branch.id, cutoff)
        return marked


_REFUSALS = {
    slots.SlotRefusal.CLOSED: "the office takes no appointments that day: pick another day",
    slots.SlotRefusal.OUT_OF_RANGE: "that day cannot be booked yet (or any more): pick a day"
    " from the booking page",
    slots.SlotRefusal.PAST: "that slot has already begun: pick a later one",
    slots.SlotRefusal.FULL: "that slot was just taken: pick another one",
}

LATE_NOTICE = {
    "es": "Llegó después de su cita: este es un turno normal.",
    "en": "You arrived after your appointment: this is an ordinary ticket.",
}


def _checked_in(view: Ticket, late: bool, appointment_id: str | None) -> CheckedIn:
    return CheckedIn(
        **view.model_dump(),
        late=late,
        notice=dict(LATE_NOTICE) if late else None,
        appointment_id=appointment_id,
    )
