"""A wrong office file stops the server before it listens, naming the file, key and fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from queue_api.config import load_office_config
from queue_api.config_errors import ConfigError
from tests.server_process import free_port

GOOD = """
[server]
database = "sqlite:///{db}"
timezone = "America/Mexico_City"

[[branches]]
id = "centro"
name = "Oficina Centro"

[[branches.services]]
id = "licencias"
prefix = "A"
name = {{ es = "Licencias", en = "Driver licences" }}

[[branches.services]]
id = "pagos"
prefix = "B"
name = {{ es = "Pagos" }}

[[branches.counters]]
id = "1"
label = "Ventanilla 1"
services = ["licencias", "pagos"]

[[devices]]
name = "kiosk-entrada"
role = "kiosk"
branch = "centro"
token = "kiosk-token-123"

[[devices]]
name = "ventanilla-1"
role = "counter"
branch = "centro"
counter = "1"
token = "counter-token-1"
"""

# Each case: what to replace in GOOD (old, new), the key the message must name, and words of
# what was expected.
BAD = {
    "unknown key": (
        'timezone = "America/Mexico_City"',
        'timezone = "America/Mexico_City"\ntimezon = "UTC"',
        "server.timezon",
        "unknown key",
    ),
    "bad prefix": (
        'prefix = "A"',
        'prefix = "a1"',
        "branches.0.services.0.prefix",
        "expected one or two capital letters, like A or LC",
    ),
    "bad branch id": (
        'id = "centro"',
        'id = "Centro Norte"',
        "branches.0.id",
        "expected a lowercase id of letters, digits, - and _, like centro",
    ),
    "bad token digest": (
        'token = "kiosk-token-123"',
        'token_sha256 = "kiosk-token-123"',
        "devices.0.token_sha256",
        "expected 64 lowercase hex digits",
    ),
    "counter serving an unknown service": (
        'services = ["licencias", "pagos"]',
        'services = ["licencias", "pasaportes"]',
        "branches.0",
        "unknown service(s) ['pasaportes']: expected some of ['licencias', 'pagos']",
    ),
    "device with an unknown branch": (
        'role = "kiosk"\nbranch = "centro"',
        'role = "kiosk"\nbranch = "sur"',
        "(top level)",
        "device 'kiosk-entrada': unknown branch 'sur', expected one of ['centro']",
    ),
    "device of an unknown counter": (
        'counter = "1"',
        'counter = "9"',
        "(top level)",
        "branch 'centro' has no counter '9'",
    ),
    "duplicate service id": (
        'id = "pagos"',
        'id = "licencias"',
        "branches.0",
        "duplicate service id 'licencias'",
    ),
    "duplicate device name": (
        'name = "ventanilla-1"',
        'name = "kiosk-entrada"',
        "(top level)",
        "duplicate device name 'kiosk-entrada'",
    ),
    "same token twice": (
        'token = "counter-token-1"',
        'token = "kiosk-token-123"',
        "(top level)",
        "duplicate device token (a token used twice)",
    ),
    "bad timezone": (
        'timezone = "America/Mexico_City"',
        'timezone = "Mexico/Centro"',
        "server.timezone",
        "unknown time zone 'Mexico/Centro'",
    ),
    "token and token_sha256": (
        'token = "kiosk-token-123"',
        'token = "kiosk-token-123"\ntoken_sha256 = "' + "a" * 64 + '"',
        "devices.0",
        "expected exactly one of token_sha256 (recommended) or token",
    ),
    "no token": ('token = "kiosk-token-123"', "", "devices.0", "expected exactly one of"),
    "counter without its counter": (
        'counter = "1"\n',
        "",
        "devices.1",
        "counter is required for the counter role",
    ),
    "unknown role": (
        'role = "kiosk"',
        'role = "kisok"',
        "devices.0.role",
        "'kiosk', 'counter', 'display', 'admin' or 'supervisor'",
    ),
    "bad database": (
        'database = "sqlite:///',
        'database = "mysql:///',
        "server.database",
        "expected sqlite:///path/to/file.db or postgresql://",
    ),
    "database without a file": (
        'database = "sqlite:///',
        'database = "sqlite:///"\n# ',
        "server.database",
        "sqlite:////var/lib/turnero/turnero.db (absolute)",
    ),
    "missing branch name": (
        'name = "Oficina Centro"\n',
        "",
        "branches.0.name",
        "missing: this key is required",
    ),
    "no branches": ("[[branches]]", "[[branchez]]", "branchez", "unknown key"),
    "negative ticket limit": (
        'timezone = "America/Mexico_City"',
        'timezone = "America/Mexico_City"\nkiosk_tickets_per_minute = -5',
        "server.kiosk_tickets_per_minute",
        "greater than or equal to 0",
    ),
    "no time to send a request": (
        'timezone = "America/Mexico_City"',
        'timezone = "America/Mexico_City"\nrequest_timeout_seconds = 0',
        "server.request_timeout_seconds",
        "greater than 0",
    ),
    "no connection per address": (
        'timezone = "America/Mexico_City"',
        'timezone = "America/Mexico_City"\nconnections_per_address = 0',
        "server.connections_per_address",
        "greater than or equal to 1",
    ),
    "streams per address as text": (
        'timezone = "America/Mexico_City"',
        'timezone = "America/Mexico_City"\nstreams_per_address = "many"',
        "server.streams_per_address",
        "integer",
    ),
    "supervisor without branches": (
        'role = "kiosk"\nbranch = "centro"',
        'role = "supervisor"',
        "devices.0",
        'branches is required for the supervisor role, and only for it: branches = ["centro"]',
    ),
    "supervisor of an unknown branch": (
        'role = "kiosk"\nbranch = "centro"',
        'role = "supervisor"\nbranches = ["centro", "sur"]',
        "(top level)",
        "device 'kiosk-entrada': unknown branch(es) ['sur']",
    ),
    "webhook that is not a URL": (
        'timezone = "America/Mexico_City"',
        'timezone = "America/Mexico_City"\nalert_webhook = "hooks.example.org"',
        "server.alert_webhook",
        "expected a URL starting with http:// or https://",
    ),
    "head start below -1": (
        'name = "Oficina Centro"',
        'name = "Oficina Centro"\npolicy = { priority_head_start_minutes = -5 }',
        "branches.0.policy.priority_head_start_minutes",
        "greater than or equal to -1",
    ),
    "appointment hours on an unknown day": (
        'prefix = "B"',
        'prefix = "B"\nappointments = { hours = { lun = "09:00-13:00" } }',
        "branches.0.services.1.appointments.hours",
        "unknown day(s) ['lun']",
    ),
    "appointment hours ending before they start": (
        'prefix = "B"',
        'prefix = "B"\nappointments = { hours = { mon = "13:00-09:00" } }',
        "branches.0.services.1.appointments.hours",
        "the start must come before the end",
    ),
    "an outcome code twice": (
        'prefix = "B"',
        'prefix = "B"\noutcomes = [{ code = "ok", name = { es = "Resuelto" } },'
        ' { code = "ok", name = { es = "Otra vez" } }]',
        "branches.0.services.1.outcomes",
        "duplicate outcome code 'ok'",
    ),
    "a closed day that is not a date": (
        'name = "Oficina Centro"',
        'name = "Oficina Centro"\nclosed_days = ["25 de diciembre"]',
        "branches.0.closed_days.0",
        "date",
    ),
}


def write(folder: Path, old: str = "", new: str = "") -> Path:
    text = GOOD.format(db=folder / "turnero.db")
    if old:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = folder / "office.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_good_file_loads(tmp_path: Path) -> None:
    config = load_office_config(write(tmp_path))
    assert [s.prefix for s in config.branches[0].services] == ["A", "B"]
    assert config.devices[1].counter == "1"


def test_v1_additions_default_to_v1_behaviour(tmp_path: Path) -> None:
    """A v1 office file, without any of the keys added since, keeps v1's rules."""
    branch = load_office_config(write(tmp_path)).branches[0]
    assert branch.policy.priority_head_start_minutes == -1  # priority always first
    assert branch.policy.first_service_head_start_minutes == 0
    assert branch.closed_days == []
    service = branch.services[0]
    assert (service.remote_join, service.appointments, service.outcomes) == (False, None, [])
    assert (service.alert_wait_minutes, service.alert_waiting) == (0, 0)


def test_a_supervisor_reads_the_branches_it_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'role = "kiosk"\nbranch = "centro"',
        'role = "supervisor"\nbranches = ["*"]',
    )
    assert load_office_config(path).devices[0].branches == ["*"]


@pytest.mark.parametrize("case", list(BAD))
def test_a_wrong_file_names_the_file_the_key_and_the_fix(tmp_path: Path, case: str) -> None:
    old, new, key, expected = BAD[case]
    path = write(tmp_path, old, new)
    with pytest.raises(ConfigError) as caught:
        load_office_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert f"  - {key}: " in message
    assert expected in message
    assert "Value error" not in message  # pydantic's prefix is stripped


def test_invalid_toml_and_missing_file_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[server]\ntimezone = "UTC\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML: .*line 2"):
        load_office_config(broken)
    with pytest.raises(ConfigError, match=r"nowhere\.toml: file not found"):
        load_office_config(tmp_path / "nowhere.toml")


def test_an_unreadable_file_is_named_without_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(ConfigError, match=r"folder: cannot be read"):
        load_office_config(folder)
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(b'[server]\ntimezone = "Am\xe9rica"\n')
    with pytest.raises(ConfigError, match=r"latin1\.toml: not valid TOML"):
        load_office_config(latin1)


def run_server(path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "turnero", "server", "--config", str(path)]
    return subprocess.run(
        [*command, "--port", str(free_port())], capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize(
    ("case", "key", "expected"),
    [
        ("unknown key", "server.timezon", "unknown key"),
        ("bad timezone", "server.timezone", "expected an IANA name"),
        ("token and token_sha256", "devices.0", "expected exactly one of token_sha256"),
        ("invalid toml", None, "not valid TOML"),
        ("missing file", None, "file not found"),
    ],
)
def test_the_server_command_refuses_a_wrong_file_before_listening(
    tmp_path: Path, case: str, key: str | None, expected: str
) -> None:
    if case == "invalid toml":
        path = tmp_path / "office.toml"
        path.write_text("[[branches]\nid = 1", encoding="utf-8")
    elif case == "missing file":
        path = tmp_path / "missing.toml"
    else:
        path = write(tmp_path, *BAD[case][:2])
    result = run_server(path)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert str(path) in result.stderr
    if key:
        assert key in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in output
    assert "Uvicorn running" not in output and "listening" not in output
    assert not (tmp_path / "turnero.db").exists()  # nothing was opened either


def test_an_unusable_database_path_is_refused_without_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    path = write(
        tmp_path,
        f'database = "sqlite:///{tmp_path / "turnero.db"}"',
        f'database = "sqlite:///{blocker / "turnero.db"}"',
    )
    result = run_server(path)
    assert result.returncode == 2
    assert "cannot open the database" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
