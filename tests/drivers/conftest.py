"""Shared fixtures for the drivers tests; the helpers live in tests/drivers/fixtures.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.drivers.fixtures import PtyPair, socat_pty_pair


@pytest.fixture
def pty_pair() -> Iterator[PtyPair]:
    """A socat pty pair: the driver opens ``.near``, a fake device serves ``.far``."""
    with socat_pty_pair() as pair:
        yield pair
