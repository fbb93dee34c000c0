"""``scripts/setup`` (which ``scripts/demo`` and ``scripts/test`` run first): it installs into
``.venv`` only when ``.venv`` is missing or ``pyproject.toml`` changed, so a complete ``.venv``
starts the demo at once, quietly, with no package index."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def project(folder: Path) -> Path:
    """A copy of the project's setup script and pyproject.toml, with a ``.venv`` that has no
    pip: any attempt to install fails at once, whatever the network."""
    (folder / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup", folder / "scripts" / "setup")
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", folder / ".venv"], check=True)
    return folder


def installed(folder: Path, extras: str) -> None:
    """Mark ``.venv`` as installed from the current pyproject.toml, as setup does."""
    digest = hashlib.sha256((folder / "pyproject.toml").read_bytes()).hexdigest()
    (folder / ".venv" / "turnero-setup.stamp").write_text(f"{digest} {extras}\n")


def setup(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [folder / "scripts" / "setup", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_complete_venv_is_not_installed_again(tmp_path: Path) -> None:
    folder = project(tmp_path)
    installed(folder, ".[test,postgres]")
    for args in ((), ("--test",)):  # the demo's setup, and the tests'
        result = setup(folder, *args)
        assert result.returncode == 0, result.stderr
        assert result.stdout == result.stderr == ""


def test_a_changed_pyproject_or_more_extras_install_again(tmp_path: Path) -> None:
    folder = project(tmp_path)
    installed(folder, ".")
    result = setup(folder, "--test")  # the test tools were never installed
    assert result.returncode == 1
    assert "Installing Turnero into .venv failed" in result.stderr
    assert "No module named pip" in result.stderr  # pip's own words, shown on failure only

    installed(folder, ".")
    with (folder / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n# a new dependency\n")
    assert setup(folder).returncode == 1
