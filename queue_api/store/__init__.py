"""Persistence behind one interface: SQLite (embedded default) and PostgreSQL (many servers).

A store hands out transactions. A write transaction is serialised against every other writer
of the same branch (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a lock on the branch's
row of ``branch_log``), and is on disk when it returns. The queue
rules are not here: they live in ``queue_api.engine`` and are applied by ``queue_api.office``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from queue_api.engine import BranchClock, CounterRecord, TicketRecord
from queue_api.reports import ReportQuery, ReportTally
from queue_api.schema import CounterState, EventType
from queue_api.slots import AppointmentRecord
from queue_api.stats import KpiState

log = logging.getLogger(__name__)


class StoreUnavailable(Exception):
    """The database cannot be reached or written (disk full, file locked, server down)."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    branch: str
    type: EventType
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DeviceSeen:
    """When a device last called the server, and the app and version it said it runs."""

    branch: str
    device: str
    app: str | None
    version: str | None
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class IdempotentIssue:
    ticket_id: str
    request: str
    created_at: datetime


class ReadTx(Protocol):
    def ticket(self, ticket_id: str) -> TicketRecord | None: ...

    def tickets_of_day(
        self, branch: str, day: date, statuses: Sequence[str] | None = None
    ) -> list[TicketRecord]: ...

    def current_ticket(self, branch: str, counter: str) -> TicketRecord | None: ...

    def unfinished_before(self, branch: str, day: date) -> list[TicketRecord]:
        """Tickets still waiting, called or being served from business days before ``day``."""
        ...

    def waiting_ahead(self, ticket: TicketRecord) -> int:
        """``engine.people_ahead(ticket, <the day's waiting tickets>)``, counted in the database:
        same service, priority first, then queue time, then id."""
        ...

    def counters(self, branch: str) -> dict[str, CounterRecord]: ...

    def recent_service_seconds(self, branch: str, service: str, limit: int) -> list[float]: ...

    def calls(self, branch: str, limit: int) -> list[StoredEvent]: ...

    def alerts(self, branch: str) -> list[StoredEvent]:
        """The ``device.alert`` events that still count, oldest first: of those the log holds,
        at least the latest per device and part (older ones may be left out; keep it cheap)."""
        ...

    def last_event_id(self, branch: str) -> int: ...

    def idempotent_issue(self, branch: str, key: str) -> IdempotentIssue | None: ...

    def branch_clock(self, branch: str) -> BranchClock | None:
        """The business day and latest queue time ``branch`` reached; None before its first."""
        ...

    def report(self, query: ReportQuery) -> list[ReportTally]:
        """The tallies of a report (``queue_api.reports``), aggregated in the database: one per
        branch and key of ``query.by`` (one in all for ``reports.TOTAL``), in no set order."""
        ...

    def tickets_of_days(self, branch: str, days: Sequence[date]) -> list[TicketRecord]:
        """Every ticket of ``branch`` issued on one of ``days`` (history for staffing, charts)."""
        ...

    def kpi_alerts(self, branch: str) -> list[KpiState]:
        """The KPI alerts that stand in ``branch`` (raised and not cleared), oldest first. In a
        write transaction they stay as read until it commits (the branch's lock)."""
        ...

    def devices_seen(self, branch: str) -> list[DeviceSeen]:
        """When each device of ``branch`` (``*`` for devices of no one branch) last called."""

    def appointment(self, appointment_id: str) -> AppointmentRecord | None: ...

    def appointment_by_code(self, branch: str, code: str) -> AppointmentRecord | None: ...

    def appointments_between(
        self, branch: str, start: datetime, end: datetime, service: str | None = None
    ) -> list[AppointmentRecord]:
        """``branch``'s bookings (any status) starting in [``start``, ``end``), by start."""
        ...

    def channel_tickets(self, branch: str, day: date, service: str, channel: str) -> int:
        """How many tickets of ``service`` were issued on ``day`` through ``channel``."""
        ...

    def feedback(self, branch: str, ticket_id: str) -> FeedbackRecord | None:
        """The feedback given on a ticket, if any."""
        ...

    def feedback_tallies(self, branch: str, first: date, last: date) -> list[FeedbackTally]:
        """Feedback of days ``first`` to ``last`` (both included), counted and summed per day,
        service and counter; ordered by day, service, counter."""
        ...

    def waiting_in_order(self, branch: str, day: date, limit: int) -> list[TicketRecord]:
        """The first ``limit`` waiting tickets of ``day`` across its services, priority first,
        then queue time, then id (what the waiting-time estimate simulates)."""
        ...

    def recent_calls(self, branch: str, day: date, limit: int) -> list[TicketRecord]:
        """The last ``limit`` tickets of ``day`` called to a counter (called, serving, done or
        no-show), newest call first: the desk-time history of the estimate."""
        ...


class WriteTx(ReadTx, Protocol):
    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once committed, before any later writer commits (event order)."""
        ...

    def waiting_for_update(
        self, branch: str, day: date, services: Sequence[str]
    ) -> list[TicketRecord]:
        """The head of each service's line, locked for this transaction: its first waiting ticket
        by priority, queue time and id, the only one of the service ``engine.pick_next`` can
        choose (within one service the counter's service order plays no part)."""
        ...

    def line_heads_for_update(
        self, branch: str, day: date, services: Sequence[str], counter: str
    ) -> list[TicketRecord]:
        """The waiting tickets ``counter`` may call (none sent to another counter) that head a
        line of one service and priority, by queue time, ``returned_at`` (none first) and id:
        the only ones ``engine.choose_next`` can choose under any branch policy."""
        ...

    def next_sequence(self, branch: str, service: str, day: date) -> int: ...

    def save_branch_clock(self, clock: BranchClock) -> None:
        """Store what ``clock.branch``'s clock reached. Read it with ``branch_clock`` in the same
        write transaction, which holds it until commit (PostgreSQL: ``FOR UPDATE``), so two
        issuers never hand out one queue time."""
        ...

    def insert_ticket(self, ticket: TicketRecord) -> None: ...

    def update_ticket(self, ticket: TicketRecord) -> None: ...

    def save_counter(self, counter: CounterRecord) -> None: ...

    def append_event(self, branch: str, type: EventType, data: dict[str, Any]) -> StoredEvent: ...

    def remember_issue(
        self, branch: str, key: str, ticket_id: str, request: str, at: datetime
    ) -> None: ...

    def save_kpi_alert(self, state: KpiState) -> None:
        """Keep a raised KPI alert (one per branch, service and KPI)."""
        ...

    def drop_kpi_alert(self, branch: str, service: str, kpi: str) -> None:
        """Forget a cleared KPI alert."""
        ...

    def save_device_seen(self, seen: DeviceSeen) -> None:
        """Record a device's last call; an older ``seen_at`` than the stored one is ignored."""

    def insert_appointment(self, appointment: AppointmentRecord) -> None:
        """Add a booking. Count the slot's bookings in the same transaction first: the write
        transaction's branch lock is what keeps a slot's capacity (``per_slot``)."""
        ...

    def update_appointment(self, appointment: AppointmentRecord) -> None:
        """Store a booking's new ``status`` and ``ticket_id``."""
        ...

    def mark_no_shows(self, branch: str, started_before: datetime) -> int:
        """Bookings still ``booked`` that started before ``started_before`` become ``no_show``;
        how many."""
        ...

    def insert_feedback(self, feedback: FeedbackRecord) -> bool:
        """Store ``feedback``; False (nothing stored) when its ticket already has some."""
        ...


class EventLog(Protocol):
    def events_after(self, branch: str, after: int, limit: int = 1000) -> list[StoredEvent]:
        """Events of ``branch`` with an id above ``after``, oldest first."""
        ...

    def replay_horizon(self, branch: str) -> int:
        """The highest id pruned from ``branch``'s log: a client behind it needs a resync."""
        ...


class Store(EventLog, Protocol):
    def read(self) -> AbstractContextManager[ReadTx]: ...

    def write(self) -> AbstractContextManager[WriteTx]: ...

    def prune(self, before: datetime) -> None:
        """Drop idempotency keys and events older than ``before``."""
        ...

    def ping(self) -> None:
        """Raise StoreUnavailable if the database cannot answer."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class SharedStore(Store, Protocol):
    """A store other server processes write to as well (PostgreSQL)."""

    def housekeeping_lock(self) -> AbstractContextManager[bool]:
        """True inside the block for the one server that does the housekeeping now."""
        ...

    def wait_for_events(self, timeout: float) -> set[str]:
        """The branches with new events in the log, waiting up to ``timeout`` seconds."""
        ...


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///`` URL, as SQLAlchemy reads it: ``sqlite:///turnero.db`` is
    relative to the working directory, ``sqlite:////var/lib/turnero.db`` is absolute."""
    return Path(url.removeprefix("sqlite:///")).absolute()


def open_store(url: str, owner: str | None = None) -> Store:
    """The store for a ``database`` URL of the server's config; ``owner`` (a running server,
    e.g. its pid and address) keeps any second server off an embedded database."""
    if url.startswith("sqlite:///"):
        from queue_api.store.sqlite import SqliteStore

        path = sqlite_path(url)
        log.info("database: SQLite file %s", path)
        return SqliteStore(path, owner)
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from queue_api.store.postgres import PostgresStore
        except ImportError as exc:
            raise StoreUnavailable(
                f"database {url.split('@')[-1]!r}: PostgreSQL needs psycopg;"
                " install turnero with its postgres extra (pip install 'turnero[postgres]')"
            ) from exc
        where = urlsplit(url)  # never the user or password
        log.info("database: PostgreSQL %s%s", where.hostname or "(local socket)", where.path)
        return PostgresStore(url)
    raise StoreUnavailable(
        f"database {url.split('@')[-1]!r}: expected sqlite:///path or postgresql://..."
    )


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """How a citizen rated a served ticket, kept with the ticket's service, counter and day;
    nothing personal."""

    branch: str
    ticket_id: str
    service: str
    counter: str | None
    day: date
    score: int
    comment: str
    at: datetime


@dataclass(frozen=True, slots=True)
class FeedbackTally:
    """Feedback of one day, service and counter: how many, and the sum of their scores."""

    day: date
    service: str
    counter: str | None
    count: int
    total: int

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0


__all__ = [
    "CounterState",
    "DeviceSeen",
    "EventLog",
    "FeedbackRecord",
    "FeedbackTally",
    "IdempotentIssue",
    "ReadTx",
    "SharedStore",
    "Store",
    "StoreUnavailable",
    "StoredEvent",
    "WriteTx",
    "open_store",
    "sqlite_path",
]
