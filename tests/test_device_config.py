"""The device file through pydantic-settings: environment overrides, and errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from device.config import load_device_config
from queue_api.config_errors import ConfigError
from turnero.cli import app

SERVER = '[server]\nurl = "http://10.0.0.2:8000"\nbranch = "centro"\ncounter = "3"\n'


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "turnero.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_token_can_stay_out_of_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TURNERO_SERVER__TOKEN", "token-from-the-unit")
    config = load_device_config(_file(tmp_path, SERVER))
    assert config.server.token == "token-from-the-unit"
    assert (config.server.branch, config.server.counter) == ("centro", "3")  # the file's


def test_the_environment_wins_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TURNERO_SERVER__TOKEN", "token-from-the-unit")
    monkeypatch.setenv("TURNERO_BOARD__DIGITS", "6")
    text = SERVER + 'token = "token-in-the-file"\n[board]\ndigits = 4\nparity = "E"\n'
    config = load_device_config(_file(tmp_path, text))
    assert config.server.token == "token-from-the-unit"
    assert (config.board.digits, config.board.parity) == (6, "E")


def test_without_a_token_anywhere_the_error_names_file_and_key(tmp_path: Path):
    path = _file(tmp_path, SERVER)
    with pytest.raises(ConfigError) as error:
        load_device_config(path)
    assert str(error.value) == (
        f"{path}: the configuration is not valid:\n  - server.token: missing: this key is required"
    )


def test_a_wrong_file_names_the_file_every_key_and_what_was_expected(tmp_path: Path):
    text = SERVER + 'token = "12345678"\n[board]\nadress = 1\ndigits = "many"\n'
    path = _file(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_device_config(path)
    message = str(error.value)
    assert message.startswith(f"{path}: the configuration is not valid:")
    assert "  - board.adress: unknown key (check its spelling and its section)" in message
    assert "  - board.digits: Input should be a valid integer" in message


def test_a_wrong_override_names_its_variable_and_never_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TURNERO_SERVER__TOKEN", "short")
    path = _file(tmp_path, SERVER)
    with pytest.raises(ConfigError) as error:
        load_device_config(path)
    message = str(error.value)
    assert "  - server.token: String should have at least 8 characters" in message
    assert "(set in the environment: TURNERO_SERVER__TOKEN)" in message
    assert "short" not in message


def test_other_turnero_variables_are_not_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TURNERO_HEARTBEAT_SECONDS", "0.3")  # the server's, not the device's
    monkeypatch.setenv("TURNERO_CONFIG", str(tmp_path / "turnero.toml"))
    config = load_device_config(_file(tmp_path, SERVER + 'token = "12345678"\n'))
    assert config.server.token == "12345678"


@pytest.mark.parametrize("command", ["kiosk", "counter", "display", "supervisor"])
def test_config_is_read_from_turnero_config(tmp_path: Path, command: str):
    missing = tmp_path / "elsewhere.toml"
    result = CliRunner().invoke(app, [command], env={"TURNERO_CONFIG": str(missing)})
    assert result.exit_code == 2
    assert f"{missing}: file not found" in result.output
    help_text = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
    assert "env var: TURNERO_CONFIG" in help_text
