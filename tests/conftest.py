"""Fixtures shared by every test package: a real queue server on a real SQLite file (and, for
the queue API's tests, on a real PostgreSQL too)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.pg_cluster import PgCluster
from tests.server_process import TOKENS, ServerProcess, office_file
from turnero.local_server import FREE_PORTS

# Each test worker picks its servers' ports from its own range, below the kernel's spare
# ports: two workers never start servers on one port.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
os.environ.setdefault(FREE_PORTS, f"{20000 + 2500 * _WORKER}-{22500 + 2500 * _WORKER}")


@pytest.fixture
def office_config(tmp_path: Path) -> Path:
    """The example office's TOML, on a fresh SQLite file in this test's folder."""
    return office_file(tmp_path, tmp_path / "turnero.db")


@pytest.fixture
def server(office_config: Path) -> Iterator[ServerProcess]:
    """A running ``turnero server`` for the example office, stopped after the test."""
    process = ServerProcess(office_config).start()
    yield process
    process.stop()


@pytest.fixture
def tokens() -> dict[str, str]:
    return dict(TOKENS)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A throwaway PostgreSQL cluster for the whole run, started the first time a test needs it.

    Without PostgreSQL installed this fails (never skips): the shared store would go untested.
    """
    cluster = PgCluster().start()
    yield cluster
    cluster.remove()
