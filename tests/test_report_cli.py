"""``turnero report``: the report from the shell, against a real server."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from queue_api.store import open_store
from tests.queue_api.test_reports_api import PAST_TICKETS
from tests.server_process import TOKENS, ServerProcess, free_port, office_file
from turnero.cli import app


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The example office with centro's tickets of 2026-03-10 written beforehand."""
    folder = tmp_path_factory.mktemp("report-cli")
    store = open_store(f"sqlite:///{folder / 'turnero.db'}")
    with store.write() as tx:
        for ticket in PAST_TICKETS:
            tx.insert_ticket(ticket)
    store.close()
    process = ServerProcess(office_file(folder, folder / "turnero.db")).start()
    yield process
    process.stop()


def device_file(folder: Path, url: str, token: str) -> Path:
    path = folder / "supervisor.toml"
    path.write_text(
        f'[server]\nurl = "{url}"\ntoken = "{token}"\nbranch = "centro"\n', encoding="utf-8"
    )
    return path


def turnero(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_a_report_by_service_is_a_table(server: ServerProcess, tmp_path: Path) -> None:
    config = device_file(tmp_path, server.url, TOKENS["admin"])
    code, out = turnero(
        "report", "-c", config, "--from", "2026-03-10", "--to", "2026-03-10", "--branch", "centro"
    )
    assert code == 0, out
    assert "2026-03-10 – 2026-03-10, by service" in out
    licencias = next(line for line in out.splitlines() if "licencias" in line)
    # issued 4, served 2, no-show 1, cancelled 1; waits mean 500 s, p50 400 s, p90 1000 s
    cells = [cell.strip() for cell in licencias.split("│")]
    assert cells[3:10] == ["4", "2", "1", "1", "8:20", "6:40", "16:40"]
    assert "67%" in licencias
    assert any(line.split("│")[1].strip() == "total" for line in out.splitlines() if "│" in line)


def test_csv_is_saved_too(server: ServerProcess, tmp_path: Path) -> None:
    config = device_file(tmp_path, server.url, TOKENS["admin"])
    target = tmp_path / "march.csv"
    code, out = turnero(
        "report", "-c", config, "--from", "2026-03-01", "--to", "2026-03-31", "--by", "hour",
        "--csv", target,
    )  # fmt: skip
    assert code == 0, out
    assert f"Saved as {target}" in out
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[:4] == ["from", "to", "branch", "hour"]
    assert [row[2:5] for row in rows] == [["centro", "09:00", "4"], ["centro", "10:00", "1"],
                                          ["*", "", "5"]]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--from", "2026-13-01", "--to", "2026-03-10"], "from: expected a date as YYYY-MM-DD"),
        (["--from", "2026-03-10", "--to", "2026-03-10", "--by", "week"], "unknown grouping"),
        (["--from", "2026-03-10", "--to", "2026-03-01"], "is before from"),
    ],
)
def test_bad_input_gets_the_server_s_sentence(
    server: ServerProcess, tmp_path: Path, args: list[str], says: str
) -> None:
    config = device_file(tmp_path, server.url, TOKENS["admin"])
    code, out = turnero("report", "-c", config, *args)
    assert code == 2
    assert "the server refused the report (422)" in out and says in out
    assert "Traceback" not in out


def test_a_token_without_the_role_is_told_so(server: ServerProcess, tmp_path: Path) -> None:
    config = device_file(tmp_path, server.url, TOKENS["kiosk"])
    code, out = turnero("report", "-c", config, "--from", "2026-03-10", "--to", "2026-03-10")
    assert code == 2
    assert "(403)" in out and "supervisor or admin only" in out


def test_no_server_is_a_clear_error(tmp_path: Path) -> None:
    config = device_file(tmp_path, f"http://127.0.0.1:{free_port()}", TOKENS["admin"])
    code, out = turnero("report", "-c", config, "--from", "2026-03-10", "--to", "2026-03-10")
    assert code == 2
    assert "cannot reach the server" in out


def test_from_and_to_are_required(tmp_path: Path) -> None:
    code, out = turnero("report", "-c", tmp_path / "none.toml", "--to", "2026-03-10")
    assert code == 2
    assert "--from" in out
