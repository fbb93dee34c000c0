"""How fast a kiosk may issue: the bucket itself, then the server's 429 over HTTP."""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from queue_api.client import QueueClient, TooManyRequests, new_idempotency_key
from queue_api.schema import Ticket
from queue_api.server.ticket_allowance import TicketAllowance
from tests.server_process import TOKENS, ServerProcess, office_file, serving


def allowance_server(folder: Path, per_minute: int) -> AbstractContextManager[ServerProcess]:
    """The example office with kiosks allowed ``per_minute`` tickets a minute."""
    return serving(office_file(folder, folder / "t.db", kiosk_tickets_per_minute=per_minute))


async def issue_new(kiosk: QueueClient) -> Ticket:
    """One "registro" ticket, pressed anew (a fresh idempotency key)."""
    return await kiosk.issue_ticket("centro", "registro", idempotency_key=new_idempotency_key())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_the_minutes_tickets_then_one_every_few_seconds() -> None:
    clock = Clock()
    allowance = TicketAllowance(per_minute=3, clock=clock)
    assert [allowance.take("kiosk-entrada") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert allowance.take("kiosk-entrada") == 20.0  # 3 a minute: one back every 20 s
    assert allowance.take("kiosk-norte") == 0.0  # every kiosk has its own allowance
    clock.now += 15
    assert allowance.take("kiosk-entrada") == 5.0
    clock.now += 5
    assert allowance.take("kiosk-entrada") == 0.0
    assert allowance.take("kiosk-entrada") == 20.0
    clock.now += 3600  # an idle hour gives back a burst, not sixty tickets
    assert [allowance.take("kiosk-entrada") for _ in range(4)][-1] == 20.0


def test_zero_means_no_limit() -> None:
    allowance = TicketAllowance(per_minute=0)
    assert all(allowance.take("kiosk") == 0.0 for _ in range(10_000))


async def test_the_server_answers_429_with_retry_after_past_the_allowance(tmp_path: Path) -> None:
    with allowance_server(tmp_path, 2) as server:
        async with QueueClient(server.url, TOKENS["kiosk"], retries=0) as kiosk:
            for _ in range(2):
                await issue_new(kiosk)
            refused = None
            try:
                await issue_new(kiosk)
            except TooManyRequests as exc:
                refused = exc
            assert refused is not None and refused.status == 429
            assert "'kiosk-entrada' issued 2 tickets within a minute" in refused.detail
        async with httpx.AsyncClient(base_url=server.url) as http:

            async def issue_as(role: str) -> httpx.Response:
                return await http.post(
                    "/api/v1/branches/centro/tickets",
                    json={"service": "registro"},
                    headers={
                        "Authorization": f"Bearer {TOKENS[role]}",
                        "Idempotency-Key": new_idempotency_key(),
                    },
                )

            response = await issue_as("kiosk")
            assert response.status_code == 429
            assert response.headers["content-type"] == "application/problem+json"
            assert 1 <= int(response.headers["retry-after"]) <= 30
            # Staff issuing by hand (admin) are not held back by the kiosk's limit.
            assert [(await issue_as("admin")).status_code for _ in range(3)] == [201] * 3
        assert not any("demo-kiosk-centro" in line for line in server.output)
        assert any("ticket refused to kiosk-entrada" in line for line in server.output)


async def test_a_replayed_key_gets_its_ticket_after_the_allowance_is_spent(
    tmp_path: Path,
) -> None:
    with allowance_server(tmp_path, 2) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:

            async def press(key: str) -> httpx.Response:
                return await http.post(
                    "/api/v1/branches/centro/tickets",
                    json={"service": "registro"},
                    headers={"Authorization": f"Bearer {TOKENS['kiosk']}", "Idempotency-Key": key},
                )

            first, second = await press("press-1"), await press("press-2")
            assert (first.status_code, second.status_code) == (201, 201)
            assert (await press("press-3")).status_code == 429  # the minute's tickets are spent
            # The kiosk did not hear the answer to press 2 and sends it again: its ticket.
            again = await press("press-2")
            assert again.status_code == 200
            assert again.json()["id"] == second.json()["id"]


class Timeline(httpx.AsyncBaseTransport):
    """The real HTTP transport, noting on the event loop's clock when each request left and
    each answer (its status and Retry-After) came back."""

    def __init__(self) -> None:
        self._real = httpx.AsyncHTTPTransport()
        self.sent: list[float] = []
        self.answers: list[tuple[float, int, str | None]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        loop = asyncio.get_running_loop()
        self.sent.append(loop.time())
        response = await self._real.handle_async_request(request)
        self.answers.append(
            (loop.time(), response.status_code, response.headers.get("retry-after"))
        )
        return response

    async def aclose(self) -> None:
        await self._real.aclose()


async def test_a_refused_issue_is_retried_no_sooner_than_the_server_said(tmp_path: Path) -> None:
    # 20 a minute: a burst of 20, then one ticket back every 3 s (Retry-After: 3).
    with allowance_server(tmp_path, 20) as server:
        async with QueueClient(server.url, TOKENS["kiosk"], retries=0) as burst:
            for _ in range(20):
                await issue_new(burst)
        timeline = Timeline()
        async with QueueClient(server.url, TOKENS["kiosk"], transport=timeline) as kiosk:
            ticket = await issue_new(kiosk)
        assert ticket.number == "C021"
        first_at, status, retry_after = timeline.answers[0]
        assert status == 429 and retry_after is not None
        # The client asked again only once the server's wait was over, and then got its ticket.
        assert len(timeline.sent) == 2
        assert timeline.sent[1] - first_at >= int(retry_after)
        assert timeline.answers[1][1] == 201


async def test_a_wait_longer_than_a_press_can_bear_is_not_retried_sooner(tmp_path: Path) -> None:
    # 2 a minute: after the burst the server asks for about 30 s, more than REQUEST_PATIENCE.
    with allowance_server(tmp_path, 2) as server:
        timeline = Timeline()
        async with QueueClient(server.url, TOKENS["kiosk"], transport=timeline) as kiosk:
            for _ in range(2):
                await issue_new(kiosk)
            with pytest.raises(TooManyRequests) as refused:
                await issue_new(kiosk)
        # Told to come back in half a minute, the client did not ask again before that.
        assert [status for _, status, _ in timeline.answers] == [201, 201, 429]
        assert refused.value.retry_after is not None and refused.value.retry_after > 5
