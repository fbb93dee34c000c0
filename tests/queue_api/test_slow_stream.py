"""A display that reads its event stream too slowly: the stream ends, nothing is skipped."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from queue_api.client import new_idempotency_key
from queue_api.config import load_office_config
from queue_api.server import create_app
from queue_api.server.hub import CLOSED, KEEP_ALIVE, STREAM_BACKLOG, Frame, StreamQueue, drain
from tests.queue_api.conftest import as_role
from tests.server_process import TOKENS, office_file

B = "centro"
EVENT_ID = re.compile(rb"^id: (\d+)$", re.MULTILINE)


@contextmanager
def server_with_small_send_buffers(config: Path) -> Iterator[int]:
    """The API under uvicorn in a thread, on a listening socket whose connections keep only a
    few KB unsent in the kernel (Linux copies SO_SNDBUF to the accepted sockets): a stalled
    reader then backs up into the event hub after a few hundred events, not ten thousand."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # clients may connect at once: uvicorn accepts them when it runs
    server = uvicorn.Server(
        uvicorn.Config(create_app(load_office_config(config)), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]})
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join()
        listener.close()


def stalled_stream(port: int) -> socket.socket:
    """A stream whose reader has a tiny receive buffer and reads nothing until told to."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(60)  # a guard against a hang, not a wait: every read below has data coming
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        f"GET /api/v1/branches/{B}/events HTTP/1.1\r\nHost: test\r\n"
        f"Authorization: Bearer {TOKENS['display']}\r\nConnection: close\r\n\r\n".encode()
    )
    head = b""
    while b": connected" not in head:
        head += sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 200")
    return sock


def read_stream(sock: socket.socket, top: int) -> list[int]:
    """The ids the stream delivers until it ends, or until it delivers ``top``."""
    received = b""
    while (chunk := sock.recv(65536)) and f"id: {top}\n".encode() not in received + chunk:
        received += chunk
    return [int(i) for i in EVENT_ID.findall(received + chunk)]


async def test_a_stream_that_falls_behind_ends_and_replay_covers_every_event(
    tmp_path: Path,
) -> None:
    config = office_file(tmp_path, tmp_path / "t.db", kiosk_tickets_per_minute=0)
    with server_with_small_send_buffers(config) as port:
        url = f"http://127.0.0.1:{port}"
        sock = stalled_stream(port)
        async with httpx.AsyncClient(base_url=url, headers=as_role("kiosk")) as http:

            async def issue(count: int) -> None:
                for _ in range(count):
                    response = await http.post(
                        f"/api/v1/branches/{B}/tickets",
                        json={"service": "licencias"},
                        headers={"Idempotency-Key": new_idempotency_key()},
                    )
                    assert response.status_code == 201

            # More events than the stream's backlog and both sockets' buffers can hold.
            await asyncio.gather(*(issue(STREAM_BACKLOG // 4) for _ in range(8)))
            top = (await http.get(f"/api/v1/branches/{B}/board")).json()["last_event_id"]
        assert top == 2 * STREAM_BACKLOG, top

        delivered = await asyncio.to_thread(read_stream, sock, top)
        sock.close()
        assert delivered[-1] < top, "the stream kept up: nothing was tested"
        # What it delivered has no hole: the client resumes after its last id...
        assert delivered == list(range(1, delivered[-1] + 1))

        # ...and the replay from there brings the rest.
        replayed: list[int] = []
        headers = {**as_role("display"), "Last-Event-ID": str(delivered[-1])}
        async with (
            httpx.AsyncClient(base_url=url, timeout=30) as http,
            http.stream("GET", f"/api/v1/branches/{B}/events", headers=headers) as stream,
        ):
            async for line in stream.aiter_lines():
                if line.startswith("id: "):
                    replayed.append(int(line[4:]))
                    if replayed[-1] == top:
                        break
        assert delivered + replayed == list(range(1, top + 1))


async def test_what_queued_up_goes_out_in_one_write_with_no_event_twice() -> None:
    queue: StreamQueue = asyncio.Queue()
    for frame in (Frame(3, b"c"), KEEP_ALIVE, Frame(5, b"e"), CLOSED, Frame(6, b"f")):
        queue.put_nowait(frame)
    # Events up to the last one sent (a replay's) are left out; the stream ends at CLOSED.
    assert drain(queue, Frame(2, b"b"), last=3) == (KEEP_ALIVE.text + b"e", 5, True)
    queue.put_nowait(Frame(7, b"g"))
    assert drain(queue, KEEP_ALIVE, last=5) == (KEEP_ALIVE.text + b"g", 7, False)
