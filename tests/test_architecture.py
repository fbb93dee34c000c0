"""The one-way arrows of DESIGN.md, checked so that a wrong import fails CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    """The import-linter contracts of pyproject.toml (apps know only the wire, and so on)."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_help_does_not_load_the_programs() -> None:
    """``turnero --help`` stays instant: Textual, uvicorn and FastAPI load only in commands."""
    code = (
        "import sys; from turnero.cli import app; "
        "print(','.join(m for m in ('textual', 'uvicorn', 'fastapi', 'escpos') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"imported at start-up: {result.stdout.strip()}"
