"""The office side of reports: which tickets a report covers and the figures the store counts
for them (``queue_api.reports`` for the rules, the store for the SQL)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date

from queue_api.office import Office
from queue_api.reports import (
    TOTAL,
    ReportQuery,
    ReportTally,
    figures,
    sorted_tallies,
)
from queue_api.schema import Report, ReportRow


def report_figures(
    office: Office, branches: Sequence[str], first: date, last: date, by: str
) -> tuple[list[ReportRow], ReportRow]:
    """The rows and the total of a report over ``branches`` (known to ``office``), already
    validated (``reports.check_range``, ``reports.check_grouping``)."""
    configured = [office.branch_config(b) for b in branches]
    query = ReportQuery(
        branches=tuple(b.id for b in configured),
        first=first,
        last=last,
        by=by,
        targets=tuple(
            (b.id, s.id, s.target_wait_minutes * 60) for b in configured for s in b.services
        ),
        zone=office.config.server.timezone,
    )
    # One snapshot: the rows and the total add up even while tickets are being served.
    with office.store.read() as tx:
        tallies = tx.report(query)
        totals = tx.report(dataclasses.replace(query, by=TOTAL))
    # No ticket at all: no group, and a total of zeros.
    total = totals[0] if totals else ReportTally(branch=None, key=None)
    return [figures(t) for t in sorted_tallies(tallies)], figures(total)


def wire_report(
    office: Office,
    branches: Sequence[str],
    first: date,
    last: date,
    by: str,
    found: tuple[list[ReportRow], ReportRow],
) -> Report:
    """The report as the API answers it, from ``report_figures``' answer ``found``."""
    rows, total = found
    return Report(
        branches=list(branches),
        from_day=first.isoformat(),
        to_day=last.isoformat(),
        by=by,
        timezone=office.config.server.timezone,
        rows=rows,
        total=total,
    )
