"""What one client may hold of a real server: header and body size, time to send a request,
connections and event streams per address. Each refusal is problem+json and /health answers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from queue_api.server.limits import (
    CONNECTIONS_PER_ADDRESS,
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    STREAMS_PER_ADDRESS,
)
from tests.server_process import TOKENS, ServerProcess, free_port, office_file

REQUEST_SECONDS = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("limits")
    config = office_file(folder, folder / "turnero.db")
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("[server]\n", f"[server]\nrequest_timeout_seconds = {REQUEST_SECONDS}\n", 1),
        encoding="utf-8",
    )
    process = ServerProcess(config).start()
    yield process
    process.stop()


def connect(server: ServerProcess, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket()
    sock.settimeout(30)  # a guard against a hang: every read below has an answer coming
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", server.port))
    return sock


def answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the one answer on ``sock``, read until the server closes."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def is_problem(status: int, headers: dict[str, str], body: bytes) -> bool:
    problem = json.loads(body)
    return headers["content-type"] == "application/problem+json" and problem["status"] == status


def health_answers(server: ServerProcess) -> bool:
    return httpx.get(f"{server.url}/api/v1/health", timeout=5).status_code == 200


def oversized_header(server: ServerProcess) -> tuple[int, dict[str, str], bytes]:
    """Send a header over the limit, and no end of the headers; the answer."""
    with connect(server) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sock.sendall(b"a" * (MAX_HEADER_BYTES + 1000))
        return answer(sock)


def test_an_oversized_header_is_refused_without_waiting_for_its_end(server) -> None:
    status, headers, body = oversized_header(server)
    assert status == 431 and is_problem(431, headers, body)
    assert health_answers(server)


def test_a_client_still_sending_reads_its_refusal(server) -> None:
    """A refused client may not have finished sending: closing with its bytes unread would
    reset the connection, and a reset can discard the answer before the client reads it."""
    with connect(server) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        for _ in range(64):  # four times the limit, sent on after the server has refused
            sock.sendall(b"a" * (MAX_HEADER_BYTES // 16))
        status, headers, body = answer(sock)
    assert status == 431 and is_problem(431, headers, body)


def test_an_oversized_body_gets_413_before_it_is_sent(server) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /api/v1/branches/centro/tickets HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n"
        )
        status, headers, body = answer(sock)  # the body was never sent: nothing to read
    assert status == 413 and is_problem(413, headers, body)
    assert str(MAX_BODY_BYTES) in json.loads(body)["detail"]
    assert health_answers(server)


def test_a_request_sent_by_half_is_cut_off_after_the_configured_time(server) -> None:
    with connect(server) as half, connect(server) as silent:
        started = time.monotonic()
        half.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
        status, headers, body = answer(half)
        assert status == 408 and is_problem(408, headers, body)
        assert REQUEST_SECONDS * 0.9 <= time.monotonic() - started < REQUEST_SECONDS * 10
        assert answer(silent)[0] == 408  # connected, sent nothing: closed as well
    assert "did not send a whole request within 1 s" in "".join(server.output)


def stream(server: ServerProcess, source: str) -> socket.socket:
    sock = connect(server, source)
    sock.sendall(
        b"GET /api/v1/branches/centro/events HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Bearer {TOKENS['display']}\r\n\r\n".encode()
    )
    return sock


def test_event_streams_per_address_are_limited(server) -> None:
    streams = []
    try:
        for _ in range(STREAMS_PER_ADDRESS):
            sock = stream(server, "127.0.0.1")
            streams.append(sock)
            head = b""
            while b": connected" not in head:
                head += sock.recv(4096)
        with stream(server, "127.0.0.1") as one_more:
            status, headers, body = answer_head(one_more)
        assert status == 429 and 1 <= int(headers["retry-after"]) <= 60
        assert f"{STREAMS_PER_ADDRESS} event streams are open from 127.0.0.1" in body.decode()
        with stream(server, "127.0.0.2") as elsewhere:  # another address is not held back
            assert answer_head(elsewhere)[0] == 200
    finally:
        for sock in streams:
            sock.close()
    assert health_answers(server)


def answer_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and the body if it has a length (a stream's answer does not end)."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    while len(body) < int(headers.get("content-length", 0)):
        body += sock.recv(65536)
    return int(lines[0].split()[1]), headers, body


def test_connections_per_address_are_limited(server) -> None:
    request = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
    held = []
    try:
        for _ in range(CONNECTIONS_PER_ADDRESS):  # each kept open after its answer
            sock = connect(server)
            held.append(sock)
            sock.sendall(request)
            assert answer_head(sock)[0] == 200
        with connect(server) as one_more:
            one_more.sendall(request)
            status, headers, body = answer(one_more)
        assert status == 429 and is_problem(429, headers, body)
        assert "retry-after" in headers
    finally:
        for sock in held:
            sock.close()


def test_the_server_raises_its_open_files_limit_and_warns_near_it(tmp_path: Path) -> None:
    # A soft limit of 100 under a hard one of 200: the server takes the 200, keeps 64 files
    # back, so allows 136 connections and warns from 109 (80 %) on.
    config = office_file(tmp_path, tmp_path / "turnero.db")
    command = ["prlimit", "--nofile=100:200", sys.executable, "-m", "turnero", "server"]
    port = free_port()
    process = subprocess.Popen(
        [*command, "--config", str(config), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    output: list[str] = []
    held: list[socket.socket] = []
    try:
        for line in process.stdout:
            output.append(line)
            if " listening on http://" in line:
                break
        assert any("open-files limit 200: at most 136 connections" in line for line in output)
        for _ in range(120):
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            held.append(sock)
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert answer_head(sock)[0] == 200
        for line in process.stdout:
            output.append(line)
            if "connections open of the 136 allowed" in line:
                break
        assert "109 connections open of the 136 allowed" in output[-1]
    finally:
        for sock in held:
            sock.close()
        process.terminate()
        process.wait(15)


def test_the_per_address_limits_are_set_in_the_server_section(tmp_path: Path) -> None:
    config = office_file(tmp_path, tmp_path / "turnero.db")
    text = config.read_text(encoding="utf-8")
    more = "[server]\nstreams_per_address = 1\nconnections_per_address = 3\n"
    config.write_text(text.replace("[server]\n", more, 1), encoding="utf-8")
    server = ServerProcess(config).start()
    try:
        with stream(server, "127.0.0.1") as first, stream(server, "127.0.0.1") as second:
            assert answer_head(first)[0] == 200
            assert answer_head(second)[0] == 429
            with connect(server) as third:  # the two streams and this one: 3 connections
                third.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
                assert answer_head(third)[0] == 200
                with connect(server) as fourth:
                    fourth.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
                    assert answer(fourth)[0] == 429
    finally:
        server.stop()
