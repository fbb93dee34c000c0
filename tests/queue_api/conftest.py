"""Fixtures of the queue API tests: one shared server per module where state does not matter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from queue_api.client import QueueClient
from tests.server_process import TOKENS, ServerProcess, office_file


def bearer(token: str | None) -> dict[str, str]:
    """The Authorization header for ``token`` (none for None)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


STORES = ["sqlite", "postgres"]
"""The queue API's tests run on each store: the embedded one, and the shared one."""


def database_for(request: pytest.FixtureRequest, folder: Path) -> Path | str:
    """A SQLite file in ``folder``, or a fresh database on the test run's PostgreSQL."""
    if request.param == "postgres":
        return request.getfixturevalue("pg_cluster").database()
    return folder / "turnero.db"


@pytest.fixture(params=STORES)
def office_config(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The example office's TOML on a fresh database of each store in turn."""
    return office_file(tmp_path, database_for(request, tmp_path))


@pytest.fixture(scope="module", params=STORES)
def shared_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One ``turnero server`` per store for the whole module: tests must not rely on an empty
    queue.

    Its kiosks have no tickets-a-minute limit: a module issues faster than any crowd.
    """
    folder = tmp_path_factory.mktemp("shared")
    config = office_file(folder, database_for(request, folder), kiosk_tickets_per_minute=0)
    process = ServerProcess(config).start()
    yield process
    process.stop()


def as_role(role: str) -> dict[str, str]:
    """Headers of one of the example office's devices."""
    return bearer(TOKENS[role])


@pytest.fixture
async def clients(server: ServerProcess, tokens: dict[str, str]) -> AsyncIterator[dict]:
    """A QueueClient per device of the example office (``clients["kiosk"]``...), closed after."""
    made = {role: QueueClient(server.url, token) for role, token in tokens.items()}
    yield made
    for client in made.values():
        await client.aclose()
