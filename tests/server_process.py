"""The server process for tests (turnero/local_server.py) and the example office's tokens."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from turnero.local_server import EXAMPLE_OFFICE, ServerProcess, free_port, office_file

__all__ = ["EXAMPLE_OFFICE", "TOKENS", "ServerProcess", "free_port", "office_file", "serving"]

TOKENS = {
    "kiosk": "demo-kiosk-centro",
    "counter1": "demo-counter-centro-1",
    "counter2": "demo-counter-centro-2",
    "counter3": "demo-counter-centro-3",
    "counter4": "demo-counter-centro-4",
    "display": "demo-display-centro",
    "kiosk_norte": "demo-kiosk-norte",
    "admin": "demo-admin-token",
    "supervisor": "demo-supervisor",
}
"""Tokens of the example office's devices (examples/office.toml)."""


@contextmanager
def serving(config: Path) -> Iterator[ServerProcess]:
    """A server of its own for a test that needs another office file; stopped at the end."""
    server = ServerProcess(config).start()
    try:
        yield server
    finally:
        server.stop()
