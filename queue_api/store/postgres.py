"""The shared store: any number of server processes on one PostgreSQL database (psycopg 3).

Every write transaction of a branch first locks that branch's row of ``branch_log`` and draws
its event ids from the row's counter, so a branch's writers run one at a time and its event ids
commit in id order: a reader that has seen id 42 can never meet a 41 committed later (ids from a
sequence could). Writes commit with PostgreSQL's synchronous commit before the answer goes out.
``NOTIFY`` only wakes the other servers; they read the ``events`` table, the truth.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime
from enum import Enum
from typing import Any

import psycopg
import psycopg.errors
from psycopg import sql
from psycopg.rows import dict_row
from pydantic import ValidationError

from queue_api.engine import LINE_PEEK, BranchClock, CounterRecord, TicketRecord, line_head
from queue_api.reports import ReportQuery, ReportTally, with_feedback
from queue_api.schema import Alert, CounterState, EventType, TicketStatus
from queue_api.slots import AppointmentRecord, BookingStatus
from queue_api.stats import KpiState
from queue_api.store import (
    DeviceSeen,
    FeedbackRecord,
    FeedbackTally,
    IdempotentIssue,
    StoredEvent,
    StoreUnavailable,
    postgres_reports,
)

log = logging.getLogger("turnero.store")

SCHEMA_VERSION = 10

# Every table is keyed by branch first, so it can be distributed by ``branch`` (Citus) as is.
# ``tickets_by_id`` is the one index without it: the public ticket page knows only the id.
MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE branch_log (
        branch text COLLATE "C" NOT NULL PRIMARY KEY,
        last_event_id bigint NOT NULL DEFAULT 0,
        pruned_up_to bigint NOT NULL DEFAULT 0
    );
    CREATE TABLE tickets (
        branch text COLLATE "C" NOT NULL,
        id text COLLATE "C" NOT NULL,
        service text COLLATE "C" NOT NULL,
        number text NOT NULL,
        day date NOT NULL,
        priority boolean NOT NULL,
        language text NOT NULL,
        issued_at timestamptz NOT NULL,
        status text NOT NULL,
        called_at timestamptz,
        started_at timestamptz,
        finished_at timestamptz,
        counter text COLLATE "C",
        recalls integer NOT NULL DEFAULT 0,
        clerk text,
        PRIMARY KEY (branch, id)
    );
    CREATE INDEX tickets_by_id ON tickets (id);
    CREATE INDEX tickets_waiting ON tickets (branch, day, service, priority DESC, issued_at, id)
        WHERE status = 'waiting';
    CREATE INDEX tickets_by_day ON tickets (branch, day, status);
    CREATE INDEX tickets_by_counter ON tickets (branch, counter, status);
    CREATE INDEX tickets_done ON tickets (branch, service, status, finished_at);
    CREATE TABLE sequences (
        branch text COLLATE "C" NOT NULL,
        service text COLLATE "C" NOT NULL,
        day date NOT NULL,
        last integer NOT NULL,
        PRIMARY KEY (branch, service, day)
    );
    CREATE TABLE counters (
        branch text COLLATE "C" NOT NULL,
        id text COLLATE "C" NOT NULL,
        state text NOT NULL,
        day date,
        clerk text,
        PRIMARY KEY (branch, id)
    );
    CREATE TABLE events (
        branch text COLLATE "C" NOT NULL,
        id bigint NOT NULL,
        type text NOT NULL,
        data json NOT NULL,
        at timestamptz NOT NULL,
        PRIMARY KEY (branch, id)
    );
    CREATE INDEX events_by_type ON events (branch, type, id);
    CREATE INDEX events_by_age ON events (branch, at);
    CREATE TABLE idempotency (
        branch text COLLATE "C" NOT NULL,
        key text COLLATE "C" NOT NULL,
        ticket_id text NOT NULL,
        request text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (branch, key)
    );
    CREATE INDEX idempotency_by_age ON idempotency (branch, created_at);
    """,
    # The queue is ordered by queue time (engine.next_queue_at), not by the wall clock's issue
    # time; each branch keeps the business day and queue time its clock reached.
    2: """
    ALTER TABLE tickets ADD COLUMN queue_at timestamptz;
    UPDATE tickets SET queue_at = issued_at;
    ALTER TABLE tickets ALTER COLUMN queue_at SET NOT NULL;
    CREATE TABLE branch_clock (
        branch text COLLATE "C" NOT NULL PRIMARY KEY,
        day date NOT NULL,
        queue_at timestamptz NOT NULL
    );
    INSERT INTO branch_clock (branch, day, queue_at)
        SELECT branch, max(day), max(queue_at) FROM tickets GROUP BY branch;
    DROP INDEX tickets_waiting;
    CREATE INDEX tickets_waiting ON tickets (branch, day, service, priority DESC, queue_at, id)
        WHERE status = 'waiting';
    """,
    # The latest device.alert per device and part: standing faults without reading every alert.
    3: """
    CREATE TABLE latest_alerts (
        branch text COLLATE "C" NOT NULL,
        device text COLLATE "C" NOT NULL,
        part text COLLATE "C" NOT NULL,
        event_id bigint NOT NULL,
        PRIMARY KEY (branch, device, part)
    );
    INSERT INTO latest_alerts (branch, device, part, event_id)
    SELECT branch, device, split_part(kind, '.', 1), max(id)
    FROM (SELECT id, branch, data -> 'alert' ->> 'device' AS device,
                 data -> 'alert' ->> 'kind' AS kind
          FROM events WHERE type = 'device.alert') AS alerts
    WHERE device IS NOT NULL AND kind IS NOT NULL
    GROUP BY 1, 2, 3;
    """,
    # /health commits a row here now and then: reads alone pass on a database that takes no
    # writes (read-only, a standby after failover, disk full). One row per server process.
    4: """
    CREATE TABLE write_probe (
        server text COLLATE "C" NOT NULL PRIMARY KEY,
        at timestamptz NOT NULL
    );
    """,
    # API.md v1 additions: how a ticket was taken, its booked time, how its visit ended, and
    # the one counter a transfer sent it to.
    5: """
    ALTER TABLE tickets ADD COLUMN channel text COLLATE "C" NOT NULL DEFAULT 'kiosk';
    ALTER TABLE tickets ADD COLUMN appointment_at timestamptz;
    ALTER TABLE tickets ADD COLUMN outcome text COLLATE "C";
    ALTER TABLE tickets ADD COLUMN for_counter text COLLATE "C";
    """,
    # Appointments (API.md v1 additions): bookable slots, a code to check in with. Nothing
    # about who booked: the id and the code are the only keys to a booking. Like tickets,
    # ``appointments_by_id`` is the one index without the branch: the booking's page knows
    # only the id.
    6: """
    CREATE TABLE appointments (
        branch text COLLATE "C" NOT NULL,
        id text COLLATE "C" NOT NULL,
        code text COLLATE "C" NOT NULL,
        service text COLLATE "C" NOT NULL,
        start timestamptz NOT NULL,
        language text NOT NULL,
        status text COLLATE "C" NOT NULL,
        ticket_id text COLLATE "C",
        created_at timestamptz NOT NULL,
        PRIMARY KEY (branch, id)
    );
    CREATE INDEX appointments_by_id ON appointments (id);
    CREATE UNIQUE INDEX appointments_by_code ON appointments (branch, code);
    CREATE INDEX appointments_by_start ON appointments (branch, start, service, status);
    """,
    # How citizens rated their visit (API.md v1 additions): once per ticket, nothing personal.
    7: """
    CREATE TABLE feedback (
        branch text COLLATE "C" NOT NULL,
        ticket_id text COLLATE "C" NOT NULL,
        service text COLLATE "C" NOT NULL,
        counter text COLLATE "C",
        day date NOT NULL,
        score smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
        comment text NOT NULL,
        at timestamptz NOT NULL,
        PRIMARY KEY (branch, ticket_id)
    );
    CREATE INDEX feedback_by_day ON feedback (branch, day, service, counter);
    CREATE INDEX tickets_by_channel ON tickets (branch, day, service, channel);
    """,
    # The supervisor (issue 17): KPI alerts that stand, so a restart neither repeats nor loses
    # one; and when each device last called, flushed from memory every few seconds.
    8: """
    CREATE TABLE kpi_alerts (
        branch text COLLATE "C" NOT NULL,
        service text COLLATE "C" NOT NULL,
        kpi text COLLATE "C" NOT NULL,
        value double precision NOT NULL,
        threshold double precision NOT NULL,
        since timestamptz NOT NULL,
        PRIMARY KEY (branch, service, kpi)
    );
    CREATE TABLE device_presence (
        branch text COLLATE "C" NOT NULL,
        device text COLLATE "C" NOT NULL,
        app text,
        version text,
        seen_at timestamptz NOT NULL,
        PRIMARY KEY (branch, device)
    );
    """,
    # Reports (GET /api/v1/reports): an index that holds all a report reads.
    9: postgres_reports.MIGRATION,
    # A no-show brought back (API.md v1 additions, ``return``): when, so that at an equal queue
    # time it ranks behind the ticket it was placed after (engine.return_ticket).
    10: """
    ALTER TABLE tickets ADD COLUMN returned_at timestamptz;
    """,
}

# One place per table for its columns: a new column is one more name here (and a migration).
TICKET_COLUMNS = (
    "branch",
    "id",
    "service",
    "number",
    "day",
    "priority",
    "language",
    "issued_at",
    "status",
    "called_at",
    "started_at",
    "finished_at",
    "counter",
    "recalls",
    "clerk",
    "queue_at",
    "channel",
    "appointment_at",
    "outcome",
    "for_counter",
    "returned_at",
)
TICKET_FIXED = frozenset(
    {"branch", "id", "number", "day", "issued_at", "channel", "appointment_at"}
)
"""Columns a ticket keeps from issue on; ``update_ticket`` writes the others."""
COUNTER_COLUMNS = ("branch", "id", "state", "day", "clerk")

CALL_TYPES = (EventType.TICKET_CALLED.value, EventType.TICKET_RECALLED.value)
CURRENT = (TicketStatus.CALLED, TicketStatus.SERVING)
"""A counter's current ticket has one of these (``current_ticket``)."""
CHANNEL = "turnero_events"
MIGRATION_LOCK = 0x7475726E65726F01  # "turnero" + 1: one schema upgrade at a time
HOUSEKEEPING_LOCK = 0x7475726E65726F02  # one housekeeper among all servers

# Errors that mean the database, not our query, failed: server down, connection cut, disk full.
UNAVAILABLE = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg.errors.IdleInTransactionSessionTimeout,  # we stalled: PostgreSQL ended the session
    psycopg.errors.ReadOnlySqlTransaction,  # a read-only database, or a standby after failover
)
#: /health commits a probe write at most this often while writes succeed.
PROBE_EVERY_SECONDS = 10.0


def _db(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _ticket(row: dict[str, Any]) -> TicketRecord:
    return TicketRecord(**{**row, "status": TicketStatus(row["status"])})


def _counter(row: dict[str, Any]) -> CounterRecord:
    return CounterRecord(**{**row, "state": CounterState(row["state"])})


def _appointment(row: dict[str, Any]) -> AppointmentRecord:
    return AppointmentRecord(**{**row, "status": BookingStatus(row["status"])})


APPOINTMENT_COLUMNS = (
    "branch",
    "id",
    "code",
    "service",
    "start",
    "language",
    "status",
    "ticket_id",
    "created_at",
)


def _event(row: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        id=int(row["id"]), branch=row["branch"], type=EventType(row["type"]), data=row["data"]
    )


def _readable_alert(data: dict[str, Any]) -> Alert | None:
    """The alert a device.alert event carries; None if unreadable (then no fault stands)."""
    try:
        return Alert.model_validate(data.get("alert"))
    except ValidationError:
        return None


def _end(conn: psycopg.Connection[Any], statement: str) -> None:
    """End the open transaction, if the connection still has one (a dead one has none)."""
    if not conn.broken and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.execute(statement)  # type: ignore[arg-type]


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return url.split("@")[-1]


class PostgresTx:
    """Queries of one transaction. In a write transaction, the first query about a branch locks
    that branch's ``branch_log`` row: reads and writes after it see every earlier commit."""

    def __init__(self, conn: psycopg.Connection[dict[str, Any]], write: bool) -> None:
        self.conn = conn
        self.writing = write
        self.locked: set[str] = set()
        self.appended: set[str] = set()
        self.committed: list[Callable[[], None]] = []
        # What this transaction already read, kept up to date by its own writes: nobody else
        # changes a branch while we hold its lock (or in a read's snapshot), and each query
        # saved is time the branch stays locked.
        self._clocks: dict[str, BranchClock | None] = {}
        self._counters: dict[str, dict[str, CounterRecord]] = {}
        self._current: dict[tuple[str, str], TicketRecord | None] = {}

    def _q(
        self, query: str | sql.Composed, params: Sequence[Any] = ()
    ) -> psycopg.Cursor[dict[str, Any]]:
        return self.conn.execute(query, params)  # type: ignore[arg-type]

    def _hold(self, branch: str) -> None:
        if not self.writing or branch in self.locked:
            return
        if not self._lock_and_read(branch):
            self._q(
                "INSERT INTO branch_log (branch) VALUES (%s) ON CONFLICT (branch) DO NOTHING",
                (branch,),
            )
            self._lock_and_read(branch)
        self.locked.add(branch)

    def _lock_and_read(self, branch: str) -> bool:
        """Lock ``branch``'s log row and read its clock and counters, in one round trip; False
        if the row does not exist yet.

        Three statements, not one query with joins: after waiting for the lock, a statement
        sees the rows it joins as they were when it began, not what the holder committed.
        """
        cursor = self._q(
            sql.SQL(
                "SELECT 1 FROM branch_log WHERE branch = {b} FOR UPDATE;"
                " SELECT day, queue_at FROM branch_clock WHERE branch = {b};"
                " SELECT * FROM counters WHERE branch = {b}"
            ).format(b=sql.Literal(branch))
        )
        if cursor.fetchone() is None:
            return False
        cursor.nextset()
        clock = cursor.fetchone()
        self._clocks[branch] = (
            BranchClock(branch, clock["day"], clock["queue_at"]) if clock else None
        )
        cursor.nextset()
        self._counters[branch] = {row["id"]: _counter(row) for row in cursor}
        return True

    def on_commit(self, callback: Callable[[], None]) -> None:
        self.committed.append(callback)

    def ticket(self, ticket_id: str) -> TicketRecord | None:
        row = self._q("SELECT * FROM tickets WHERE id = %s", (ticket_id,)).fetchone()
        if row is not None and self.writing and row["branch"] not in self.locked:
            self._hold(row["branch"])  # read again under the lock: it may have just changed
            row = self._q(
                "SELECT * FROM tickets WHERE branch = %s AND id = %s", (row["branch"], ticket_id)
            ).fetchone()
        return _ticket(row) if row else None

    def tickets_of_day(
        self, branch: str, day: date, statuses: Sequence[str] | None = None
    ) -> list[TicketRecord]:
        self._hold(branch)
        query = "SELECT * FROM tickets WHERE branch = %s AND day = %s"
        params: list[Any] = [branch, day]
        if statuses is not None:
            query += " AND status = ANY(%s)"
            params.append(list(statuses))
        return [_ticket(row) for row in self._q(query, params)]

    def unfinished_before(self, branch: str, day: date) -> list[TicketRecord]:
        self._hold(branch)
        rows = self._q(
            "SELECT * FROM tickets WHERE branch = %s AND day < %s"
            " AND status IN ('waiting', 'called', 'serving')",
            (branch, day),
        )
        return [_ticket(row) for row in rows]

    def waiting_for_update(
        self, branch: str, day: date, services: Sequence[str]
    ) -> list[TicketRecord]:
        # The branch lock already serialises every writer of the branch: no row lock needed.
        # One query for every line's head: each round trip here is time the branch is locked.
        self._hold(branch)
        rows = self._q(
            "SELECT DISTINCT ON (service) * FROM tickets WHERE branch = %s AND day = %s"
            " AND status = 'waiting' AND service = ANY(%s)"
            " ORDER BY service, priority DESC, queue_at, id",
            (branch, day, list(services)),
        )
        heads = {row["service"]: _ticket(row) for row in rows}
        return [heads[service] for service in services if service in heads]

    def line_heads_for_update(
        self, branch: str, day: date, services: Sequence[str], counter: str
    ) -> list[TicketRecord]:
        # The branch lock serialises every writer of the branch, as in waiting_for_update. One
        # query reads the front of every line along tickets_waiting: each round trip here is
        # time the branch is locked.
        self._hold(branch)
        line = (
            "SELECT * FROM tickets WHERE branch = %s AND day = %s AND status = 'waiting'"
            " AND service = {service} AND priority = {priority}"
            " AND (for_counter IS NULL OR for_counter = %s)"
        )
        rows = self._q(
            "SELECT t.* FROM unnest(%s::text[]) AS s(service),"
            " unnest(ARRAY[true, false]) AS p(priority), LATERAL ("
            + line.format(service="s.service", priority="p.priority")
            + " ORDER BY queue_at, id LIMIT %s) AS t",
            (list(services), branch, day, counter, LINE_PEEK),
        )
        fronts: dict[tuple[str, bool], list[TicketRecord]] = {}
        for row in rows:
            fronts.setdefault((row["service"], row["priority"]), []).append(_ticket(row))
        heads = []
        for (service, priority), front in fronts.items():
            if len(front) == LINE_PEEK and front[0].queue_at == front[-1].queue_at:
                tied = self._q(
                    line.format(service="%s", priority="%s") + " AND queue_at = %s",
                    (branch, day, service, priority, counter, front[0].queue_at),
                )
                front = [_ticket(row) for row in tied]
            head = line_head(front)
            if head is not None:
                heads.append(head)
        return heads

    def current_ticket(self, branch: str, counter: str) -> TicketRecord | None:
        self._hold(branch)
        if (branch, counter) in self._current:
            return self._current[branch, counter]
        row = self._q(
            "SELECT * FROM tickets WHERE branch = %s AND counter = %s"
            " AND status IN ('called', 'serving') ORDER BY called_at DESC LIMIT 1",
            (branch, counter),
        ).fetchone()
        current = self._current[branch, counter] = _ticket(row) if row else None
        return current

    def _ticket_written(self, ticket: TicketRecord) -> None:
        """Keep the current tickets this transaction knows true after ``ticket`` is written."""
        for key, known in list(self._current.items()):
            if known is not None and known.id == ticket.id:
                del self._current[key]  # it may have left: another one could be current now
        key = (ticket.branch, ticket.counter or "")
        if ticket.status not in CURRENT or key not in self._current:
            return  # not current, or not known: a later read asks the database
        known = self._current[key]
        if known is None:
            self._current[key] = ticket
        elif not (ticket.called_at and known.called_at and ticket.called_at > known.called_at):
            del self._current[key]  # which one is current is the database's to say

    def waiting_ahead(self, ticket: TicketRecord) -> int:
        self._hold(ticket.branch)
        row = self._q(
            "SELECT count(*) AS n FROM tickets WHERE branch = %s AND day = %s"
            " AND status = 'waiting' AND service = %s AND id != %s"
            " AND (priority > %s OR (priority = %s AND (queue_at, id) < (%s, %s)))",
            (
                ticket.branch,
                ticket.day,
                ticket.service,
                ticket.id,
                ticket.priority,
                ticket.priority,
                ticket.queue_at,
                ticket.id,
            ),
        ).fetchone()
        assert row is not None
        return int(row["n"])

    def counters(self, branch: str) -> dict[str, CounterRecord]:
        self._hold(branch)
        if branch not in self._counters:
            rows = self._q("SELECT * FROM counters WHERE branch = %s", (branch,))
            self._counters[branch] = {row["id"]: _counter(row) for row in rows}
        return dict(self._counters[branch])

    def recent_service_seconds(self, branch: str, service: str, limit: int) -> list[float]:
        self._hold(branch)
        rows = self._q(
            "SELECT greatest(extract(epoch FROM finished_at - coalesce(started_at, called_at)),"
            " 0)::float8 AS seconds FROM tickets"
            " WHERE branch = %s AND service = %s AND status = 'done'"
            " AND coalesce(started_at, called_at) IS NOT NULL AND finished_at IS NOT NULL"
            " ORDER BY finished_at DESC LIMIT %s",
            (branch, service, limit),
        )
        return [float(row["seconds"]) for row in rows]

    def calls(self, branch: str, limit: int) -> list[StoredEvent]:
        self._hold(branch)
        rows = self._q(
            "SELECT * FROM events WHERE branch = %s AND type = ANY(%s) ORDER BY id DESC LIMIT %s",
            (branch, list(CALL_TYPES), limit),
        )
        return [_event(row) for row in rows]

    def alerts(self, branch: str) -> list[StoredEvent]:
        self._hold(branch)
        # Pruned events drop out through the join.
        rows = self._q(
            "SELECT e.* FROM latest_alerts a JOIN events e"
            " ON e.branch = a.branch AND e.id = a.event_id"
            " WHERE a.branch = %s ORDER BY e.id",
            (branch,),
        )
        return [_event(row) for row in rows]

    def last_event_id(self, branch: str) -> int:
        self._hold(branch)
        row = self._q(
            "SELECT last_event_id FROM branch_log WHERE branch = %s", (branch,)
        ).fetchone()
        return int(row["last_event_id"]) if row else 0

    def idempotent_issue(self, branch: str, key: str) -> IdempotentIssue | None:
        self._hold(branch)
        row = self._q(
            "SELECT ticket_id, request, created_at FROM idempotency WHERE branch = %s AND key = %s",
            (branch, key),
        ).fetchone()
        return IdempotentIssue(**row) if row else None

    def branch_clock(self, branch: str) -> BranchClock | None:
        # In a write transaction the branch lock holds the row until commit (as FOR UPDATE would).
        self._hold(branch)
        if branch not in self._clocks:
            row = self._q(
                "SELECT day, queue_at FROM branch_clock WHERE branch = %s", (branch,)
            ).fetchone()
            self._clocks[branch] = BranchClock(branch, row["day"], row["queue_at"]) if row else None
        return self._clocks[branch]

    def save_branch_clock(self, clock: BranchClock) -> None:
        self._hold(clock.branch)
        self._clocks[clock.branch] = clock
        self._q(
            "INSERT INTO branch_clock (branch, day, queue_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (branch) DO UPDATE SET day = excluded.day, queue_at = excluded.queue_at",
            (clock.branch, clock.day, clock.queue_at),
        )

    def next_sequence(self, branch: str, service: str, day: date) -> int:
        self._hold(branch)
        row = self._q(
            "INSERT INTO sequences AS s (branch, service, day, last) VALUES (%s, %s, %s, 1)"
            " ON CONFLICT (branch, service, day) DO UPDATE SET last = s.last + 1"
            " RETURNING last",
            (branch, service, day),
        ).fetchone()
        assert row is not None
        return int(row["last"])

    def insert_ticket(self, ticket: TicketRecord) -> None:
        self._hold(ticket.branch)
        self._ticket_written(ticket)
        self._q(
            f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)})"
            f" VALUES ({', '.join(['%s'] * len(TICKET_COLUMNS))})",
            [_db(getattr(ticket, column)) for column in TICKET_COLUMNS],
        )

    def update_ticket(self, ticket: TicketRecord) -> None:
        self._hold(ticket.branch)
        self._ticket_written(ticket)
        changing = [column for column in TICKET_COLUMNS if column not in TICKET_FIXED]
        self._q(
            f"UPDATE tickets SET {', '.join(f'{column} = %s' for column in changing)}"
            " WHERE branch = %s AND id = %s",
            [*(_db(getattr(ticket, column)) for column in changing), ticket.branch, ticket.id],
        )

    def save_counter(self, counter: CounterRecord) -> None:
        self._hold(counter.branch)
        if counter.branch in self._counters:
            self._counters[counter.branch][counter.id] = counter
        self._q(
            f"INSERT INTO counters ({', '.join(COUNTER_COLUMNS)})"
            f" VALUES ({', '.join(['%s'] * len(COUNTER_COLUMNS))})"
            " ON CONFLICT (branch, id) DO UPDATE SET "
            + ", ".join(
                f"{c} = excluded.{c}" for c in COUNTER_COLUMNS if c not in ("branch", "id")
            ),
            [_db(getattr(counter, column)) for column in COUNTER_COLUMNS],
        )

    def append_event(self, branch: str, type: EventType, data: dict[str, Any]) -> StoredEvent:
        self._hold(branch)
        # The id comes from the locked branch row, not a sequence: ids commit in order.
        row = self._q(
            "WITH next AS (UPDATE branch_log SET last_event_id = last_event_id + 1"
            " WHERE branch = %s RETURNING last_event_id)"
            " INSERT INTO events (branch, id, type, data, at)"
            " SELECT %s, last_event_id, %s, %s, %s FROM next RETURNING id",
            (branch, branch, type.value, json.dumps(data, separators=(",", ":")), data["at"]),
        ).fetchone()
        assert row is not None
        event_id = int(row["id"])
        if type is EventType.DEVICE_ALERT and (alert := _readable_alert(data)) is not None:
            self._q(
                "INSERT INTO latest_alerts (branch, device, part, event_id)"
                " VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (branch, device, part) DO UPDATE SET event_id = excluded.event_id",
                (branch, alert.device, alert.part, event_id),
            )
        self.appended.add(branch)
        return StoredEvent(id=event_id, branch=branch, type=type, data=data)

    def remember_issue(
        self, branch: str, key: str, ticket_id: str, request: str, at: datetime
    ) -> None:
        self._hold(branch)
        self._q(
            "INSERT INTO idempotency (branch, key, ticket_id, request, created_at)"
            " VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (branch, key) DO UPDATE SET ticket_id = excluded.ticket_id,"
            " request = excluded.request, created_at = excluded.created_at",
            (branch, key, ticket_id, request, at),
        )

    def report(self, query: ReportQuery) -> list[ReportTally]:
        # Read-only, no branch lock: a report over months must not hold up the queue.
        tallies = postgres_reports.report(self.conn, query)
        return with_feedback(tallies, postgres_reports.feedback(self.conn, query))

    def tickets_of_days(self, branch: str, days: Sequence[date]) -> list[TicketRecord]:
        rows = self._q(
            "SELECT * FROM tickets WHERE branch = %s AND day = ANY(%s)", (branch, list(days))
        )
        return [_ticket(row) for row in rows]

    def kpi_alerts(self, branch: str) -> list[KpiState]:
        # Under the branch's lock in a write: two servers never raise one crossing twice.
        self._hold(branch)
        rows = self._q(
            "SELECT * FROM kpi_alerts WHERE branch = %s ORDER BY since, service, kpi", (branch,)
        )
        return [KpiState(**row) for row in rows]

    def save_kpi_alert(self, state: KpiState) -> None:
        self._hold(state.branch)
        self._q(
            "INSERT INTO kpi_alerts (branch, service, kpi, value, threshold, since)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (branch, service, kpi) DO UPDATE SET"
            " value = excluded.value, threshold = excluded.threshold, since = excluded.since",
            (state.branch, state.service, state.kpi, state.value, state.threshold, state.since),
        )

    def drop_kpi_alert(self, branch: str, service: str, kpi: str) -> None:
        self._hold(branch)
        self._q(
            "DELETE FROM kpi_alerts WHERE branch = %s AND service = %s AND kpi = %s",
            (branch, service, kpi),
        )

    def devices_seen(self, branch: str) -> list[DeviceSeen]:
        rows = self._q("SELECT * FROM device_presence WHERE branch = %s ORDER BY device", (branch,))
        return [DeviceSeen(**row) for row in rows]

    def save_device_seen(self, seen: DeviceSeen) -> None:
        # No branch lock: presence orders nothing, and greatest() keeps the latest call.
        self._q(
            "INSERT INTO device_presence (branch, device, app, version, seen_at)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (branch, device) DO UPDATE SET"
            " app = coalesce(excluded.app, device_presence.app),"
            " version = coalesce(excluded.version, device_presence.version),"
            " seen_at = greatest(device_presence.seen_at, excluded.seen_at)",
            (seen.branch, seen.device, seen.app, seen.version, seen.seen_at),
        )

    # Appointments ----------------------------------------------------------------------
    # Each write holds the branch lock (``_hold``) first: counting a slot's bookings and
    # adding one happen under it, so two servers never both give its last place.

    def appointment(self, appointment_id: str) -> AppointmentRecord | None:
        row = self._q("SELECT * FROM appointments WHERE id = %s", (appointment_id,)).fetchone()
        if row is not None and self.writing and row["branch"] not in self.locked:
            self._hold(row["branch"])  # read again under the lock: it may have just changed
            row = self._q(
                "SELECT * FROM appointments WHERE branch = %s AND id = %s",
                (row["branch"], appointment_id),
            ).fetchone()
        return _appointment(row) if row else None

    def appointment_by_code(self, branch: str, code: str) -> AppointmentRecord | None:
        self._hold(branch)
        row = self._q(
            "SELECT * FROM appointments WHERE branch = %s AND code = %s", (branch, code)
        ).fetchone()
        return _appointment(row) if row else None

    def appointments_between(
        self, branch: str, start: datetime, end: datetime, service: str | None = None
    ) -> list[AppointmentRecord]:
        self._hold(branch)
        query = "SELECT * FROM appointments WHERE branch = %s AND start >= %s AND start < %s"
        params: list[Any] = [branch, start, end]
        if service is not None:
            query += " AND service = %s"
            params.append(service)
        return [_appointment(row) for row in self._q(query + " ORDER BY start", params)]

    def insert_appointment(self, appointment: AppointmentRecord) -> None:
        self._hold(appointment.branch)
        self._q(
            f"INSERT INTO appointments ({', '.join(APPOINTMENT_COLUMNS)})"
            f" VALUES ({', '.join(['%s'] * len(APPOINTMENT_COLUMNS))})",
            [_db(getattr(appointment, column)) for column in APPOINTMENT_COLUMNS],
        )

    def update_appointment(self, appointment: AppointmentRecord) -> None:
        self._hold(appointment.branch)
        self._q(
            "UPDATE appointments SET status = %s, ticket_id = %s WHERE branch = %s AND id = %s",
            (
                appointment.status.value,
                appointment.ticket_id,
                appointment.branch,
                appointment.id,
            ),
        )

    def mark_no_shows(self, branch: str, started_before: datetime) -> int:
        self._hold(branch)
        cursor = self._q(
            "UPDATE appointments SET status = 'no_show'"
            " WHERE branch = %s AND status = 'booked' AND start < %s",
            (branch, started_before),
        )
        return cursor.rowcount

    def channel_tickets(self, branch: str, day: date, service: str, channel: str) -> int:
        self._hold(branch)
        row = self._q(
            "SELECT count(*) AS n FROM tickets WHERE branch = %s AND day = %s AND service = %s"
            " AND channel = %s",
            (branch, day, service, channel),
        ).fetchone()
        assert row is not None
        return int(row["n"])

    def feedback(self, branch: str, ticket_id: str) -> FeedbackRecord | None:
        self._hold(branch)
        row = self._q(
            "SELECT * FROM feedback WHERE branch = %s AND ticket_id = %s", (branch, ticket_id)
        ).fetchone()
        return FeedbackRecord(**row) if row else None

    def feedback_tallies(self, branch: str, first: date, last: date) -> list[FeedbackTally]:
        self._hold(branch)
        rows = self._q(
            "SELECT day, service, counter, count(*) AS count, sum(score) AS total FROM feedback"
            " WHERE branch = %s AND day BETWEEN %s AND %s GROUP BY day, service, counter"
            " ORDER BY day, service, coalesce(counter, '')",
            (branch, first, last),
        )
        return [
            FeedbackTally(
                day=row["day"],
                service=row["service"],
                counter=row["counter"],
                count=int(row["count"]),
                total=int(row["total"]),
            )
            for row in rows
        ]

    def insert_feedback(self, feedback: FeedbackRecord) -> bool:
        self._hold(feedback.branch)
        cursor = self._q(
            "INSERT INTO feedback (branch, ticket_id, service, counter, day, score, comment, at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (branch, ticket_id) DO NOTHING",
            (
                feedback.branch,
                feedback.ticket_id,
                feedback.service,
                feedback.counter,
                feedback.day,
                feedback.score,
                feedback.comment,
                feedback.at,
            ),
        )
        return cursor.rowcount == 1

    def waiting_in_order(self, branch: str, day: date, limit: int) -> list[TicketRecord]:
        self._hold(branch)
        rows = self._q(
            "SELECT * FROM tickets WHERE branch = %s AND day = %s AND status = 'waiting'"
            " ORDER BY priority DESC, queue_at, id LIMIT %s",
            (branch, day, limit),
        )
        return [_ticket(row) for row in rows]

    def recent_calls(self, branch: str, day: date, limit: int) -> list[TicketRecord]:
        self._hold(branch)
        rows = self._q(
            "SELECT * FROM tickets WHERE branch = %s AND day = %s"
            " AND status IN ('called', 'serving', 'done', 'no_show') AND called_at IS NOT NULL"
            " ORDER BY called_at DESC LIMIT %s",
            (branch, day, limit),
        )
        return [_ticket(row) for row in rows]


Connection = psycopg.Connection[dict[str, Any]]


class _Pool:
    """A small bounded pool. A connection that failed is thrown away, never handed out again:
    after a database restart the next request simply connects anew."""

    def __init__(self, url: str, size: int, wait_seconds: float, session: str) -> None:
        self.url = url
        self.size = size
        self.wait_seconds = wait_seconds
        self.session = session
        self._idle: list[Connection] = []
        self._open = 0
        self._cond = threading.Condition()
        self._closed = False

    def connect(self) -> Connection:
        """A new connection outside the pool (LISTEN, locks held for long)."""
        try:
            conn = psycopg.connect(
                self.url, autocommit=True, row_factory=dict_row, connect_timeout=5
            )
            conn.execute(self.session)  # type: ignore[arg-type]
        except UNAVAILABLE as exc:
            raise StoreUnavailable(
                f"cannot connect to the database {_safe_url(self.url)}: {exc}"
            ) from exc
        return conn

    @contextmanager
    def connection(self, begin: str | None = None) -> Iterator[Connection]:
        """A connection of the pool, with ``begin`` run on it first if given.

        An idle connection may have died with a database restart: if ``begin`` fails on it,
        nothing was done yet, so the pool forgets its idle ones and tries a fresh connection.
        """
        conn = self._take()
        if begin is not None:
            try:
                conn.execute(begin)  # type: ignore[arg-type]
            except UNAVAILABLE:
                self._give_back(conn)
                self._forget_idle()
                conn = self._take()
                try:
                    conn.execute(begin)  # type: ignore[arg-type]
                except BaseException:
                    self._give_back(conn)
                    raise
        try:
            yield conn
        finally:
            self._give_back(conn)

    def _forget_idle(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            conn.close()

    def _take(self) -> Connection:
        deadline = time.monotonic() + self.wait_seconds
        with self._cond:
            while True:
                if self._closed:
                    raise StoreUnavailable("the store is closed")
                if self._idle:
                    return self._idle.pop()
                if self._open < self.size:
                    self._open += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreUnavailable("every database connection stays busy: try again")
                self._cond.wait(left)
        try:
            return self.connect()
        except BaseException:
            with self._cond:
                self._open -= 1
                self._cond.notify()
            raise

    def _give_back(self, conn: Connection) -> None:
        # A query of ours that failed leaves a good connection; a database that failed does not.
        keep = (
            not self._closed
            and not conn.closed
            and not conn.broken
            and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        )
        with self._cond:
            if keep:
                self._idle.append(conn)
            else:
                self._open -= 1
            self._cond.notify()
        if not keep:
            conn.close()

    def close(self) -> None:
        with self._cond:
            self._closed = True
        self._forget_idle()


class PostgresStore:
    """The Store interface on one PostgreSQL database shared by any number of servers."""

    def __init__(
        self,
        url: str,
        pool_size: int = 10,
        *,
        migrate: bool = True,
        lock_wait_seconds: float = 10.0,
        stalled_seconds: float = 15.0,
    ) -> None:
        self.url = url
        # Times come back in UTC, as the SQLite store gives them. A server that froze or lost
        # its network mid-transaction holds its branch's lock: PostgreSQL ends its session
        # after ``stalled_seconds``, and a writer gives up waiting (a 503) after
        # ``lock_wait_seconds``, instead of the branch waiting for TCP to notice (hours).
        session = (
            "SET TimeZone = 'UTC';"
            f" SET lock_timeout = '{int(lock_wait_seconds * 1000)}ms';"
            f" SET idle_in_transaction_session_timeout = '{int(stalled_seconds * 1000)}ms'"
        )
        self._pool = _Pool(url, pool_size, wait_seconds=10.0, session=session)
        self._listener: Connection | None = None
        # The last write failure, until a write succeeds: health stays 503 meanwhile.
        self._fault: str | None = None
        self._probed = -PROBE_EVERY_SECONDS
        self._server = f"{socket.gethostname()}:{os.getpid()}"
        if migrate:
            self.upgrade()

    def upgrade(self) -> list[int]:
        """Create or upgrade the schema under an advisory lock; the versions applied."""
        applied: list[int] = []
        with self._unavailable("upgrade"), self._pool.connection() as conn, conn.transaction():
            # However long another server's upgrade takes, wait for it rather than fail.
            conn.execute("SET LOCAL lock_timeout = 0")
            # Transaction-scoped: released by the commit, or by PostgreSQL if we die.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
            row = conn.execute("SELECT max(version) AS v FROM schema_version").fetchone()
            current = (row or {}).get("v") or 0
            if current > SCHEMA_VERSION:
                raise StoreUnavailable(
                    f"the database {_safe_url(self.url)} was written by a newer Turnero"
                    f" (schema {current}); upgrade this server"
                )
            for version in sorted(v for v in MIGRATIONS if current < v <= SCHEMA_VERSION):
                conn.execute(MIGRATIONS[version])  # type: ignore[arg-type]
                conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
                applied.append(version)
        return applied

    @contextmanager
    def _unavailable(self, doing: str) -> Iterator[None]:
        try:
            yield
        except UNAVAILABLE as exc:
            raise StoreUnavailable(
                f"cannot {doing} the database {_safe_url(self.url)}: {exc}"
            ) from exc

    @contextmanager
    def read(self) -> Iterator[PostgresTx]:
        """One consistent snapshot for reading."""
        begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        with self._unavailable("read"), self._pool.connection(begin) as conn:
            try:
                yield PostgresTx(conn, write=False)
            finally:
                _end(conn, "ROLLBACK")

    @contextmanager
    def write(self) -> Iterator[PostgresTx]:
        """A write transaction serialised per branch, committed when the block ends."""
        # READ COMMITTED: each query after the branch lock sees every earlier commit.
        try:
            with self._unavailable("write to"), self._pool.connection("BEGIN") as conn:
                tx = PostgresTx(conn, write=True)
                try:
                    yield tx
                    # Notifications go out at commit only, and only if it commits; sent with the
                    # COMMIT in one round trip, as the branch stays locked until it is done.
                    ending = [
                        sql.SQL("SELECT pg_notify({}, {})").format(
                            sql.Literal(CHANNEL), sql.Literal(b)
                        )
                        for b in sorted(tx.appended)
                    ]
                    conn.execute(sql.SQL("; ").join([*ending, sql.SQL("COMMIT")]))
                except BaseException:
                    _end(conn, "ROLLBACK")
                    raise
        except StoreUnavailable as exc:
            if isinstance(exc.__cause__, UNAVAILABLE):
                self._fault = str(exc)
            raise
        self._fault = None
        for callback in tx.committed:
            callback()

    def events_after(self, branch: str, after: int, limit: int = 1000) -> list[StoredEvent]:
        with self.read() as tx:
            rows = tx._q(
                "SELECT * FROM events WHERE branch = %s AND id > %s ORDER BY id LIMIT %s",
                (branch, after, limit),
            )
            return [_event(row) for row in rows]

    def replay_horizon(self, branch: str) -> int:
        with self.read() as tx:
            row = tx._q(
                "SELECT pruned_up_to FROM branch_log WHERE branch = %s", (branch,)
            ).fetchone()
            return int(row["pruned_up_to"]) if row else 0

    def prune(self, before: datetime) -> None:
        """Per branch, each in its own short transaction under the branch's lock."""
        with self.read() as tx:
            branches = [r["branch"] for r in tx._q("SELECT branch FROM branch_log")]
        for branch in branches:
            with self.write() as tx:
                tx._hold(branch)
                tx._q(
                    "DELETE FROM idempotency WHERE branch = %s AND created_at < %s",
                    (branch, before),
                )
                row = tx._q(
                    "SELECT max(id) AS top FROM events WHERE branch = %s AND at < %s",
                    (branch, before),
                ).fetchone()
                if row is None or row["top"] is None:
                    continue
                tx._q(
                    "UPDATE branch_log SET pruned_up_to = greatest(pruned_up_to, %s)"
                    " WHERE branch = %s",
                    (row["top"], branch),
                )
                tx._q("DELETE FROM events WHERE branch = %s AND id <= %s", (branch, row["top"]))
        with self.write() as tx:
            # Probe rows of servers that are gone.
            tx._q("DELETE FROM write_probe WHERE at < %s", (before,))

    def ping(self) -> None:
        """Raise StoreUnavailable unless the database answers and takes writes."""
        with self.read() as tx:
            tx._q("SELECT max(version) FROM schema_version").fetchone()
        if self._fault is None and time.monotonic() - self._probed < PROBE_EVERY_SECONDS:
            return
        # A real commit: reads alone pass on a read-only database while every write fails.
        with self.write() as tx:
            tx._q(
                "INSERT INTO write_probe (server, at) VALUES (%s, now())"
                " ON CONFLICT (server) DO UPDATE SET at = excluded.at",
                (self._server,),
            )
        self._probed = time.monotonic()

    @contextmanager
    def housekeeping_lock(self) -> Iterator[bool]:
        """True for the one server that holds the housekeeping lock for this block.

        A session lock on a connection of its own: if this server dies mid-way, PostgreSQL
        ends the session and the next server's try takes over.
        """
        conn = self._pool.connect()
        mine = False
        try:
            with self._unavailable("lock"):
                row = conn.execute(
                    "SELECT pg_try_advisory_lock(%s) AS mine", (HOUSEKEEPING_LOCK,)
                ).fetchone()
            mine = bool(row and row["mine"])
            yield mine
        finally:
            if mine:
                # Released here, as the server confirms: closing alone ends the session a
                # moment after close() returns, and another server's try could come first.
                with suppress(psycopg.Error):
                    conn.execute("SELECT pg_advisory_unlock(%s)", (HOUSEKEEPING_LOCK,))
            conn.close()  # a dead server's session ends, and its lock with it

    def wait_for_events(self, timeout: float) -> set[str]:
        """Branches notified within ``timeout`` seconds (empty if none came).

        Raises StoreUnavailable when the listening connection fails; the next call reconnects.
        """
        try:
            if self._listener is None or self._listener.closed:
                listener = self._pool.connect()
                listener.execute(f"LISTEN {CHANNEL}")
                self._listener = listener
            return {
                n.payload
                for n in self._listener.notifies(timeout=timeout, stop_after=1)
                if n.channel == CHANNEL
            }
        except UNAVAILABLE as exc:
            self._drop_listener()
            raise StoreUnavailable(f"lost the database {_safe_url(self.url)}: {exc}") from exc

    def _drop_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()

    def close(self) -> None:
        self._drop_listener()
        self._pool.close()
