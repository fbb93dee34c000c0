"""``[server] alert_webhook``: kpi.alert / kpi.cleared POSTed to a local test receiver, with
retries, and with a timeout that never slows a request even when the receiver hangs."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from queue_api.client import QueueClient
from queue_api.server.webhook import Webhook
from tests.queue_api.test_kpi_alerts import alerting_office
from tests.server_process import TOKENS, ServerProcess


@dataclass
class Receiver:
    """A tiny HTTP server: records each POST; answers per ``answers`` (a status, or ``hang``:
    never answer, and note when the sender gave up and closed)."""

    answers: list[int | str]
    bodies: list[dict] = field(default_factory=list)
    connections: int = 0
    closed_by_sender: list[float] = field(default_factory=list)
    got: asyncio.Event = field(default_factory=asyncio.Event)
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        answer = self.answers[min(self.connections - 1, len(self.answers) - 1)]
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)[1])  # type: ignore[index]
        self.bodies.append(json.loads(await reader.readexactly(length)))
        self.got.set()
        if answer == "hang":
            await reader.read()  # until the sender closes
            self.closed_by_sender.append(time.monotonic())
            writer.close()
            return
        writer.write(
            f"HTTP/1.1 {answer} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def receiver(request: pytest.FixtureRequest) -> AsyncIterator[Receiver]:
    made = Receiver(answers=list(request.param))
    made.server = await asyncio.start_server(made.handle, "127.0.0.1", 0)
    yield made
    made.server.close()


BODY = {"id": 7, "type": "kpi.alert", "branch": "centro", "data": {"service": "licencias"}}


@pytest.mark.parametrize("receiver", [[500, 200]], indirect=True)
async def test_a_failing_receiver_is_tried_again(receiver: Receiver) -> None:
    hook = Webhook(receiver.url, timeout=2, attempts=3, first_wait=0.01)
    async with httpx.AsyncClient() as http:
        assert await hook.deliver(http, BODY)
    assert receiver.connections == 2 and receiver.bodies == [BODY, BODY]


@pytest.mark.parametrize("receiver", [["hang"]], indirect=True)
async def test_a_hanging_receiver_times_out_after_each_attempt(receiver: Receiver) -> None:
    hook = Webhook(receiver.url, timeout=0.3, attempts=2, first_wait=0.01)
    began = time.monotonic()
    async with httpx.AsyncClient() as http:
        assert not await hook.deliver(http, BODY)
    assert time.monotonic() - began < 3
    assert receiver.connections == 2
    for _ in range(100):  # the second close may reach the receiver a moment later
        if len(receiver.closed_by_sender) == 2:
            break
        await asyncio.sleep(0.02)
    assert len(receiver.closed_by_sender) == 2


@pytest.fixture
def with_webhook(tmp_path: Path) -> Iterator[callable]:
    started: list[ServerProcess] = []

    def start(url: str) -> ServerProcess:
        config = alerting_office(tmp_path, tmp_path / "turnero.db")
        text = config.read_text(encoding="utf-8").replace(
            "[server]\n", f'[server]\nalert_webhook = "{url}"\n', 1
        )
        config.write_text(text, encoding="utf-8")
        started.append(ServerProcess(config).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


async def issue(kiosk: QueueClient) -> float:
    """Issue a licencias ticket; the seconds the call took."""
    began = time.monotonic()
    await kiosk.issue_ticket("centro", "licencias", idempotency_key=secrets.token_hex(8))
    return time.monotonic() - began


@pytest.mark.parametrize("receiver", [[200]], indirect=True)
async def test_the_server_posts_kpi_alert_to_the_webhook(receiver: Receiver, with_webhook) -> None:
    server = with_webhook(receiver.url)
    async with QueueClient(server.url, TOKENS["kiosk"]) as kiosk:
        for _ in range(4):
            await issue(kiosk)
        await asyncio.wait_for(receiver.got.wait(), 10)
    (body,) = receiver.bodies
    assert body["type"] == "kpi.alert" and body["branch"] == "centro"
    assert {k: body["data"][k] for k in ("service", "kpi", "value", "threshold")} == {
        "service": "licencias",
        "kpi": "waiting",
        "value": 4,
        "threshold": 3,
    }
    assert isinstance(body["id"], int)


@pytest.mark.parametrize("receiver", [["hang"]], indirect=True)
async def test_a_hanging_webhook_never_slows_a_request(receiver: Receiver, with_webhook) -> None:
    server = with_webhook(receiver.url)
    async with QueueClient(server.url, TOKENS["kiosk"]) as kiosk:
        slowest = max([await issue(kiosk) for _ in range(4)])
        await asyncio.wait_for(receiver.got.wait(), 10)  # the alert went out, and hangs
        hanging_since = time.monotonic()
        slowest = max(slowest, *[await issue(kiosk) for _ in range(4)])
        # The server's attempt times out (5 s) and it closes the connection itself.
        for _ in range(400):
            if receiver.closed_by_sender:
                break
            await asyncio.sleep(0.05)
    assert receiver.closed_by_sender, "the server never gave up on the hanging receiver"
    gave_up = receiver.closed_by_sender[0] - hanging_since
    assert 3 < gave_up < 12
    # A request is far quicker than the webhook's 5 s timeout, however loaded the machine.
    assert slowest < 2.0
