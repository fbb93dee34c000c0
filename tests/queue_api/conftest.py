"""Fixtures of the queue API tests: one shared server per module where state does not matter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from queue_api.client import QueueClient
from tests.server_process import TOKENS, ServerProcess, office_file


def bearer(token: str | None) -> dict[str, str]:
    """The Authorization header for ``token`` (none for None)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One ``turnero server`` for the whole module: tests must not rely on an empty queue.

    Its kiosks have no tickets-a-minute limit: a module issues faster than any crowd.
    """
    folder = tmp_path_factory.mktemp("shared")
    config = office_file(folder, folder / "turnero.db", kiosk_tickets_per_minute=0)
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
