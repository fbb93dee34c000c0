"""The embedded store: one SQLite file in WAL mode.

Writers take a process lock and then ``BEGIN IMMEDIATE`` (which also keeps a second server
process on the same file out), and commit with ``synchronous=FULL``: once a write returns, the
ticket is on disk and survives a kill -9 or a power cut. Readers never wait for a writer.
Transactions borrow a connection from a small pool; a server also holds ``<file>.lock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

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
    sqlite_reports,
)

SCHEMA_VERSION = 10

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE tickets (
        id TEXT PRIMARY KEY,
        branch TEXT NOT NULL,
        service TEXT NOT NULL,
        number TEXT NOT NULL,
        day TEXT NOT NULL,
        priority INTEGER NOT NULL,
        language TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        status TEXT NOT NULL,
        called_at TEXT,
        started_at TEXT,
        finished_at TEXT,
        counter TEXT,
        recalls INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX tickets_by_day ON tickets (branch, day, status);
    CREATE INDEX tickets_by_counter ON tickets (branch, counter, status);
    CREATE INDEX tickets_done ON tickets (branch, service, status, finished_at);
    CREATE TABLE sequences (
        branch TEXT NOT NULL,
        service TEXT NOT NULL,
        day TEXT NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY (branch, service, day)
    );
    CREATE TABLE counters (
        branch TEXT NOT NULL,
        id TEXT NOT NULL,
        state TEXT NOT NULL,
        day TEXT,
        PRIMARY KEY (branch, id)
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        branch TEXT NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX events_by_branch ON events (branch, id);
    CREATE TABLE event_horizon (
        branch TEXT PRIMARY KEY,
        pruned_up_to INTEGER NOT NULL
    );
    CREATE TABLE idempotency (
        branch TEXT NOT NULL,
        key TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        request TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (branch, key)
    );
    """,
    2: """
    ALTER TABLE tickets ADD COLUMN clerk TEXT;
    ALTER TABLE counters ADD COLUMN clerk TEXT;
    """,
    # The queue is ordered by queue time (engine.next_queue_at), not by the wall clock's issue
    # time; each branch keeps the business day and queue time its clock reached.
    3: """
    ALTER TABLE tickets ADD COLUMN queue_at TEXT NOT NULL DEFAULT '';
    UPDATE tickets SET queue_at = issued_at;
    CREATE TABLE branch_clock (
        branch TEXT PRIMARY KEY,
        day TEXT NOT NULL,
        queue_at TEXT NOT NULL
    );
    INSERT INTO branch_clock (branch, day, queue_at)
        SELECT branch, max(day), max(queue_at) FROM tickets GROUP BY branch;
    DROP INDEX tickets_by_day;
    CREATE INDEX tickets_by_queue
        ON tickets (branch, day, status, service, priority DESC, queue_at, id);
    """,
    # The latest device.alert per device and part: standing faults without reading every alert.
    4: """
    CREATE TABLE latest_alerts (
        branch TEXT NOT NULL,
        device TEXT NOT NULL,
        part TEXT NOT NULL,
        event_id INTEGER NOT NULL,
        PRIMARY KEY (branch, device, part)
    );
    INSERT INTO latest_alerts (branch, device, part, event_id)
    SELECT branch, device, CASE WHEN instr(kind, '.') THEN substr(kind, 1, instr(kind, '.') - 1)
                                ELSE kind END, max(id)
    FROM (SELECT id, branch, json_extract(data, '$.alert.device') AS device,
                 json_extract(data, '$.alert.kind') AS kind
          FROM events WHERE type = 'device.alert')
    WHERE device IS NOT NULL AND kind IS NOT NULL
    GROUP BY 1, 2, 3;
    """,
    # API.md v1 additions: how a ticket was taken, its booked time, how its visit ended, and
    # the one counter a transfer sent it to.
    5: """
    ALTER TABLE tickets ADD COLUMN channel TEXT NOT NULL DEFAULT 'kiosk';
    ALTER TABLE tickets ADD COLUMN appointment_at TEXT;
    ALTER TABLE tickets ADD COLUMN outcome TEXT;
    ALTER TABLE tickets ADD COLUMN for_counter TEXT;
    """,
    # Appointments (API.md v1 additions): bookable slots, a code to check in with. Nothing
    # about who booked: the id and the code are the only keys to a booking.
    6: """
    CREATE TABLE appointments (
        branch TEXT NOT NULL,
        id TEXT NOT NULL,
        code TEXT NOT NULL,
        service TEXT NOT NULL,
        start TEXT NOT NULL,
        language TEXT NOT NULL,
        status TEXT NOT NULL,
        ticket_id TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (branch, id)
    );
    CREATE INDEX appointments_by_id ON appointments (id);
    CREATE UNIQUE INDEX appointments_by_code ON appointments (branch, code);
    CREATE INDEX appointments_by_start ON appointments (branch, start, service, status);
    """,
    # How citizens rated their visit (API.md v1 additions): once per ticket, nothing personal.
    7: """
    CREATE TABLE feedback (
        branch TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        service TEXT NOT NULL,
        counter TEXT,
        day TEXT NOT NULL,
        score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
        comment TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (branch, ticket_id)
    );
    CREATE INDEX feedback_by_day ON feedback (branch, day, service, counter);
    CREATE INDEX tickets_by_channel ON tickets (branch, day, service, channel);
    """,
    # The supervisor (issue 17): KPI alerts that stand, so a restart neither repeats nor loses
    # one; and when each device last called, flushed from memory every few seconds.
    8: """
    CREATE TABLE kpi_alerts (
        branch TEXT NOT NULL,
        service TEXT NOT NULL,
        kpi TEXT NOT NULL,
        value REAL NOT NULL,
        threshold REAL NOT NULL,
        since TEXT NOT NULL,
        PRIMARY KEY (branch, service, kpi)
    );
    CREATE TABLE device_presence (
        branch TEXT NOT NULL,
        device TEXT NOT NULL,
        app TEXT,
        version TEXT,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (branch, device)
    );
    """,
    # Reports (GET /api/v1/reports): waits and service times computed once, in one index.
    9: sqlite_reports.MIGRATION,
    # A no-show brought back (API.md v1 additions, ``return``): when, so that at an equal queue
    # time it ranks behind the ticket it was placed after (engine.return_ticket).
    10: """
    ALTER TABLE tickets ADD COLUMN returned_at TEXT;
    """,
}

CALL_TYPES = (EventType.TICKET_CALLED.value, EventType.TICKET_RECALLED.value)


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="microseconds") if value else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _ticket(row: sqlite3.Row) -> TicketRecord:
    return TicketRecord(
        id=row["id"],
        branch=row["branch"],
        service=row["service"],
        number=row["number"],
        day=date.fromisoformat(row["day"]),
        priority=bool(row["priority"]),
        language=row["language"],
        issued_at=datetime.fromisoformat(row["issued_at"]),
        status=TicketStatus(row["status"]),
        called_at=_parse_time(row["called_at"]),
        started_at=_parse_time(row["started_at"]),
        finished_at=_parse_time(row["finished_at"]),
        counter=row["counter"],
        recalls=row["recalls"],
        clerk=row["clerk"],
        channel=row["channel"],
        appointment_at=_parse_time(row["appointment_at"]),
        outcome=row["outcome"],
        for_counter=row["for_counter"],
        returned_at=_parse_time(row["returned_at"]),
        queue_at=datetime.fromisoformat(row["queue_at"]),
    )


def _appointment(row: sqlite3.Row) -> AppointmentRecord:
    return AppointmentRecord(
        id=row["id"],
        branch=row["branch"],
        code=row["code"],
        service=row["service"],
        start=datetime.fromisoformat(row["start"]),
        language=row["language"],
        status=BookingStatus(row["status"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        ticket_id=row["ticket_id"],
    )


def _event(row: sqlite3.Row) -> StoredEvent:
    return StoredEvent(
        id=row["id"],
        branch=row["branch"],
        type=EventType(row["type"]),
        data=json.loads(row["data"]),
    )


def _readable_alert(data: dict[str, Any]) -> Alert | None:
    """The alert a device.alert event carries; None if unreadable (then no fault stands)."""
    try:
        return Alert.model_validate(data.get("alert"))
    except ValidationError:
        return None


def _rollback(db: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open (SQLite ends some on its own, e.g. disk full)."""
    if db.in_transaction:
        db.execute("ROLLBACK")


class SqliteTx:
    """Queries of one transaction; the write methods are only used inside ``write()``."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.committed: list[Callable[[], None]] = []
        # Each branch's clock as this transaction knows it: every view of one call asks for
        # the business day, and only this transaction can change the row meanwhile.
        self._clocks: dict[str, BranchClock | None] = {}

    def on_commit(self, callback: Callable[[], None]) -> None:
        self.committed.append(callback)

    def ticket(self, ticket_id: str) -> TicketRecord | None:
        row = self.db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return _ticket(row) if row else None

    def tickets_of_day(
        self, branch: str, day: date, statuses: Sequence[str] | None = None
    ) -> list[TicketRecord]:
        query = "SELECT * FROM tickets WHERE branch = ? AND day = ?"
        params: list[Any] = [branch, day.isoformat()]
        if statuses is not None:
            query += f" AND status IN ({','.join('?' * len(statuses))})"
            params += list(statuses)
        return [_ticket(row) for row in self.db.execute(query, params)]

    def unfinished_before(self, branch: str, day: date) -> list[TicketRecord]:
        rows = self.db.execute(
            "SELECT * FROM tickets WHERE branch = ? AND day < ?"
            " AND status IN ('waiting', 'called', 'serving')",
            (branch, day.isoformat()),
        )
        return [_ticket(row) for row in rows]

    def waiting_for_update(
        self, branch: str, day: date, services: Sequence[str]
    ) -> list[TicketRecord]:
        # BEGIN IMMEDIATE already holds the write lock: no row lock is needed in SQLite.
        # Only the head of each service's line can be next; loading whole lines made `next`
        # slow down as the day's queue grew (scripts/bench_api.py).
        heads = []
        for service in services:
            row = self.db.execute(
                "SELECT * FROM tickets WHERE branch = ? AND day = ? AND status = 'waiting'"
                " AND service = ? ORDER BY priority DESC, queue_at, id LIMIT 1",
                (branch, day.isoformat(), service),
            ).fetchone()
            if row is not None:
                heads.append(_ticket(row))
        return heads

    def line_heads_for_update(
        self, branch: str, day: date, services: Sequence[str], counter: str
    ) -> list[TicketRecord]:
        # BEGIN IMMEDIATE already holds the write lock, as in waiting_for_update. Each line's
        # front is read along tickets_by_queue: reading whole lines made `next` slow down as
        # the day's queue grew (scripts/bench_api.py).
        query = (
            "SELECT * FROM tickets WHERE branch = ? AND day = ? AND status = 'waiting'"
            " AND service = ? AND priority = ? AND (for_counter IS NULL OR for_counter = ?)"
        )
        heads = []
        for service in services:
            for priority in (1, 0):
                where = (branch, day.isoformat(), service, priority, counter)
                rows = self.db.execute(
                    f"{query} ORDER BY queue_at, id LIMIT ?", (*where, LINE_PEEK)
                )
                front = [_ticket(row) for row in rows]
                if len(front) == LINE_PEEK and front[0].queue_at == front[-1].queue_at:
                    tied = self.db.execute(
                        f"{query} AND queue_at = ?", (*where, _time(front[0].queue_at))
                    )
                    front = [_ticket(row) for row in tied]
                head = line_head(front)
                if head is not None:
                    heads.append(head)
        return heads

    def current_ticket(self, branch: str, counter: str) -> TicketRecord | None:
        row = self.db.execute(
            "SELECT * FROM tickets WHERE branch = ? AND counter = ?"
            " AND status IN ('called', 'serving') ORDER BY called_at DESC LIMIT 1",
            (branch, counter),
        ).fetchone()
        return _ticket(row) if row else None

    def waiting_ahead(self, ticket: TicketRecord) -> int:
        # engine.queue_order within one service; times are stored as UTC ISO strings of one
        # fixed width, so comparing the strings compares the instants.
        queued = _time(ticket.queue_at)
        row = self.db.execute(
            "SELECT count(*) FROM tickets WHERE branch = ? AND day = ? AND status = 'waiting'"
            " AND service = ? AND id != ? AND (priority > ? OR (priority = ? AND"
            " (queue_at < ? OR (queue_at = ? AND id < ?))))",
            (
                ticket.branch,
                ticket.day.isoformat(),
                ticket.service,
                ticket.id,
                int(ticket.priority),
                int(ticket.priority),
                queued,
                queued,
                ticket.id,
            ),
        ).fetchone()
        return int(row[0])

    def counters(self, branch: str) -> dict[str, CounterRecord]:
        rows = self.db.execute("SELECT * FROM counters WHERE branch = ?", (branch,))
        return {
            row["id"]: CounterRecord(
                branch=branch,
                id=row["id"],
                state=CounterState(row["state"]),
                day=date.fromisoformat(row["day"]) if row["day"] else None,
                clerk=row["clerk"],
            )
            for row in rows
        }

    def recent_service_seconds(self, branch: str, service: str, limit: int) -> list[float]:
        rows = self.db.execute(
            "SELECT coalesce(started_at, called_at) AS begun, finished_at FROM tickets"
            " WHERE branch = ? AND service = ? AND status = 'done'"
            " ORDER BY finished_at DESC LIMIT ?",
            (branch, service, limit),
        )
        return [
            max(
                (
                    datetime.fromisoformat(r["finished_at"]) - datetime.fromisoformat(r["begun"])
                ).total_seconds(),
                0.0,
            )
            for r in rows
            if r["begun"] and r["finished_at"]
        ]

    def calls(self, branch: str, limit: int) -> list[StoredEvent]:
        rows = self.db.execute(
            "SELECT * FROM events WHERE branch = ? AND type IN (?, ?) ORDER BY id DESC LIMIT ?",
            (branch, *CALL_TYPES, limit),
        )
        return [_event(row) for row in rows]

    def alerts(self, branch: str) -> list[StoredEvent]:
        # Pruned events drop out through the join.
        rows = self.db.execute(
            "SELECT events.* FROM latest_alerts JOIN events ON events.id = latest_alerts.event_id"
            " WHERE latest_alerts.branch = ? ORDER BY events.id",
            (branch,),
        )
        return [_event(row) for row in rows]

    def last_event_id(self, branch: str) -> int:
        row = self.db.execute("SELECT max(id) FROM events WHERE branch = ?", (branch,)).fetchone()
        if row[0] is not None:
            return int(row[0])
        return self._horizon(branch)

    def _horizon(self, branch: str) -> int:
        row = self.db.execute(
            "SELECT pruned_up_to FROM event_horizon WHERE branch = ?", (branch,)
        ).fetchone()
        return int(row[0]) if row else 0

    def branch_clock(self, branch: str) -> BranchClock | None:
        if branch not in self._clocks:
            row = self.db.execute(
                "SELECT day, queue_at FROM branch_clock WHERE branch = ?", (branch,)
            ).fetchone()
            self._clocks[branch] = (
                BranchClock(
                    branch=branch,
                    day=date.fromisoformat(row["day"]),
                    queue_at=datetime.fromisoformat(row["queue_at"]),
                )
                if row
                else None
            )
        return self._clocks[branch]

    def save_branch_clock(self, clock: BranchClock) -> None:
        self.db.execute(
            "INSERT INTO branch_clock (branch, day, queue_at) VALUES (?, ?, ?)"
            " ON CONFLICT (branch) DO UPDATE SET day = excluded.day, queue_at = excluded.queue_at",
            (clock.branch, clock.day.isoformat(), _time(clock.queue_at)),
        )
        self._clocks[clock.branch] = clock

    def idempotent_issue(self, branch: str, key: str) -> IdempotentIssue | None:
        row = self.db.execute(
            "SELECT * FROM idempotency WHERE branch = ? AND key = ?", (branch, key)
        ).fetchone()
        if row is None:
            return None
        return IdempotentIssue(
            ticket_id=row["ticket_id"],
            request=row["request"],
            created_at=datetime.fromisoformat(row["created_at"]),
        )

    def next_sequence(self, branch: str, service: str, day: date) -> int:
        row = self.db.execute(
            "INSERT INTO sequences (branch, service, day, last) VALUES (?, ?, ?, 1)"
            " ON CONFLICT (branch, service, day) DO UPDATE SET last = last + 1"
            " RETURNING last",
            (branch, service, day.isoformat()),
        ).fetchone()
        return int(row[0])

    def insert_ticket(self, ticket: TicketRecord) -> None:
        self.db.execute(
            "INSERT INTO tickets (id, branch, service, number, day, priority, language,"
            " issued_at, status, called_at, started_at, finished_at, counter, recalls, clerk,"
            " queue_at, channel, appointment_at, outcome, for_counter, returned_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ticket.id,
                ticket.branch,
                ticket.service,
                ticket.number,
                ticket.day.isoformat(),
                int(ticket.priority),
                ticket.language,
                _time(ticket.issued_at),
                ticket.status.value,
                _time(ticket.called_at),
                _time(ticket.started_at),
                _time(ticket.finished_at),
                ticket.counter,
                ticket.recalls,
                ticket.clerk,
                _time(ticket.queue_at),
                ticket.channel,
                _time(ticket.appointment_at),
                ticket.outcome,
                ticket.for_counter,
                _time(ticket.returned_at),
            ),
        )

    def update_ticket(self, ticket: TicketRecord) -> None:
        self.db.execute(
            "UPDATE tickets SET service = ?, status = ?, called_at = ?, started_at = ?,"
            " finished_at = ?, counter = ?, recalls = ?, clerk = ?, outcome = ?, for_counter = ?,"
            " queue_at = ?, returned_at = ? WHERE id = ?",
            (
                ticket.service,
                ticket.status.value,
                _time(ticket.called_at),
                _time(ticket.started_at),
                _time(ticket.finished_at),
                ticket.counter,
                ticket.recalls,
                ticket.clerk,
                ticket.outcome,
                ticket.for_counter,
                _time(ticket.queue_at),
                _time(ticket.returned_at),
                ticket.id,
            ),
        )

    def save_counter(self, counter: CounterRecord) -> None:
        self.db.execute(
            "INSERT INTO counters (branch, id, state, day, clerk) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (branch, id) DO UPDATE SET state = excluded.state, day = excluded.day,"
            " clerk = excluded.clerk",
            (
                counter.branch,
                counter.id,
                counter.state.value,
                counter.day.isoformat() if counter.day else None,
                counter.clerk,
            ),
        )

    def append_event(self, branch: str, type: EventType, data: dict[str, Any]) -> StoredEvent:
        row = self.db.execute(
            "INSERT INTO events (branch, type, data, at) VALUES (?, ?, ?, ?) RETURNING id",
            (branch, type.value, json.dumps(data, separators=(",", ":")), data["at"]),
        ).fetchone()
        if type is EventType.DEVICE_ALERT and (alert := _readable_alert(data)) is not None:
            self.db.execute(
                "INSERT INTO latest_alerts (branch, device, part, event_id) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (branch, device, part) DO UPDATE SET event_id = excluded.event_id",
                (branch, alert.device, alert.part, row[0]),
            )
        return StoredEvent(id=int(row[0]), branch=branch, type=type, data=data)

    def remember_issue(
        self, branch: str, key: str, ticket_id: str, request: str, at: datetime
    ) -> None:
        self.db.execute(
            "INSERT INTO idempotency (branch, key, ticket_id, request, created_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (branch, key) DO UPDATE SET ticket_id = excluded.ticket_id,"
            " request = excluded.request, created_at = excluded.created_at",
            (branch, key, ticket_id, request, _time(at)),
        )

    def report(self, query: ReportQuery) -> list[ReportTally]:
        tallies = sqlite_reports.report(self.db, query)
        return with_feedback(tallies, sqlite_reports.feedback(self.db, query))

    def tickets_of_days(self, branch: str, days: Sequence[date]) -> list[TicketRecord]:
        if not days:
            return []
        rows = self.db.execute(
            f"SELECT * FROM tickets WHERE branch = ? AND day IN ({','.join('?' * len(days))})",
            [branch, *(day.isoformat() for day in days)],
        )
        return [_ticket(row) for row in rows]

    def kpi_alerts(self, branch: str) -> list[KpiState]:
        rows = self.db.execute(
            "SELECT * FROM kpi_alerts WHERE branch = ? ORDER BY since, service, kpi", (branch,)
        )
        return [
            KpiState(
                branch=branch,
                service=row["service"],
                kpi=row["kpi"],
                value=row["value"],
                threshold=row["threshold"],
                since=datetime.fromisoformat(row["since"]),
            )
            for row in rows
        ]

    def channel_tickets(self, branch: str, day: date, service: str, channel: str) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM tickets WHERE branch = ? AND day = ? AND service = ?"
            " AND channel = ?",
            (branch, day.isoformat(), service, channel),
        ).fetchone()
        return int(row[0])

    def feedback(self, branch: str, ticket_id: str) -> FeedbackRecord | None:
        row = self.db.execute(
            "SELECT * FROM feedback WHERE branch = ? AND ticket_id = ?", (branch, ticket_id)
        ).fetchone()
        if row is None:
            return None
        return FeedbackRecord(
            branch=row["branch"],
            ticket_id=row["ticket_id"],
            service=row["service"],
            counter=row["counter"],
            day=date.fromisoformat(row["day"]),
            score=row["score"],
            comment=row["comment"],
            at=datetime.fromisoformat(row["at"]),
        )

    def feedback_tallies(self, branch: str, first: date, last: date) -> list[FeedbackTally]:
        rows = self.db.execute(
            "SELECT day, service, counter, count(*) AS n, sum(score) AS total FROM feedback"
            " WHERE branch = ? AND day BETWEEN ? AND ? GROUP BY day, service, counter"
            " ORDER BY day, service, coalesce(counter, '')",
            (branch, first.isoformat(), last.isoformat()),
        )
        return [
            FeedbackTally(
                day=date.fromisoformat(row["day"]),
                service=row["service"],
                counter=row["counter"],
                count=int(row["n"]),
                total=int(row["total"]),
            )
            for row in rows
        ]

    def save_kpi_alert(self, state: KpiState) -> None:
        self.db.execute(
            "INSERT INTO kpi_alerts (branch, service, kpi, value, threshold, since)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (branch, service, kpi) DO UPDATE SET"
            " value = excluded.value, threshold = excluded.threshold, since = excluded.since",
            (
                state.branch,
                state.service,
                state.kpi,
                state.value,
                state.threshold,
                _time(state.since),
            ),
        )

    def drop_kpi_alert(self, branch: str, service: str, kpi: str) -> None:
        self.db.execute(
            "DELETE FROM kpi_alerts WHERE branch = ? AND service = ? AND kpi = ?",
            (branch, service, kpi),
        )

    def devices_seen(self, branch: str) -> list[DeviceSeen]:
        rows = self.db.execute(
            "SELECT * FROM device_presence WHERE branch = ? ORDER BY device", (branch,)
        )
        return [
            DeviceSeen(
                branch=branch,
                device=row["device"],
                app=row["app"],
                version=row["version"],
                seen_at=datetime.fromisoformat(row["seen_at"]),
            )
            for row in rows
        ]

    def save_device_seen(self, seen: DeviceSeen) -> None:
        # Fixed-width UTC strings: max() of the strings is the later instant.
        self.db.execute(
            "INSERT INTO device_presence (branch, device, app, version, seen_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (branch, device) DO UPDATE SET"
            " app = coalesce(excluded.app, app), version = coalesce(excluded.version, version),"
            " seen_at = max(seen_at, excluded.seen_at)",
            (seen.branch, seen.device, seen.app, seen.version, _time(seen.seen_at)),
        )

    # Appointments ----------------------------------------------------------------------

    def appointment(self, appointment_id: str) -> AppointmentRecord | None:
        row = self.db.execute(
            "SELECT * FROM appointments WHERE id = ?", (appointment_id,)
        ).fetchone()
        return _appointment(row) if row else None

    def appointment_by_code(self, branch: str, code: str) -> AppointmentRecord | None:
        row = self.db.execute(
            "SELECT * FROM appointments WHERE branch = ? AND code = ?", (branch, code)
        ).fetchone()
        return _appointment(row) if row else None

    def appointments_between(
        self, branch: str, start: datetime, end: datetime, service: str | None = None
    ) -> list[AppointmentRecord]:
        query = "SELECT * FROM appointments WHERE branch = ? AND start >= ? AND start < ?"
        params: list[Any] = [branch, _time(start), _time(end)]
        if service is not None:
            query += " AND service = ?"
            params.append(service)
        return [_appointment(row) for row in self.db.execute(query + " ORDER BY start", params)]

    def insert_appointment(self, appointment: AppointmentRecord) -> None:
        self.db.execute(
            "INSERT INTO appointments (branch, id, code, service, start, language, status,"
            " ticket_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                appointment.branch,
                appointment.id,
                appointment.code,
                appointment.service,
                _time(appointment.start),
                appointment.language,
                appointment.status.value,
                appointment.ticket_id,
                _time(appointment.created_at),
            ),
        )

    def update_appointment(self, appointment: AppointmentRecord) -> None:
        self.db.execute(
            "UPDATE appointments SET status = ?, ticket_id = ? WHERE branch = ? AND id = ?",
            (
                appointment.status.value,
                appointment.ticket_id,
                appointment.branch,
                appointment.id,
            ),
        )

    def mark_no_shows(self, branch: str, started_before: datetime) -> int:
        cursor = self.db.execute(
            "UPDATE appointments SET status = 'no_show'"
            " WHERE branch = ? AND status = 'booked' AND start < ?",
            (branch, _time(started_before)),
        )
        return cursor.rowcount

    def insert_feedback(self, feedback: FeedbackRecord) -> bool:
        cursor = self.db.execute(
            "INSERT INTO feedback (branch, ticket_id, service, counter, day, score, comment, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (branch, ticket_id) DO NOTHING",
            (
                feedback.branch,
                feedback.ticket_id,
                feedback.service,
                feedback.counter,
                feedback.day.isoformat(),
                feedback.score,
                feedback.comment,
                _time(feedback.at),
            ),
        )
        return cursor.rowcount == 1

    def waiting_in_order(self, branch: str, day: date, limit: int) -> list[TicketRecord]:
        rows = self.db.execute(
            "SELECT * FROM tickets WHERE branch = ? AND day = ? AND status = 'waiting'"
            " ORDER BY priority DESC, queue_at, id LIMIT ?",
            (branch, day.isoformat(), limit),
        )
        return [_ticket(row) for row in rows]

    def recent_calls(self, branch: str, day: date, limit: int) -> list[TicketRecord]:
        rows = self.db.execute(
            "SELECT * FROM tickets WHERE branch = ? AND day = ?"
            " AND status IN ('called', 'serving', 'done', 'no_show') AND called_at IS NOT NULL"
            " ORDER BY called_at DESC LIMIT ?",
            (branch, day.isoformat(), limit),
        )
        return [_ticket(row) for row in rows]


log = logging.getLogger(__name__)

#: Connections open at once at most (each costs file descriptors and a page cache).
MAX_CONNECTIONS = 16
#: Connections kept open between transactions; the rest are closed when given back.
IDLE_CONNECTIONS = 4
#: Seconds to wait for a lock or a free connection before answering 503.
BUSY_SECONDS = 10.0
#: /health commits a probe write at most this often while writes succeed.
PROBE_EVERY_SECONDS = 10.0
#: Error codes of a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB).
DAMAGED = frozenset({11, 26})


class SqliteStore:
    """The Store interface on one SQLite file."""

    def __init__(self, path: str | Path, owner: str | None = None) -> None:
        """Open (and create or upgrade) the file; with ``owner`` (a running server), also take
        ``<file>.lock`` so that no second server uses the same file."""
        self.path = Path(path).absolute()
        self._write_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._idle_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._closed = False
        self._identity: tuple[int, int] | None = None
        self._gone: str | None = None
        self._fault: str | None = None
        self._damaged: str | None = None
        self._probed = -PROBE_EVERY_SECONDS
        self._lock_file: int | None = None
        try:
            if not self.path.parent.is_dir():
                # Creating folders would hide a mistyped path (sqlite:///var/... is relative).
                raise StoreUnavailable(
                    f"cannot open the database {self.path}: the folder {self.path.parent} does"
                    " not exist; create it first (sqlite:///relative/path.db is relative to the"
                    " working directory, sqlite:////absolute/path.db is absolute)"
                )
            if owner is not None:
                self._lock_file = _take_lock(self.path, owner)
            self._migrate()
            stat = os.stat(self.path)
            self._identity = (stat.st_dev, stat.st_ino)
        except (sqlite3.Error, OSError) as exc:
            self.close()
            raise StoreUnavailable(f"cannot open the database {self.path}: {exc}") from exc
        except BaseException:
            self.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        if self._identity is not None:
            self._check_file()
        # Once the file exists, never create it again: a new, empty file in place of a deleted
        # one would start numbering at 001 again.
        mode = "rw" if self._identity is not None else "rwc"
        db = sqlite3.connect(
            f"file:{quote(str(self.path))}?mode={mode}",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=BUSY_SECONDS,
        )
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            db.close()
            raise
        return db

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A connection for one transaction, from a small pool: threads come and go (the server's
        thread pool retires idle ones), so a connection per thread leaked files and memory."""
        if not self._slots.acquire(timeout=BUSY_SECONDS):
            raise StoreUnavailable(f"every connection to {self.path} stayed busy")
        db: sqlite3.Connection | None = None
        try:
            with self._idle_lock:
                db = self._idle.pop() if self._idle else None
            if db is None:
                try:
                    db = self._connect()
                except sqlite3.Error as exc:
                    raise StoreUnavailable(f"cannot open the database {self.path}: {exc}") from exc
            yield db
        finally:
            if db is not None:
                self._give_back(db)
            self._slots.release()

    def _give_back(self, db: sqlite3.Connection) -> None:
        try:
            _rollback(db)
        except sqlite3.Error:
            db.close()
            return
        with self._idle_lock:
            if not self._closed and len(self._idle) < IDLE_CONNECTIONS:
                self._idle.append(db)
                return
        db.close()

    def _check_file(self) -> None:
        """Refuse once the file was deleted or replaced: whatever is written after that is lost
        at the next start (one ``stat``, so cheap enough before every write)."""
        if self._gone is None:
            try:
                stat = os.stat(self.path)
            except FileNotFoundError:
                what = "deleted"
            except OSError as exc:
                raise StoreUnavailable(f"cannot reach the database {self.path}: {exc}") from exc
            else:
                if (stat.st_dev, stat.st_ino) == self._identity:
                    return
                what = "replaced by another file"
            with self._idle_lock:
                first = self._gone is None
                self._gone = (
                    f"the database file {self.path} was {what} while the server ran: writes are"
                    " refused, as they would be lost; put the file back and restart the server"
                )
            if first:
                log.error("%s", self._gone)
        raise StoreUnavailable(self._gone)

    def _note_fault(self, exc: sqlite3.Error) -> None:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF in DAMAGED:
            # A damaged page does not heal: health stays 503 until the file is restored.
            self._damaged = str(exc)
        self._fault = str(exc)

    def _migrate(self) -> None:
        with self._write_lock, self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                row = db.execute("SELECT max(version) FROM schema_version").fetchone()
                current = row[0] or 0
                if current > SCHEMA_VERSION:
                    raise StoreUnavailable(
                        f"{self.path} was written by a newer Turnero (schema {current}); "
                        "upgrade this server"
                    )
                for version in sorted(v for v in MIGRATIONS if current < v <= SCHEMA_VERSION):
                    for statement in MIGRATIONS[version].split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
                db.execute("COMMIT")
            except BaseException:
                _rollback(db)
                raise

    @contextmanager
    def read(self) -> Iterator[SqliteTx]:
        """A snapshot for reading; a database failing under it is StoreUnavailable (a 503)."""
        with self._connection() as db:
            self._begin(db, "BEGIN")
            try:
                yield SqliteTx(db)
            except sqlite3.DatabaseError as exc:
                if not _storage_fault(exc):
                    raise
                self._note_fault(exc)
                raise StoreUnavailable(f"cannot read {self.path}: {exc}") from exc
            # Nothing was written: the connection's return ends the snapshot.

    @contextmanager
    def write(self) -> Iterator[SqliteTx]:
        """A serialised write transaction, on disk when the block ends; then its callbacks."""
        with self._write_lock:
            self._check_file()
            with self._connection() as db:
                self._begin(db, "BEGIN IMMEDIATE")
                tx = SqliteTx(db)
                try:
                    yield tx
                    db.execute("COMMIT")
                except sqlite3.DatabaseError as exc:
                    # Disk full, I/O error, read-only or damaged file: a 503 with its sentence,
                    # not a 500 (an IntegrityError would be a bug of ours, and stays one).
                    _rollback(db)
                    if not _storage_fault(exc):
                        raise
                    self._note_fault(exc)
                    raise StoreUnavailable(f"cannot write to {self.path}: {exc}") from exc
                except BaseException:
                    _rollback(db)
                    raise
                self._fault = None
            # Still under the lock: events reach the hub in commit order.
            for callback in tx.committed:
                callback()

    def _begin(self, db: sqlite3.Connection, begin: str) -> None:
        try:
            db.execute(begin)
        except sqlite3.Error as exc:
            if _storage_fault(exc):
                self._note_fault(exc)
            raise StoreUnavailable(f"cannot use the database {self.path}: {exc}") from exc

    def events_after(self, branch: str, after: int, limit: int = 1000) -> list[StoredEvent]:
        with self.read() as tx:
            rows = tx.db.execute(
                "SELECT * FROM events WHERE branch = ? AND id > ? ORDER BY id LIMIT ?",
                (branch, after, limit),
            )
            return [_event(row) for row in rows]

    def replay_horizon(self, branch: str) -> int:
        with self.read() as tx:
            return tx._horizon(branch)

    def prune(self, before: datetime) -> None:
        cutoff = _time(before)
        with self.write() as tx:
            tx.db.execute("DELETE FROM idempotency WHERE created_at < ?", (cutoff,))
            pruned = tx.db.execute(
                "SELECT branch, max(id) FROM events WHERE at < ? GROUP BY branch", (cutoff,)
            ).fetchall()
            for branch, top in pruned:
                tx.db.execute(
                    "INSERT INTO event_horizon (branch, pruned_up_to) VALUES (?, ?)"
                    " ON CONFLICT (branch) DO UPDATE SET pruned_up_to = excluded.pruned_up_to",
                    (branch, top),
                )
                tx.db.execute("DELETE FROM events WHERE branch = ? AND id <= ?", (branch, top))

    def ping(self) -> None:
        """Raise StoreUnavailable unless the file is the one opened, answers and takes writes."""
        self._check_file()
        if self._damaged is not None:
            raise StoreUnavailable(f"the database {self.path} is damaged: {self._damaged}")
        with self.read() as tx:
            # Reads the file itself: a bare SELECT 1 would not notice it gone or unreadable.
            tx.db.execute("SELECT max(version) FROM schema_version").fetchone()
        if self._fault is None and time.monotonic() - self._probed < PROBE_EVERY_SECONDS:
            return
        # A real commit (of the header's user_version, which Turnero does not use otherwise):
        # reads alone pass on a read-only or full disk while every write fails.
        with self.write() as tx:
            version = int(tx.db.execute("PRAGMA user_version").fetchone()[0])
            tx.db.execute(f"PRAGMA user_version = {(version + 1) % 2**31}")
        self._probed = time.monotonic()

    def close(self) -> None:
        with self._idle_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()
        if self._lock_file is not None:
            _release_lock(self._lock_file)
            self._lock_file = None


def _storage_fault(exc: sqlite3.Error) -> bool:
    """Disk full, I/O error, read-only, locked or damaged file: the store's fault, not ours."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def _take_lock(path: Path, owner: str) -> int:
    """Lock ``<path>.lock`` for this process and write ``owner`` in it; the kernel releases the
    lock when the process ends, however it ends, so a stale file is simply taken over."""
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 1024, 0).decode("utf-8", "replace").strip()
        os.close(fd)
        raise StoreUnavailable(
            f"the database {path} is in use by another Turnero server"
            f" ({holder or 'starting'}; lock file {lock_path}): stop that server first, or give"
            " this one a database of its own"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    previous = os.pread(fd, 1024, 0).decode("utf-8", "replace").strip()
    if previous:
        log.warning(
            "taking over %s from a server that ended without releasing it (%s)", lock_path, previous
        )
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{owner}\n".encode(), 0)
    return fd


def _release_lock(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
    os.close(fd)
