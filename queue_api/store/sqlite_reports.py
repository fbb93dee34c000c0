"""Reports on the SQLite store: one SQL statement per report, aggregated in the database.

SQLite has no percentile function: each group's values are ranked with ``row_number()`` and
the one at the nearest rank is picked (``reports.percentile_rank`` in SQL). Waits, service
times and issue times come from generated columns of migration 9, kept in the
``tickets_report`` index, so a report reads that index alone.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from queue_api.reports import GROUPINGS, PERCENTILES, TOTAL, ReportQuery, ReportTally, utc_offsets


def micros(column: str) -> str:
    """SQL for a stored time as integer microseconds since 1970. Times are stored as UTC ISO
    text of one width (``2026-03-10T15:00:00.000000+00:00``): seconds, then the fraction."""
    return (
        f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000"
        f" + CAST(substr({column}, 21, 6) AS INTEGER))"
    )


# Exact integers, as PostgreSQL computes them: the two stores agree to the microsecond.
WAIT_US = (
    f"CASE WHEN called_at IS NOT NULL THEN max({micros('called_at')} - {micros('queue_at')}, 0) END"
)
SERVICE_US = (
    "CASE WHEN status = 'done' AND finished_at IS NOT NULL"
    " AND coalesce(started_at, called_at) IS NOT NULL"
    f" THEN max({micros('finished_at')} - {micros('coalesce(started_at, called_at)')}, 0) END"
)
ISSUED_S = "CAST(strftime('%s', substr(issued_at, 1, 19)) AS INTEGER)"

MIGRATION = f"""
    ALTER TABLE tickets ADD COLUMN wait_us INTEGER GENERATED ALWAYS AS ({WAIT_US}) VIRTUAL;
    ALTER TABLE tickets ADD COLUMN service_us INTEGER GENERATED ALWAYS AS ({SERVICE_US}) VIRTUAL;
    ALTER TABLE tickets ADD COLUMN issued_s INTEGER GENERATED ALWAYS AS ({ISSUED_S}) VIRTUAL;
    CREATE INDEX tickets_report ON tickets (branch, day, service, status, wait_us, service_us,
        issued_s, counter, clerk, channel, outcome);
"""
"""Migration 9: what a report reads, computed once per ticket and kept in one index."""


def _local_hour(query: ReportQuery, params: list[Any]) -> str:
    spans = utc_offsets(query.zone, query.first, query.last)
    offset = "?"
    if len(spans) > 1:
        offset = "CASE"
        for since, seconds in reversed(spans[1:]):
            offset += " WHEN t.issued_s >= ? THEN ?"
            params += [since, seconds]
        offset += " ELSE ? END"
    params.append(spans[0][1])
    return f"printf('%02d:00', ((t.issued_s + {offset}) % 86400) / 3600)"


def _key(query: ReportQuery, params: list[Any]) -> str:
    if query.by == TOTAL:
        return "NULL"
    if query.by == "hour":
        return _local_hour(query, params)
    if query.by not in GROUPINGS:  # it becomes a column name: never anything else
        raise ValueError(f"unknown grouping {query.by!r}")
    return f"t.{query.by}"  # service, counter, clerk, day, channel, outcome: a column each


def _scope(query: ReportQuery, params: list[Any]) -> str:
    params += [*query.branches, query.first.isoformat(), query.last.isoformat()]
    return f" WHERE t.branch IN ({', '.join('?' * len(query.branches))}) AND t.day BETWEEN ? AND ?"


def _rank(count: str, params: list[Any], share: float) -> str:
    # reports.percentile_rank: max(ceil(share * n), 1), with the float product Python takes.
    params += [share, share, share]
    return f"max(CAST(? * {count} AS INTEGER) + (? * {count} > CAST(? * {count} AS INTEGER)), 1)"


def _target(query: ReportQuery, params: list[Any]) -> str:
    """SQL for the target wait (µs) of a ticket's service: a CASE per branch, then per service.
    (A join with a table of targets was scanned once per ticket: most of a report's time.)"""
    by_branch: dict[str, list[tuple[str, int]]] = {}
    for branch, service, seconds in query.targets:
        by_branch.setdefault(branch, []).append((service, seconds * 1_000_000))
    if not by_branch:
        return "NULL"
    sql = "CASE t.branch"
    for branch, services in by_branch.items():
        sql += " WHEN ? THEN CASE t.service" + " WHEN ? THEN ?" * len(services) + " END"
        params.append(branch)
        for service, micros in services:
            params += [service, micros]
    return sql + " END"


def report(db: sqlite3.Connection, query: ReportQuery) -> list[ReportTally]:
    """The tallies of ``query``, one per branch and key (one in all for TOTAL)."""
    if not query.branches:
        return []
    params: list[Any] = []
    target = _target(query, params)
    branch = "NULL" if query.by == TOTAL else "t.branch"
    key = _key(query, params)
    scope = _scope(query, params)
    low, high = PERCENTILES
    # Each percentile is one sort: the values of a group ranked, the one at the nearest rank
    # picked, knowing the group's size from ``totals`` (a window count would be a second sort).
    sql = f"""
    WITH scope AS MATERIALIZED (
        SELECT {target} AS target, {branch} AS b, {key} AS k, t.status AS status,
               t.wait_us AS w, t.service_us AS s
        FROM tickets AS t
        {scope}
    ),
    totals AS MATERIALIZED (
        SELECT b, k, count(*) AS issued,
            sum(status = 'done') AS served,
            sum(status = 'no_show') AS no_shows,
            sum(status = 'cancelled') AS cancelled,
            count(w) AS waits,
            coalesce(sum(w), 0) AS wait_total_us,
            count(CASE WHEN w IS NOT NULL THEN target END) AS with_target,
            coalesce(sum(w <= target), 0) AS within_target,
            count(s) AS services,
            coalesce(sum(s), 0) AS service_total_us
        FROM scope GROUP BY b, k
    ),
    waits AS (
        SELECT b, k, w, row_number() OVER (PARTITION BY b, k ORDER BY w) AS r
        FROM scope WHERE w IS NOT NULL
    ),
    wait_ranks AS (
        SELECT waits.b, waits.k,
            max(CASE WHEN r = n.p50 THEN w END) AS p50,
            max(CASE WHEN r = n.p90 THEN w END) AS p90
        FROM waits JOIN (
            SELECT b, k, {_rank("waits", params, low)} AS p50,
                {_rank("waits", params, high)} AS p90 FROM totals
        ) AS n ON n.b IS waits.b AND n.k IS waits.k AND waits.r IN (n.p50, n.p90)
        GROUP BY waits.b, waits.k
    ),
    desk AS (
        SELECT b, k, s, row_number() OVER (PARTITION BY b, k ORDER BY s) AS r
        FROM scope WHERE s IS NOT NULL
    ),
    desk_ranks AS (
        SELECT desk.b, desk.k, max(s) AS p90
        FROM desk JOIN (
            SELECT b, k, {_rank("services", params, high)} AS p90 FROM totals
        ) AS n ON n.b IS desk.b AND n.k IS desk.k AND desk.r = n.p90
        GROUP BY desk.b, desk.k
    )
    SELECT totals.*, w.p50 AS wait_p50_us, w.p90 AS wait_p90_us, d.p90 AS service_p90_us
    FROM totals
    LEFT JOIN wait_ranks AS w ON w.b IS totals.b AND w.k IS totals.k
    LEFT JOIN desk_ranks AS d ON d.b IS totals.b AND d.k IS totals.k
    """
    return [
        ReportTally(branch=row[0], key=row[1], **{k: row[k] for k in row.keys()[2:]})
        for row in db.execute(sql, params)
    ]


def feedback(
    db: sqlite3.Connection, query: ReportQuery
) -> dict[tuple[str | None, str | None], tuple[int, int]]:
    """``(count, total score)`` of the citizens' feedback per branch and key."""
    if not query.branches:
        return {}
    params: list[Any] = []
    branch = "NULL" if query.by == TOTAL else "t.branch"
    key = _key(query, params)
    scope = _scope(query, params)
    rows = db.execute(
        f"SELECT {branch}, {key}, count(f.score), coalesce(sum(f.score), 0)"
        " FROM feedback AS f JOIN tickets AS t ON t.branch = f.branch AND t.id = f.ticket_id"
        f" {scope} GROUP BY 1, 2",
        params,
    )
    return {(row[0], row[1]): (int(row[2]), int(row[3])) for row in rows}
