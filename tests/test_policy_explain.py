"""``turnero policy --explain``: whom each counter would call next under the office file's
policy, for the running server's queue, or a sample queue when it cannot be read."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from queue_api.client import QueueClient, new_idempotency_key
from tests.server_process import TOKENS, ServerProcess, free_port
from turnero.cli import app


def explain(config: Path, *args: str) -> str:
    result = CliRunner().invoke(
        app, ["policy", "--config", str(config), "--explain", *args], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    return result.output


async def issue_two(server: ServerProcess) -> None:
    async with QueueClient(server.url, TOKENS["kiosk"]) as kiosk:
        for priority in (False, True):
            await kiosk.issue_ticket(
                "centro", "licencias", idempotency_key=new_idempotency_key(), priority=priority
            )


def test_explains_the_running_servers_queue_under_the_files_policy(
    server: ServerProcess, tmp_path: Path
) -> None:
    asyncio.run(issue_two(server))
    args = ["--branch", "centro", "--url", server.url, "--token", TOKENS["admin"]]
    shown = explain(server.config, *args)
    assert f"From the queue of {server.url}, now." in shown
    assert "priority_head_start_minutes = -1 (always first)" in shown
    assert "  2 waiting" in shown
    assert (
        "  Ventanilla 2 [licencias]: A002, because: priority; waited 0 min\n      then A001"
        in shown
    )
    assert "  Ventanilla 3 [pagos, registro]: nobody to call" in shown
    assert "norte" not in shown
    # The same queue under a policy the office considers: no head start for priority.
    considered = tmp_path / "considered.toml"
    text = server.config.read_text(encoding="utf-8")
    considered.write_text(
        text.replace(
            'name = "Oficina Centro"\n',
            'name = "Oficina Centro"\npolicy = { priority_head_start_minutes = 0 }\n',
        ),
        encoding="utf-8",
    )
    shown = explain(considered, *args)
    assert "  Ventanilla 2 [licencias]: A001, because: waited 0 min\n      then A002" in shown


def test_without_a_server_a_sample_queue_says_so(server: ServerProcess) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    shown = explain(server.config, "--url", url, "--token", TOKENS["admin"])
    assert f"From a built-in sample queue: could not read the queue of {url}" in shown
    assert "Branch norte (" in shown and "  8 waiting" in shown
    assert "  Ventanilla 1 [licencias, pagos]: B005, because: priority; waited 12 min" in shown
    no_token = explain(server.config, "--url", server.url, "--branch", "centro")
    assert "no token: pass --token or set TURNERO_TOKEN" in no_token


def test_an_unknown_branch_is_said(server: ServerProcess) -> None:
    result = CliRunner().invoke(app, ["policy", "--config", str(server.config), "--branch", "sur"])
    assert result.exit_code == 2
    assert "no branch 'sur'; it has: centro, norte" in result.output
