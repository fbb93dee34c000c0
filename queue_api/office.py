"""The office's use cases: each API call as one store transaction applying the engine's rules.

It turns store records into wire models and hands committed events to the event hub. The
server only adds HTTP (auth, status codes) on top.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Protocol, TypeVar

from queue_api import engine
from queue_api.config import BranchConfig, CounterConfig, OfficeConfig, ServiceConfig
from queue_api.engine import BranchClock, CounterRecord, RuleViolation, TicketRecord
from queue_api.estimate import Estimate
from queue_api.schema import (
    Alert,
    AlertIn,
    Board,
    Branch,
    Call,
    Counter,
    CounterState,
    EventData,
    EventType,
    IssueTicket,
    KpiAlert,
    Queue,
    ReportedAlert,
    Service,
    ServiceQueue,
    StandingAlerts,
    Stats,
    Ticket,
    TicketStatus,
)
from queue_api.stats import branch_stats
from queue_api.store import ReadTx, Store, StoredEvent, WriteTx
from queue_api.waits import Waits

log = logging.getLogger("turnero.office")

IDEMPOTENCY_WINDOW = timedelta(hours=24)
BOARD_CALLS = 10

__all__ = ["Conflict", "NotFound", "Office", "RuleViolation"]


class NotFound(Exception):
    """Unknown branch, service, counter or ticket."""


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_Found = TypeVar("_Found")


def _found(found: _Found | None, among: Iterable[_HasId], missing: str) -> _Found:
    """``found``, else NotFound: ``missing`` followed by the ids of ``among`` (the known ones)."""
    if found is None:
        raise NotFound(missing + ", ".join(item.id for item in among))
    return found


class Conflict(Exception):
    """The request clashes with the current state (engine rules, idempotency misuse)."""


class EventSink(Protocol):
    def publish(self, events: Sequence[StoredEvent]) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass
class Desk:
    """One counter's write transaction (``Office._desk``): where it is, its moment, and the
    events it announces, published once it commits."""

    office: Office
    tx: WriteTx
    branch: BranchConfig
    counter: CounterConfig
    now: datetime
    events: list[StoredEvent] = field(default_factory=list)

    def today(self) -> date:
        """The business day the branch runs on."""
        return self.office._day(self.tx, self.branch.id, self.now)

    def record(self) -> CounterRecord:
        """The counter's stored state (closed if it was never opened)."""
        default = CounterRecord(self.branch.id, self.counter.id)
        return self.tx.counters(self.branch.id).get(self.counter.id, default)

    def held(self) -> TicketRecord | None:
        """The ticket at the counter, if any."""
        return self.tx.current_ticket(self.branch.id, self.counter.id)

    def current(self) -> TicketRecord:
        """The ticket at the counter; a RuleViolation if there is none."""
        current = self.held()
        if current is None:
            raise RuleViolation(
                f"counter {self.counter.id} has no current ticket: call the next one"
            )
        return current

    def open(self) -> CounterRecord:
        """The counter's record, opened (and announced) first if it is not open today."""
        record = self.record()
        today = self.today()
        if engine.counter_state(record, today) is not CounterState.OPEN:
            record = engine.change_counter(record, CounterState.OPEN, None, today)
            self.tx.save_counter(record)
            self.announce_counter()
        return record

    def announce(self, type: EventType, ticket: TicketRecord) -> Ticket:
        """Record a ``ticket`` event at this counter; the ticket as the event carries it."""
        event = self.office._event(
            self.tx, self.branch, type, self.now, ticket=ticket, counter=self.counter
        )
        self.events.append(event)
        return Ticket.model_validate(event.data["ticket"])

    def announce_counter(self) -> None:
        """Record a ``counter.updated`` event with the counter's new state."""
        self.events.append(
            self.office._event(
                self.tx, self.branch, EventType.COUNTER_UPDATED, self.now, counter=self.counter
            )
        )


class Office:
    """Every use case of API.md over one store."""

    def __init__(
        self,
        config: OfficeConfig,
        store: Store,
        events: EventSink | None = None,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.store = store
        self.events = events
        self.clock = clock
        # Real time, which no one can step: it tells a stepped wall clock from time passing.
        self.monotonic = monotonic
        self._time_lock = threading.Lock()
        self._last_reading: tuple[datetime, float] | None = None
        # Kept in memory only: a server restarted while its clock is a day ahead trusts it.
        self._hold: engine.DayHold | None = None
        # Each branch's waiting-time forecast, made again when something real changes.
        # The estimate simulates counters calling as the branch's policy has them call.
        self._waits = Waits(rank=lambda branch: engine.policy_rank(branch.policy))

    def _now(self) -> datetime:
        """The wall clock's now; a step since the last reading is logged once, with its size,
        and a forward one that skips into a later day holds the business day (``hold_day``)."""
        with self._time_lock:
            reading = (self.clock(), self.monotonic())
            step = None
            if self._last_reading is not None:
                step = engine.clock_step(self._last_reading, reading)
            self._last_reading = reading
            if step is None and self._hold is None:
                return reading[0]
            hold = engine.hold_day(self._hold, step, reading[0], self.config.zone)
            if step is not None:
                held = (
                    f"; the business day stays {hold.day} until real time reaches the next one"
                    if hold
                    else ""
                )
                log.warning(
                    "the system clock was stepped %s by %.3f s (%s), now %s; the queue keeps "
                    "its arrival order%s",
                    "forward" if step > timedelta(0) else "back",
                    abs(step.total_seconds()),
                    abs(step),
                    iso(reading[0]),
                    held,
                )
            self._hold = hold
            return reading[0]

    # Lookups ---------------------------------------------------------------------------

    def branch_config(self, branch_id: str) -> BranchConfig:
        """The configured branch, or NotFound naming the known ones."""
        missing = f"there is no branch {branch_id!r}; known branches: "
        return _found(self.config.branch(branch_id), self.config.branches, missing)

    def _service(self, branch: BranchConfig, service_id: str) -> ServiceConfig:
        missing = f"branch {branch.id} has no service {service_id!r}; it has: "
        return _found(branch.service(service_id), branch.services, missing)

    def _counter(self, branch: BranchConfig, counter_id: str) -> CounterConfig:
        missing = f"branch {branch.id} has no counter {counter_id!r}; it has: "
        return _found(branch.counter(counter_id), branch.counters, missing)

    def today(self, now: datetime | None = None) -> date:
        """The business day the clock gives at ``now`` (default: the clock's now), not counting
        the later day a forward step skipped into (``engine.hold_day``); a branch never goes back
        from its stored day (``_day``)."""
        now = now or self._now()
        day = engine.business_day(now, self.config.zone)
        hold = self._hold
        return min(day, hold.day) if hold is not None else day

    def _day(self, tx: ReadTx, branch_id: str, now: datetime | None = None) -> date:
        """The business day ``branch_id`` runs on: the clock's, never before the stored one."""
        return engine.branch_day(self.today(now), tx.branch_clock(branch_id))

    # Wire views ------------------------------------------------------------------------

    def _ticket_view(
        self, tx: ReadTx, ticket: TicketRecord, waiting: Sequence[TicketRecord] | None = None
    ) -> Ticket:
        view = Ticket.model_validate(ticket, from_attributes=True)
        if ticket.status is not TicketStatus.WAITING or ticket.day != self._day(tx, ticket.branch):
            return view
        if waiting is None:
            # Counted by the database: loading the whole queue on every issue made issuing
            # slow down as the day's queue grew (scripts/bench_api.py).
            ahead = tx.waiting_ahead(ticket)
        else:
            ahead = engine.people_ahead(ticket, waiting)
        estimate = self._estimate(tx, ticket)
        return view.model_copy(
            update={
                "ahead": ahead,
                "ewt_seconds": estimate.seconds if estimate else None,
                "ewt_range_seconds": estimate.range if estimate else None,
            }
        )

    def _estimate(self, tx: ReadTx, ticket: TicketRecord) -> Estimate | None:
        """The waiting ``ticket``'s estimate (``queue_api.estimate``), None for another branch's."""
        branch = self.config.branch(ticket.branch)
        if branch is None:
            return None
        return self._waits.estimate(tx, branch, self._day(tx, branch.id), self._now(), ticket)

    def _counter_view(
        self,
        tx: ReadTx,
        branch: BranchConfig,
        counter: CounterConfig,
        records: dict[str, CounterRecord] | None = None,
    ) -> Counter:
        records = tx.counters(branch.id) if records is None else records
        record = records.get(counter.id, CounterRecord(branch=branch.id, id=counter.id))
        current = tx.current_ticket(branch.id, counter.id)
        return Counter(
            **counter.model_dump(),
            state=engine.counter_state(record, self._day(tx, branch.id)),
            current=self._ticket_view(tx, current) if current else None,
        )

    @staticmethod
    def _service_view(service: ServiceConfig) -> Service:
        return Service.model_validate(
            {
                **service.model_dump(exclude={"appointments"}),
                "appointments": service.appointments is not None,
                "alert_wait_minutes": service.alert_wait_minutes or None,
                "alert_waiting": service.alert_waiting or None,
            }
        )

    def branch(self, branch_id: str) -> Branch:
        """The branch with its services and its counters' current state."""
        branch = self.branch_config(branch_id)
        with self.store.read() as tx:
            records = tx.counters(branch.id)
            counters = [self._counter_view(tx, branch, c, records) for c in branch.counters]
        return Branch(
            id=branch.id,
            name=branch.name,
            services=[self._service_view(s) for s in branch.services],
            counters=counters,
        )

    def _queue(self, tx: ReadTx, branch: BranchConfig) -> list[ServiceQueue]:
        now = self._now()
        day = self._day(tx, branch.id, now)
        waiting = tx.tickets_of_day(branch.id, day, ["waiting"])
        new = self._waits.for_new(tx, branch, day, now, [s.id for s in branch.services])
        result = []
        for service in branch.services:
            mine = [t for t in waiting if t.service == service.id]
            oldest = min(mine, key=lambda t: t.queue_at, default=None)
            result.append(
                ServiceQueue(
                    service=service.id,
                    waiting=len(mine),
                    ewt_seconds=new[service.id].seconds,
                    ewt_range_seconds=new[service.id].range,
                    longest_wait_seconds=(
                        int(engine.wait_seconds(oldest, now)) if oldest else None
                    ),
                )
            )
        return result

    def queue(self, branch_id: str) -> Queue:
        """Per service: waiting count, estimated wait and longest wait."""
        branch = self.branch_config(branch_id)
        with self.store.read() as tx:
            return Queue(branch=branch.id, services=self._queue(tx, branch))

    def board(self, branch_id: str) -> Board:
        """What the lobby shows: counters, the last calls, waiting counts."""
        branch = self.branch_config(branch_id)
        with self.store.read() as tx:
            records = tx.counters(branch.id)
            labels = {c.id: c.label for c in branch.counters}
            calls = []
            for event in tx.calls(branch.id, BOARD_CALLS):
                ticket = event.data["ticket"]
                calls.append(
                    Call(
                        event_id=event.id,
                        number=ticket["number"],
                        service=ticket["service"],
                        counter=ticket["counter"],
                        counter_label=labels.get(ticket["counter"], ticket["counter"]),
                        recall=event.type is EventType.TICKET_RECALLED,
                        at=datetime.fromisoformat(event.data["at"]),
                    )
                )
            return Board(
                branch=branch.id,
                name=branch.name,
                counters=[self._counter_view(tx, branch, c, records) for c in branch.counters],
                calls=calls,
                waiting=self._queue(tx, branch),
                last_event_id=tx.last_event_id(branch.id),
            )

    def counter(self, branch_id: str, counter_id: str) -> Counter:
        """One counter's state, services and current ticket."""
        branch = self.branch_config(branch_id)
        counter = self._counter(branch, counter_id)
        with self.store.read() as tx:
            return self._counter_view(tx, branch, counter)

    def stats(self, branch_id: str) -> Stats:
        """Today's KPIs per service and per counter."""
        branch = self.branch_config(branch_id)
        with self.store.read() as tx:
            today = self._day(tx, branch.id)
            tickets = tx.tickets_of_day(branch.id, today)
        return branch_stats(branch, today, tickets)

    # Actions ---------------------------------------------------------------------------

    def _publish(self, events: list[StoredEvent]) -> None:
        if self.events is not None and events:
            self.events.publish(events)

    def _event(
        self,
        tx: WriteTx,
        branch: BranchConfig,
        type: EventType,
        now: datetime,
        *,
        ticket: TicketRecord | None = None,
        counter: CounterConfig | None = None,
        alert: Alert | None = None,
    ) -> StoredEvent:
        data = EventData(
            ticket=self._ticket_view(tx, ticket) if ticket is not None else None,
            counter=self._counter_view(tx, branch, counter) if counter is not None else None,
            alert=alert,
            at=now,
        )
        return tx.append_event(branch.id, type, data.wire())

    def _new_in_line(
        self,
        tx: WriteTx,
        branch: BranchConfig,
        service: ServiceConfig,
        now: datetime,
        *,
        language: str,
        priority: bool = False,
        channel: str = "kiosk",
        booked: datetime | None = None,
        appointment_at: datetime | None = None,
    ) -> TicketRecord:
        """A new ticket with the branch's next number of ``service``, stored and in line. A
        walk-in's queue time is now, made monotonic (the branch clock moves on to it); a
        booking's is ``booked``, its booked time, and the clock stays: walk-ins after it keep
        their own order."""
        clock = tx.branch_clock(branch.id)
        today = engine.branch_day(self.today(now), clock)
        if booked is None:
            queue_at = reached = engine.next_queue_at(now, clock)
        else:
            queue_at, reached = booked, clock.queue_at if clock is not None else now
        ticket = engine.new_ticket(
            branch=branch.id,
            service=service.id,
            prefix=service.prefix,
            sequence=tx.next_sequence(branch.id, service.id, today),
            day=today,
            priority=priority,
            language=language,
            now=now,
            queue_at=queue_at,
        )
        ticket = replace(ticket, channel=channel, appointment_at=appointment_at)
        tx.save_branch_clock(BranchClock(branch.id, today, reached))
        tx.insert_ticket(ticket)
        return ticket

    def issue(
        self,
        branch_id: str,
        request: IssueTicket,
        key: str,
        admit: Callable[[], None] = lambda: None,
    ) -> tuple[Ticket, bool]:
        """Issue a ticket, or return the one this idempotency key already issued (created=False).

        ``admit`` runs only before a new ticket is made, and raises to refuse it."""
        branch = self.branch_config(branch_id)
        service = self._service(branch, request.service)
        fingerprint = json.dumps(request.model_dump(mode="json"), sort_keys=True)
        now = self._now()
        events: list[StoredEvent] = []
        with self.store.write() as tx:
            tx.on_commit(lambda: self._publish(events))
            seen = tx.idempotent_issue(branch.id, key)
            if seen is not None and now - seen.created_at < IDEMPOTENCY_WINDOW:
                if seen.request != fingerprint:
                    raise Conflict(
                        "this Idempotency-Key was already used for a different request: "
                        "create a new key for each ticket"
                    )
                existing = tx.ticket(seen.ticket_id)
                if existing is not None:
                    return self._ticket_view(tx, existing), False
            admit()
            if not service.open:
                raise Conflict(f"service {service.id} is closed today: no tickets are issued")
            if request.priority and not service.priority_allowed:
                raise Conflict(f"service {service.id} has no priority line: issue without it")
            ticket = self._new_in_line(
                tx, branch, service, now, language=request.language, priority=request.priority
            )
            tx.remember_issue(branch.id, key, ticket.id, fingerprint, now)
            events.append(self._event(tx, branch, EventType.TICKET_ISSUED, now, ticket=ticket))
            self._waits.noted(branch.id, ticket.id, events[-1].id)
        return Ticket.model_validate(events[0].data["ticket"]), True

    @contextmanager
    def _desk(self, branch_id: str, counter_id: str) -> Iterator[Desk]:
        """One write transaction at a counter: its events go to the hub once it commits, and a
        broken queue rule becomes a Conflict (409) that says what to do instead."""
        branch = self.branch_config(branch_id)
        counter = self._counter(branch, counter_id)
        now = self._now()
        try:
            with self.store.write() as tx:
                desk = Desk(self, tx, branch, counter, now)
                tx.on_commit(lambda: self._publish(desk.events))
                yield desk
        except RuleViolation as exc:
            raise Conflict(str(exc)) from None

    def _ticket_change(
        self,
        branch_id: str,
        counter_id: str,
        change: Callable[[TicketRecord, datetime], TicketRecord],
        type: EventType,
    ) -> Ticket:
        with self._desk(branch_id, counter_id) as desk:
            ticket = change(desk.current(), desk.now)
            desk.tx.update_ticket(ticket)
            return desk.announce(type, ticket)

    def call_next(self, branch_id: str, counter_id: str) -> Ticket | None:
        """Finish the counter's current ticket, then call the next waiting one (None if none)."""
        with self._desk(branch_id, counter_id) as desk:
            record = desk.open()
            current = desk.held()
            if current is not None:
                done = engine.finish(current, desk.now)
                desk.tx.update_ticket(done)
                desk.announce(EventType.TICKET_COMPLETED, done)
            services, here = desk.counter.services, desk.counter.id
            waiting = desk.tx.line_heads_for_update(desk.branch.id, desk.today(), services, here)
            chosen = engine.choose_next(waiting, services, desk.branch.policy, desk.now, here)
            if chosen is None:
                return None
            called = engine.call(chosen.ticket, desk.counter.id, desk.now, record.clerk)
            desk.tx.update_ticket(called)
            return desk.announce(EventType.TICKET_CALLED, called).model_copy(
                update={"why": chosen.why}
            )

    def recall(self, branch_id: str, counter_id: str) -> Ticket:
        """Call the counter's current ticket again."""
        return self._ticket_change(branch_id, counter_id, engine.recall, EventType.TICKET_RECALLED)

    def start(self, branch_id: str, counter_id: str) -> Ticket:
        """The counter starts serving its called ticket."""
        return self._ticket_change(branch_id, counter_id, engine.start, EventType.TICKET_STARTED)

    def finish(self, branch_id: str, counter_id: str) -> Ticket:
        """The counter's current ticket is done."""
        return self._ticket_change(branch_id, counter_id, engine.finish, EventType.TICKET_COMPLETED)

    def no_show(self, branch_id: str, counter_id: str) -> Ticket:
        """The counter's called ticket never came."""
        return self._ticket_change(branch_id, counter_id, engine.no_show, EventType.TICKET_NO_SHOW)

    def transfer(self, branch_id: str, counter_id: str, service_id: str) -> Ticket:
        """Put the counter's current ticket back to waiting in ``service_id``."""
        service = self._service(self.branch_config(branch_id), service_id)

        def move(ticket: TicketRecord, now: datetime) -> TicketRecord:
            return engine.transfer(ticket, service.id)

        return self._ticket_change(branch_id, counter_id, move, EventType.TICKET_TRANSFERRED)

    def set_counter_state(
        self, branch_id: str, counter_id: str, target: CounterState, clerk: str | None = None
    ) -> Counter:
        """Open (naming its ``clerk``), pause or close a counter; Conflict while it holds one."""
        with self._desk(branch_id, counter_id) as desk:
            record, today = desk.record(), desk.today()
            current = desk.held()
            changed = engine.change_counter(record, target, current, today, clerk)
            if engine.counter_state(record, today) is not target:
                desk.tx.save_counter(changed)
                desk.announce_counter()
            elif changed.clerk != record.clerk:
                desk.tx.save_counter(changed)  # a new clerk at an open desk: nothing to announce
            return self._counter_view(desk.tx, desk.branch, desk.counter)

    def alert(self, branch_id: str, role: str, alert: AlertIn) -> Alert:
        """Record a device fault and send it to the branch as a ``device.alert`` event."""
        branch = self.branch_config(branch_id)
        now = self._now()
        body = Alert(branch=branch.id, role=role, **alert.model_dump())
        with self.store.write() as tx:
            event = self._event(
                tx,
                branch,
                EventType.DEVICE_ALERT,
                now,
                alert=body,
            )
            tx.on_commit(lambda: self._publish([event]))
        return body

    def standing_alerts(self, branch_id: str) -> StandingAlerts:
        """The device faults reported and not cleared while the event log holds them."""
        branch = self.branch_config(branch_id)
        with self.store.read() as tx:
            events = tx.alerts(branch.id)
            last = tx.last_event_id(branch.id)
            kpi = tx.kpi_alerts(branch.id)
        reports = [ReportedAlert.from_event(event.id, event.data) for event in events]
        return StandingAlerts(
            branch=branch.id,
            alerts=engine.standing_alerts(reports),
            last_event_id=last,
            kpi_alerts=[KpiAlert.model_validate(state, from_attributes=True) for state in kpi],
        )

    def close_past_days(self) -> int:
        """Cancel tickets left unfinished when their business day ended; return how many.

        The day ends when real time reaches the next: a clock jumped ahead into a later day does
        not end it (``engine.hold_day``), and a clock stepped back does not reopen it.
        """
        now = self._now()
        cancelled = 0
        for branch in self.config.branches:
            events: list[StoredEvent] = []
            with self.store.write() as tx:
                tx.on_commit(partial(self._publish, events))
                clock = tx.branch_clock(branch.id)
                today = engine.branch_day(self.today(now), clock)
                if clock is None or clock.day < today:
                    # Kept, so that a clock stepped back over midnight cannot take the branch
                    # into the day just ended (its numbers would be given again).
                    tx.save_branch_clock(
                        BranchClock(branch.id, today, clock.queue_at if clock else now)
                    )
                for ticket in tx.unfinished_before(branch.id, today):
                    ended = engine.cancel(ticket, now)
                    tx.update_ticket(ended)
                    counter = branch.counter(ticket.counter) if ticket.counter else None
                    events.append(
                        self._event(
                            tx,
                            branch,
                            EventType.TICKET_CANCELLED,
                            now,
                            ticket=ended,
                            counter=counter,
                        )
                    )
            cancelled += len(events)
        return cancelled

    def prune(self) -> None:
        """Forget idempotency keys past their window and events older than two days."""
        self.store.prune(self._now() - max(IDEMPOTENCY_WINDOW, timedelta(days=2)))
