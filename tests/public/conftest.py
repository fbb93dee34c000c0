"""Fixtures of the public pages' tests: a server whose office lets citizens join from their
phone (licencias) and book (registro), on each store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.queue_api.conftest import STORES, database_for
from tests.server_process import ServerProcess, office_file

B = "centro"


def public_office(folder: Path, database: Path | str) -> Path:
    """The example office with remote join on licencias and appointments on registro."""
    path = office_file(folder, database, kiosk_tickets_per_minute=0)
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "target_wait_minutes = 15\npriority_allowed = true\n",
        "target_wait_minutes = 15\npriority_allowed = true\nremote_join = true\n",
        1,
    )
    text = text.replace(
        "target_wait_minutes = 20\npriority_allowed = false\n",
        "target_wait_minutes = 20\npriority_allowed = false\n"
        'appointments = { slot_minutes = 15, hours = { mon = "09:00-13:00" } }\n',
        1,
    )
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(params=STORES)
def any_store_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    """The public office on a fresh database of each store in turn."""
    process = ServerProcess(public_office(tmp_path, database_for(request, tmp_path))).start()
    yield process
    process.stop()


@pytest.fixture
def public_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """The public office on a fresh SQLite file (for the browser's tests)."""
    process = ServerProcess(public_office(tmp_path, tmp_path / "turnero.db")).start()
    yield process
    process.stop()
