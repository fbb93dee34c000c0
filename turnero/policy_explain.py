"""``turnero policy --config office.toml --explain``: who each counter would call next under the
office file's ``[branches.policy]``, and why, for the queue of the running server (or, when it
cannot be read, a built-in sample queue), so that an office sees a policy before adopting it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from queue_api.config import BranchConfig, OfficeConfig, PolicyConfig
    from queue_api.engine import TicketRecord

DEFAULT_URL = "http://127.0.0.1:8000"
SHOWN_AFTER = 3
"""How many tickets after the next one each counter's line shows."""


def describe_policy(policy: PolicyConfig) -> str:
    """The policy's keys in one line, as an operator writes them."""
    priority = policy.priority_head_start_minutes
    return (
        f"priority_head_start_minutes = {priority}"
        + (" (always first)" if priority == -1 else "")
        + f", first_service_head_start_minutes = {policy.first_service_head_start_minutes}"
        + f", return_after = {policy.return_after}"
    )


def sample_queue(branch: BranchConfig, now: datetime) -> list[TicketRecord]:
    """A small morning queue over the branch's services: ordinary tickets, a priority one where
    the service has a priority line, and a no-show back from being late."""
    from queue_api.engine import TicketRecord

    tickets = []
    minutes = [34, 27, 21, 16, 12, 9, 5, 2]
    for n, ago in enumerate(minutes):
        service = branch.services[n % len(branch.services)]
        at = now - timedelta(minutes=ago)
        tickets.append(
            TicketRecord(
                id=f"sample-{n}",
                branch=branch.id,
                service=service.id,
                number=f"{service.prefix}{n + 1:03d}",
                day=now.date(),
                priority=service.priority_allowed and n in (4, 6),
                language="es",
                issued_at=at,
                queue_at=at,
                returned_at=now - timedelta(minutes=1) if n == 5 else None,
            )
        )
    return tickets


async def _server_queue(url: str, token: str, branch: BranchConfig) -> list[TicketRecord]:
    """Every waiting ticket the branch's counters may call, as the server has them."""
    from queue_api.client import QueueClient
    from queue_api.engine import TicketRecord

    seen: dict[str, TicketRecord] = {}
    async with QueueClient(url, token, timeout=5.0, retries=0) as client:
        for counter in branch.counters:
            line = await client.counter_line(branch.id, counter.id)
            for ticket in line.tickets:
                seen[ticket.id] = TicketRecord(
                    id=ticket.id,
                    branch=ticket.branch,
                    service=ticket.service,
                    number=ticket.number,
                    day=ticket.queue_at.date(),
                    priority=ticket.priority,
                    language=ticket.language,
                    issued_at=ticket.issued_at,
                    channel=ticket.channel,
                    appointment_at=ticket.appointment_at,
                    for_counter=ticket.for_counter,
                    returned_at=ticket.returned_at,
                    queue_at=ticket.queue_at,
                )
    return list(seen.values())


def explain_branch(
    branch: BranchConfig, waiting: Sequence[TicketRecord], now: datetime
) -> list[str]:
    """Lines saying, per counter of ``branch``, whom it would call next under the branch's
    policy and why, and who follows."""
    from queue_api import engine

    lines = [f"Branch {branch.id} ({branch.name}): {describe_policy(branch.policy)}"]
    lines.append(f"  {len(waiting)} waiting")
    for counter in branch.counters:
        ranked = engine.rank_waiting(waiting, counter.services, branch.policy, now, counter.id)
        head = f"  {counter.label} [{', '.join(counter.services)}]: "
        if not ranked:
            lines.append(head + "nobody to call")
            continue
        lines.append(head + f"{ranked[0].ticket.number}, because: {ranked[0].why}")
        if len(ranked) > 1:
            after = ", ".join(r.ticket.number for r in ranked[1 : 1 + SHOWN_AFTER])
            lines.append(f"      then {after}" + (" …" if len(ranked) > 1 + SHOWN_AFTER else ""))
    return lines


def explain(office: OfficeConfig, url: str, token: str | None, branch_id: str | None) -> str:
    """The whole explanation: per branch, the queue's source, then each counter's next call."""
    branches = [b for b in office.branches if branch_id is None or b.id == branch_id]
    now = datetime.now(UTC)
    out = []
    for branch in branches:
        try:
            if not token:
                raise ValueError("no token: pass --token or set TURNERO_TOKEN (an admin token)")
            waiting = asyncio.run(_server_queue(url, token, branch))
            source = f"the queue of {url}, now"
        except Exception as exc:  # whatever failed, the sample stands in, and the reason is said
            waiting = sample_queue(branch, now)
            source = f"a built-in sample queue: could not read the queue of {url} ({exc})"
        out += [f"From {source}.", *explain_branch(branch, waiting, now), ""]
    return "\n".join(out)


def policy(
    config: Annotated[Path, typer.Option("--config", "-c", help="The office's TOML file.")],
    explain_queue: Annotated[
        bool,
        typer.Option("--explain", help="Say whom each counter would call next, and why."),
    ] = False,
    branch: Annotated[str | None, typer.Option(help="Only this branch.")] = None,
    url: Annotated[
        str | None,
        typer.Option(help="The running server (default: the file's public_url, else local)."),
    ] = None,
    token: Annotated[
        str | None, typer.Option(help="An admin token.", envvar="TURNERO_TOKEN")
    ] = None,
) -> None:
    """Show each branch's fairness policy; with --explain, whom each counter would call next."""
    from queue_api.config import load_office_config
    from queue_api.config_errors import ConfigError

    try:
        office = load_office_config(config)
    except ConfigError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    if branch is not None and office.branch(branch) is None:
        known = ", ".join(b.id for b in office.branches)
        typer.secho(
            f"{config}: no branch {branch!r}; it has: {known}", fg=typer.colors.RED, err=True
        )
        raise typer.Exit(2)
    if not explain_queue:
        for each in office.branches:
            if branch is None or each.id == branch:
                typer.echo(f"{each.id}: {describe_policy(each.policy)}")
        return
    typer.echo(explain(office, url or office.server.public_url or DEFAULT_URL, token, branch))
