"""Ports for local servers: within the range a test worker was given, never one in use."""

from __future__ import annotations

import socket

import pytest

from turnero.local_server import FREE_PORTS, free_port


def test_a_free_port_comes_from_the_range_and_skips_one_in_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv(FREE_PORTS, f"{port}-{port + 2}")
        assert free_port() == port + 1


def test_no_free_port_in_the_range_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv(FREE_PORTS, f"{port}-{port + 1}")
        with pytest.raises(RuntimeError, match="no free port"):
            free_port()
