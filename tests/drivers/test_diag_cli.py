"""``turnero diag``: through typer's CliRunner and as real processes, exit codes included,
against a real queue server."""

from __future__ import annotations

import importlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import turnero.diag
from tests.drivers.escpos_decoder import decode
from tests.drivers.fixtures import FakeBoard, FakeTcpPrinter, PtyPair
from tests.server_process import TOKENS, ServerProcess, office_file
from turnero.diag import app

runner = CliRunner()
TOKEN = TOKENS["kiosk"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``turnero server`` for the example office, shared by this module's tests."""
    folder = tmp_path_factory.mktemp("diag-server")
    server = ServerProcess(office_file(folder, folder / "turnero.db")).start()
    yield server.url
    server.stop()


def report(api_url: str, device: str, kind: str, detail: str = "") -> None:
    """A fault of ``device``; through the admin token, the one that may name any device."""
    response = httpx.post(
        f"{api_url}/api/v1/branches/centro/alerts",
        json={"device": device, "kind": kind, "detail": detail},
        headers={"Authorization": f"Bearer {TOKENS['admin']}"},
    )
    assert response.status_code == 202, response.text


class SlowLink:
    """A TCP relay to the real server that holds each chunk ``delay`` seconds: a slow link."""

    def __init__(self, url: str, delay: float) -> None:
        self.upstream = ("127.0.0.1", int(url.rsplit(":", 1)[1]))
        self.delay = delay
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client, socket.create_connection(self.upstream) as server:
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()
            self._pipe(server, client)

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                time.sleep(self.delay)  # the link's latency, not a wait for something
                target.sendall(data)
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def run(*args: str):  # -> typer Result
    # A fixed, wide terminal: Rich wraps table cells at the terminal's width (80 columns when
    # there is none, as under CI), so a cell's text would depend on where the tests run.
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert "Traceback" not in result.output
    return result


def test_ports_lists_or_says_none() -> None:
    result = run("ports")
    assert result.exit_code == 0
    assert "Port" in result.output or "no serial ports found" in result.output


def test_printer_status_ok_and_paper_out() -> None:
    with FakeTcpPrinter() as fake:
        result = run("printer", "status", fake.url, "--timeout", "2")
    assert result.exit_code == 0 and "ok" in result.output
    with FakeTcpPrinter(state="paper_out") as fake:
        result = run("printer", "status", fake.url, "--timeout", "2")
    assert result.exit_code == 1
    assert "FAULT printer: paper out: load a new paper roll" in result.output


def test_printer_test_page_prints_accents_table_number_qr_cut() -> None:
    with FakeTcpPrinter() as fake:
        result = run("printer", "test", fake.url, "--profile", "TM-T20II")
        (job,) = fake.wait_jobs(1)
    assert result.exit_code == 0, result.output
    receipt = decode(job)
    assert "á é í ó ú ñ ü ¿ ¡ Á É Í Ó Ú Ñ Ü €" in receipt.texts
    assert any(text.startswith("Ax áíóúñÑ") for text in receipt.texts)  # the CP858 table
    assert any(line.text == "A123" and line.width == 8 for line in receipt.lines)
    assert receipt.qr_codes and receipt.cuts == 1


def test_printer_unreachable_exits_1_with_advice() -> None:
    result = run("printer", "status", "tcp://127.0.0.1:1", "--timeout", "1")
    assert result.exit_code == 1 and "refused the connection" in result.output


def test_bad_printer_url_exits_1_with_the_forms() -> None:
    result = run("printer", "status", "lpt1")
    assert result.exit_code == 1 and "usb://VID:PID" in result.output


def test_led_test_walks_digits_and_reads_acks(pty_pair: PtyPair) -> None:
    with FakeBoard(pty_pair.far, address=3) as fake:
        result = run("led", "test", pty_pair.near, "--address", "3", "--pause", "0")
        assert len(fake.wait_frames(12)) == 12
    assert result.exit_code == 0, result.output
    assert "12/12 frames acknowledged" in result.output


def test_led_test_silent_board_exits_1(pty_pair: PtyPair) -> None:
    with FakeBoard(pty_pair.far, mode="silent"):
        result = run("led", "test", pty_pair.near, "--timeout", "0.2", "--pause", "0")
    assert result.exit_code == 1
    assert "did not answer" in result.output and "unit id" in result.output


def test_led_test_missing_port_exits_1() -> None:
    result = run("led", "test", "/dev/ttyTURNERO-NONE")
    assert result.exit_code == 1 and "no serial port" in result.output


def test_api_reports_role_scope_and_time(api_url: str) -> None:
    result = run("api", api_url, "--token", TOKEN)
    assert result.exit_code == 0, result.output
    assert "kiosk-entrada as kiosk @ centro" in result.output and " ms" in result.output


def test_api_reports_role_scope_over_a_slow_link(api_url: str) -> None:
    """A round trip of 100 ms or more (three digits) must not change what is reported."""
    link = SlowLink(api_url, delay=0.06)
    try:
        result = run("api", link.url, "--token", TOKEN)
    finally:
        link.close()
    assert result.exit_code == 0, result.output
    assert "kiosk-entrada as kiosk @ centro" in result.output and " ms" in result.output


def test_tables_fit_the_terminal_the_command_runs_in(
    api_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The width is read when a command runs, not when the module was first imported (a
    narrow terminal then would wrap every later table, as one test order showed)."""
    monkeypatch.setenv("COLUMNS", "40")
    importlib.reload(turnero.diag)  # in place: the commands see the module's new globals
    monkeypatch.delenv("COLUMNS")
    assert "kiosk-entrada as kiosk @ centro" in run("api", api_url, "--token", TOKEN).output


def test_api_lists_the_faults_that_stand_without_failing(api_url: str) -> None:
    assert "No device of centro reports a fault." in run("api", api_url, "--token", TOKEN).output
    report(api_url, "ventanilla-2", "board.lost", "no answer from unit 2")
    report(api_url, "kiosk-entrada", "printer.paper_out", "load a new paper roll")
    report(api_url, "ventanilla-3", "board.lost")
    report(api_url, "ventanilla-3", "board.ok")
    result = run("api", api_url, "--token", TOKEN)
    assert result.exit_code == 0, result.output  # other devices' faults are news, not failures
    assert "Faults reported in centro and not cleared" in result.output
    assert "ventanilla-2" in result.output and "no answer from unit 2" in result.output
    assert "kiosk-entrada (this device)" in result.output
    assert "printer.paper_out" in result.output and "ventanilla-3" not in result.output
    report(api_url, "ventanilla-2", "board.ok")
    report(api_url, "kiosk-entrada", "printer.ok")
    assert "No device of centro reports a fault." in run("api", api_url, "--token", TOKEN).output


def test_api_unknown_token_and_unreachable(api_url: str) -> None:
    result = run("api", api_url, "--token", "wrong-token-999")
    assert result.exit_code == 1 and "unknown token" in result.output
    result = run("api", "http://127.0.0.1:1", "--token", TOKEN)
    assert result.exit_code == 1 and "cannot reach" in result.output


def _device_file(path: Path, api: str, printer: str, board: str, **board_extra: object) -> Path:
    extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in board_extra.items())
    path.write_text(
        f'[server]\nurl = "{api}"\ntoken = "{TOKEN}"\nbranch = "centro"\n\n'
        f'[printer]\nurl = "{printer}"\ntimeout = 2\n\n[board]\nurl = "{board}"\n{extra}',
        encoding="utf-8",
    )
    return path


def test_check_every_device_ok(tmp_path: Path, api_url: str, pty_pair: PtyPair) -> None:
    with FakeTcpPrinter() as printer, FakeBoard(pty_pair.far) as board:
        config = _device_file(tmp_path / "turnero.toml", api_url, printer.url, pty_pair.near)
        result = run("check", "--config", str(config))
        assert board.wait_frames(1)
    assert result.exit_code == 0, result.output
    for device in ("server", "printer", "LED board"):
        assert device in result.output
    assert "FAULT" not in result.output


def test_check_names_the_prefixes_a_segment_board_cannot_draw(
    tmp_path: Path, pty_pair: PtyPair
) -> None:
    config = office_file(tmp_path, tmp_path / "turnero.db")
    text = config.read_text(encoding="utf-8")
    licencias = 'id = "licencias"\nprefix = "A"'
    assert licencias in text
    config.write_text(text.replace(licencias, licencias.replace('"A"', '"M"')))
    server = ServerProcess(config).start()
    try:
        with FakeTcpPrinter() as printer, FakeBoard(pty_pair.far):
            device = _device_file(tmp_path / "t.toml", server.url, printer.url, pty_pair.near)
            result = run("check", "--config", str(device))
    finally:
        server.stop()
    assert result.exit_code == 1, result.output
    assert "FAULT LED board: the board cannot draw the prefix M:" in result.output
    assert "prefix without K, M, V, W, X or Z" in result.output


def test_check_fails_on_any_fault(tmp_path: Path, api_url: str) -> None:
    with FakeTcpPrinter(state="cover_open") as printer:
        config = _device_file(tmp_path / "t.toml", api_url, printer.url, "virtual")
        result = run("check", "--config", str(config))
    assert result.exit_code == 1
    assert "FAULT printer: cover open: close the printer cover" in result.output


def test_check_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "t.toml"
    config.write_text(
        '[server]\nurl = "http://x"\ntoken = "12345678"\nbranch = "b"\n[board]\nadress = 1\n'
    )
    result = run("check", "--config", str(config))
    assert result.exit_code == 2 and "board.adress" in result.output
    result = run("check", "--config", str(tmp_path / "missing.toml"))
    assert result.exit_code == 2 and "file not found" in result.output


def _process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from turnero.diag import app; app()", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )


def test_as_a_real_process_exit_codes_and_no_traceback(pty_pair: PtyPair) -> None:
    with FakeTcpPrinter(state="paper_out") as fake:
        done = _process("printer", "status", fake.url)
    assert done.returncode == 1 and "paper out" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    # python-escpos's import-time noise must not reach the technician either.
    assert "Using" not in done.stdout and done.stderr == ""
    with FakeBoard(pty_pair.far):
        done = _process("led", "test", pty_pair.near, "--pause", "0")
    assert done.returncode == 0, done.stdout + done.stderr
    done = _process("led", "test", "/dev/ttyTURNERO-NONE", "--protocol", "nonsense")
    assert done.returncode == 1 and "unknown board protocol" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_unexpected_errors_become_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import turnero.diag as diag

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(diag, "_printer_check", broken)
    result = run("printer", "status", "virtual")
    assert result.exit_code == 3
    assert "internal error: RuntimeError: disk on fire" in result.output


@pytest.mark.parametrize(("token", "fits"), [("counter1", True), ("counter2", False)])
def test_check_fails_a_counter_file_with_another_counters_token(
    tmp_path: Path, api_url: str, token: str, fits: bool
) -> None:
    config = tmp_path / "turnero.toml"
    config.write_text(
        f'[server]\nurl = "{api_url}"\ntoken = "{TOKENS[token]}"\nbranch = "centro"\n'
        'counter = "1"\n\n[printer]\nurl = "virtual"\n\n[board]\nurl = "virtual"\n',
        encoding="utf-8",
    )
    result = run("check", "--config", str(config))
    if fits:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())  # the table wraps long lines
    assert "'ventanilla-2' (counter @ centro/2) may not act on counter 1" in output, output
    assert "put counter 1's token in server.token" in output, output
