"""Reports on the PostgreSQL store: one SQL statement per report, aggregated in the database.

Percentiles are ``percentile_disc``, which is the nearest rank (``ceil(share * n)``, as
``queue_api.stats.percentile``); both of the waits come from one sort (an array of shares).
Times are counted in integer microseconds, as the SQLite store does, so both stores give the
same figures. Migration 9's ``tickets_report`` index holds every column a report reads: a
report is an index-only scan of its branches and days.
"""

from __future__ import annotations

from typing import Any

import psycopg

from queue_api.reports import GROUPINGS, PERCENTILES, TOTAL, ReportQuery, ReportTally

MIGRATION = """
    CREATE INDEX tickets_report ON tickets (branch, day) INCLUDE (service, status, queue_at,
        called_at, started_at, finished_at, issued_at, counter, clerk, channel, outcome);
"""
"""Migration 9: a covering index for reports."""


WORK_MEM = "64MB"
"""Memory for the sorts of one report (percentiles, grouping)."""


def _micros_between(later: str, earlier: str) -> str:
    # date_part is float8: exact to the microsecond for spans of days (rounded back to an
    # integer), and far faster than extract(), whose numeric made most of a report's time.
    return f"round(date_part('epoch', {later} - {earlier}) * 1000000)::bigint"


WAIT_US = (
    "CASE WHEN t.called_at IS NOT NULL"
    f" THEN greatest({_micros_between('t.called_at', 't.queue_at')}, 0) END"
)
SERVICE_US = (
    "CASE WHEN t.status = 'done' AND t.finished_at IS NOT NULL"
    " AND coalesce(t.started_at, t.called_at) IS NOT NULL"
    f" THEN greatest({_micros_between('t.finished_at', 'coalesce(t.started_at, t.called_at)')},"
    " 0) END"
)


def _key(query: ReportQuery, params: list[Any]) -> str:
    if query.by == TOTAL:
        return "NULL::text"
    if query.by == "hour":
        params.append(query.zone)
        return "to_char(t.issued_at AT TIME ZONE %s, 'HH24') || ':00'"
    if query.by == "day":
        return "to_char(t.day, 'YYYY-MM-DD')"
    if query.by not in GROUPINGS:  # it becomes a column name: never anything else
        raise ValueError(f"unknown grouping {query.by!r}")
    return f"t.{query.by}::text"  # service, counter, clerk, channel, outcome: a column each


def _scope(query: ReportQuery, params: list[Any]) -> str:
    params += [list(query.branches), query.first, query.last]
    return " WHERE t.branch = ANY(%s) AND t.day BETWEEN %s AND %s"


def report(conn: psycopg.Connection[dict[str, Any]], query: ReportQuery) -> list[ReportTally]:
    """The tallies of ``query``, one per branch and key (one in all for TOTAL)."""
    if not query.branches:
        return []
    params: list[Any] = [
        [t[0] for t in query.targets],
        [t[1] for t in query.targets],
        [t[2] * 1_000_000 for t in query.targets],
    ]
    branch = "NULL::text" if query.by == TOTAL else "t.branch::text"
    key = _key(query, params)
    scope = _scope(query, params)
    low, high = PERCENTILES
    params += [[low, high], high]
    sql = f"""
    WITH targets AS (
        SELECT * FROM unnest(%s::text[], %s::text[], %s::bigint[])
            AS g(branch, service, target_us)
    ),
    scope AS (
        SELECT {branch} AS b, {key} AS k, t.status, {WAIT_US} AS w, {SERVICE_US} AS s,
               g.target_us AS target
        FROM tickets AS t
        LEFT JOIN targets AS g ON g.branch = t.branch AND g.service = t.service
        {scope}
    )
    SELECT b, k, count(*) AS issued,
        count(*) FILTER (WHERE status = 'done') AS served,
        count(*) FILTER (WHERE status = 'no_show') AS no_shows,
        count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
        count(w) AS waits,
        coalesce(sum(w), 0)::bigint AS wait_total_us,
        percentile_disc(%s::float8[]) WITHIN GROUP (ORDER BY w) AS wait_percentiles,
        count(target) FILTER (WHERE w IS NOT NULL) AS with_target,
        count(*) FILTER (WHERE w <= target) AS within_target,
        count(s) AS services,
        coalesce(sum(s), 0)::bigint AS service_total_us,
        percentile_disc(%s::float8) WITHIN GROUP (ORDER BY s) AS service_p90_us
    FROM scope GROUP BY b, k
    """
    # Sorts of a month of many branches spill to disk at the default 4 MB; this transaction
    # only (SET LOCAL), so the connection goes back to the pool as it was.
    conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")  # type: ignore[arg-type]
    tallies = []
    for row in conn.execute(sql, params):  # type: ignore[arg-type]
        p50, p90 = row.pop("wait_percentiles") or (None, None)
        tallies.append(
            ReportTally(
                branch=row.pop("b"), key=row.pop("k"), wait_p50_us=p50, wait_p90_us=p90, **row
            )
        )
    return tallies


def feedback(
    conn: psycopg.Connection[dict[str, Any]], query: ReportQuery
) -> dict[tuple[str | None, str | None], tuple[int, int]]:
    """``(count, total score)`` of the citizens' feedback per branch and key."""
    if not query.branches:
        return {}
    params: list[Any] = []
    branch = "NULL::text" if query.by == TOTAL else "t.branch::text"
    key = _key(query, params)
    scope = _scope(query, params)
    rows = conn.execute(
        f"SELECT {branch} AS b, {key} AS k, count(f.score) AS n,"  # type: ignore[arg-type]
        " coalesce(sum(f.score), 0) AS total"
        " FROM feedback AS f JOIN tickets AS t ON t.branch = f.branch AND t.id = f.ticket_id"
        f" {scope} GROUP BY 1, 2",
        params,
    )
    return {(r["b"], r["k"]): (int(r["n"]), int(r["total"])) for r in rows}
