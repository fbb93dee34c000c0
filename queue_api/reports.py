"""Reports over a date range (API.md v1 additions, ``GET /api/v1/reports``): what to ask the
store, what it answers, and the rules that turn its tallies into figures.

Pure: no I/O, no clock. The stores count in exact integers (microseconds), so SQLite and
PostgreSQL give the same figures to the last digit; the means, shares and roundings are made
here, once, from those integers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from queue_api.schema import ReportRow

GROUPINGS = ("service", "counter", "clerk", "hour", "day", "channel", "outcome")
"""What a report may be grouped by (API.md)."""
TOTAL = "total"
"""The grouping of the report's one total row: every ticket of the range together."""
MAX_DAYS = 366
"""The longest range one report covers: a year, leap or not."""
PERCENTILES = (0.5, 0.9)
"""The shares of the wait percentiles; service time has the 0.9 one only."""

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadReport(ValueError):
    """The report asked for cannot be made; the message says what to send instead."""


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(9998, 12, 31)
"""The days a report may name: local hours need a day's margin either side of the range, and
times after 1970 (SQLite's local hour is arithmetic on Unix times)."""


def parse_day(name: str, text: str) -> date:
    """``text`` as an ISO date (``YYYY-MM-DD``), or BadReport naming the parameter ``name``."""
    if _ISO_DAY.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            if FIRST_DAY <= day <= LAST_DAY:
                return day
            raise BadReport(f"{name}: {text} is out of range: a day from {FIRST_DAY} to {LAST_DAY}")
    raise BadReport(f"{name}: expected a date as YYYY-MM-DD (e.g. 2026-03-01), got {text!r}")


def check_range(first: date, last: date) -> None:
    """BadReport unless ``first`` to ``last`` (inclusive) is a range of 1 to MAX_DAYS days."""
    if last < first:
        raise BadReport(f"to ({last}) is before from ({first}): swap them")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise BadReport(
            f"from {first} to {last} is {days} days: a report covers at most {MAX_DAYS};"
            " ask for one year at a time"
        )


def check_grouping(by: str) -> str:
    """``by`` if it is one of GROUPINGS, else BadReport listing them."""
    if by not in GROUPINGS:
        raise BadReport(f"by: unknown grouping {by!r}; expected one of {', '.join(GROUPINGS)}")
    return by


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """One report as a store computes it: tickets of ``branches`` whose business day is in
    ``first``..``last``, grouped by branch and ``by`` (or all together for TOTAL)."""

    branches: tuple[str, ...]
    first: date
    last: date
    by: str
    #: ``(branch, service, target wait in seconds)`` for the share within target.
    targets: tuple[tuple[str, str, int], ...]
    #: The office's time zone (IANA name): ``hour`` is the local hour of issue.
    zone: str = "UTC"


@dataclass(frozen=True, slots=True)
class ReportTally:
    """What a store counts for one group, in exact integers (times in microseconds).

    ``waits`` counts the tickets called (each has a wait), ``services`` the finished ones
    with a service time; the percentiles are nearest rank, as ``queue_api.stats.percentile``.
    """

    branch: str | None
    key: str | None
    issued: int = 0
    served: int = 0
    no_shows: int = 0
    cancelled: int = 0
    waits: int = 0
    wait_total_us: int = 0
    wait_p50_us: int | None = None
    wait_p90_us: int | None = None
    #: Waits of a service with a known target, and how many of them were within it.
    with_target: int = 0
    within_target: int = 0
    services: int = 0
    service_total_us: int = 0
    service_p90_us: int | None = None
    feedback_count: int = 0
    feedback_total: int = 0


def _seconds(microseconds: int | None) -> float | None:
    return None if microseconds is None else round(microseconds / 1_000_000, 1)


def _mean_seconds(total_us: int, count: int) -> float | None:
    return round(total_us / count / 1_000_000, 1) if count else None


def figures(tally: ReportTally) -> ReportRow:
    """The readable figures of ``tally``: means and percentiles to a tenth of a second, the
    share within target as a fraction, the feedback mean to a hundredth."""
    return ReportRow(
        branch=tally.branch,
        key=tally.key,
        issued=tally.issued,
        served=tally.served,
        no_shows=tally.no_shows,
        cancelled=tally.cancelled,
        mean_wait_seconds=_mean_seconds(tally.wait_total_us, tally.waits),
        p50_wait_seconds=_seconds(tally.wait_p50_us),
        p90_wait_seconds=_seconds(tally.wait_p90_us),
        mean_service_seconds=_mean_seconds(tally.service_total_us, tally.services),
        p90_service_seconds=_seconds(tally.service_p90_us),
        within_target_share=(
            tally.within_target / tally.with_target if tally.with_target else None
        ),
        feedback_mean=(
            round(tally.feedback_total / tally.feedback_count, 2) if tally.feedback_count else None
        ),
        feedback_count=tally.feedback_count,
    )


def _order(tally: ReportTally) -> tuple[str, bool, str]:
    # Tickets without a value (no clerk, no outcome) after the others, within their branch.
    return (tally.branch or "", tally.key is None, tally.key or "")


def sorted_tallies(tallies: Iterable[ReportTally]) -> list[ReportTally]:
    """By branch, then key (ISO days and ``HH:00`` hours sort as text), missing keys last:
    one order whatever the database's collation."""
    return sorted(tallies, key=_order)


def with_feedback(
    tallies: Iterable[ReportTally], feedback: dict[tuple[str | None, str | None], tuple[int, int]]
) -> list[ReportTally]:
    """``tallies`` with the ``(count, total score)`` of ``feedback`` per (branch, key)."""
    merged = []
    for tally in tallies:
        count, total = feedback.get((tally.branch, tally.key), (0, 0))
        merged.append(replace(tally, feedback_count=count, feedback_total=total))
    return merged


def percentile_rank(count: int, share: float) -> int:
    """The 1-based rank of the nearest-rank percentile among ``count`` sorted values: the
    stores pick the value at this rank (``stats.percentile`` in SQL)."""
    rank = share * count
    return max(int(rank) + (rank > int(rank)), 1)


def utc_offsets(zone: str, first: date, last: date) -> list[tuple[int, int]]:
    """The UTC offsets (seconds) of ``zone`` from ``first`` to ``last``: ``(since, offset)``
    pairs, ``since`` a Unix time, the first pair from the range's start (a day's margin each
    side). SQLite has no time zones: its query turns a time into a local hour with these."""
    tz = ZoneInfo(zone)
    start = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()) - 86400
    end = int(datetime(last.year, last.month, last.day, tzinfo=UTC).timestamp()) + 2 * 86400

    def offset(moment: int) -> int:
        found = datetime.fromtimestamp(moment, tz).utcoffset()
        return int(found.total_seconds()) if found else 0

    spans = [(start, offset(start))]
    step = 6 * 3600  # zones change at most once in six hours
    for moment in range(start, end, step):
        if offset(moment + step) != spans[-1][1]:
            # Bisect to the second the offset changes.
            low, high = moment, moment + step
            while high - low > 1:
                middle = (low + high) // 2
                if offset(middle) == spans[-1][1]:
                    low = middle
                else:
                    high = middle
            spans.append((high, offset(high)))
    return spans


CSV_COLUMNS = (
    "mean_wait_seconds",
    "p50_wait_seconds",
    "p90_wait_seconds",
    "mean_service_seconds",
    "p90_service_seconds",
    "within_target_share",
    "feedback_mean",
    "feedback_count",
)
ALL_BRANCHES = "*"
"""The branch cell of the CSV's total row (as a supervisor's ``branches = ["*"]``)."""


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 4)
    return value


def to_csv(first: date, last: date, by: str, rows: Sequence[ReportRow], total: ReportRow) -> str:
    """The report as CSV for a spreadsheet: a UTF-8 byte order mark (so Excel reads it as
    UTF-8), one header row, ISO dates, ``.`` decimals, empty cells for no value, and the total
    last with ``*`` as its branch."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        ["from", "to", "branch", by, "issued", "served", "no_shows", "cancelled", *CSV_COLUMNS]
    )
    for row in [*rows, total]:
        writer.writerow(
            [
                first.isoformat(),
                last.isoformat(),
                row.branch if row is not total else ALL_BRANCHES,
                _cell(row.key),
                row.issued,
                row.served,
                row.no_shows,
                row.cancelled,
                *(_cell(getattr(row, column)) for column in CSV_COLUMNS),
            ]
        )
    return out.getvalue()


def csv_name(first: date, last: date, by: str) -> str:
    """The file name a saved report gets unless someone names it."""
    return f"report-{first.isoformat()}-{last.isoformat()}-{by}.csv"
