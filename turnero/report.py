"""``turnero report``: a report over a date range from the shell, as a table or a CSV file.

It asks the server (``GET /api/v1/reports``) with the device file's token, a supervisor's or
an admin's; the server checks the dates and the grouping and says what is wrong.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.table import Table

    from queue_api.schema import Report, ReportRow

GROUPINGS_HELP = "service, counter, clerk, hour, day, channel or outcome"


def duration(seconds: float | None) -> str:
    """``seconds`` as minutes and seconds (``12:05``), or a dash for no value."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def share(value: float | None) -> str:
    """A share as a whole percentage, or a dash."""
    return "–" if value is None else f"{value:.0%}"


def _cells(row: ReportRow, branch: str, key: str) -> list[str]:
    return [
        branch,
        key,
        str(row.issued),
        str(row.served),
        str(row.no_shows),
        str(row.cancelled),
        duration(row.mean_wait_seconds),
        duration(row.p50_wait_seconds),
        duration(row.p90_wait_seconds),
        duration(row.mean_service_seconds),
        duration(row.p90_service_seconds),
        share(row.within_target_share),
        "–" if row.feedback_mean is None else f"{row.feedback_mean:.1f} ({row.feedback_count})",
    ]


HEADERS = (
    "issued",
    "served",
    "no-shows",
    "cancelled",
    "mean wait",
    "p50 wait",
    "p90 wait",
    "mean service",
    "p90 service",
    "within target",
    "feedback",
)


def report_table(report: Report) -> Table:
    """The report as a rich table: one row per branch and group, the total last."""
    from rich.table import Table

    table = Table(
        title=f"{report.from_day} – {report.to_day}, by {report.by}",
        caption=f"times in minutes:seconds; hours in {report.timezone}",
    )
    table.add_column("branch")
    table.add_column(report.by)
    for header in HEADERS:
        table.add_column(header, justify="right")
    for row in report.rows:
        table.add_row(*_cells(row, row.branch or "", row.key or "(none)"))
    table.add_section()
    table.add_row(*_cells(report.total, "total", ""), style="bold")
    return table


async def _fetch(
    url: str, token: str, first: str, last: str, by: str, branch: str | None, csv: Path | None
) -> tuple[Report, bytes | None]:
    from queue_api.client import QueueClient

    async with QueueClient(url, token) as client:
        report = await client.report(first, last, by, branch=branch)
        saved = await client.report_csv(first, last, by, branch=branch) if csv else None
    return report, saved


def report(
    first: Annotated[str, typer.Option("--from", help="First business day, YYYY-MM-DD.")],
    last: Annotated[str, typer.Option("--to", help="Last business day, YYYY-MM-DD.")],
    config: Annotated[
        Path,
        typer.Option(
            "--config",
            "-c",
            envvar="TURNERO_CONFIG",
            help="Device file with a supervisor's or admin's token.",
        ),
    ] = Path("turnero.toml"),
    by: Annotated[str, typer.Option(help=f"Group by {GROUPINGS_HELP}.")] = "service",
    branch: Annotated[
        str | None, typer.Option(help="One branch (default: every branch the token reads).")
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Also save the report as CSV in this file.")
    ] = None,
) -> None:
    """Show KPIs over a range of business days, grouped by BY; optionally save them as CSV."""
    from rich.console import Console

    from queue_api.client import ApiError, Unreachable
    from turnero.cli import _device, fail

    path, device = _device(config)
    try:
        found, saved = asyncio.run(
            _fetch(device.base_url, device.server.token, first, last, by, branch, csv)
        )
    except ApiError as exc:
        raise fail(f"the server refused the report ({exc.status}): {exc.detail}") from None
    except Unreachable:
        raise fail(
            f"cannot reach the server at {device.base_url} (from {path}): is it running?"
        ) from None
    if csv is not None and saved is not None:
        try:
            csv.write_bytes(saved)
        except OSError as exc:
            raise fail(f"cannot save {csv}: {exc.strerror or exc}") from None
    console = Console()
    console.print(report_table(found))
    if csv is not None:
        console.print(f"Saved as {csv} (CSV, UTF-8).")
