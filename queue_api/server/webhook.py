"""``[server] alert_webhook``: kpi.alert and kpi.cleared POSTed as JSON, off the request path.

Events are queued and sent by one background task with its own timeout and retries, so a slow
or dead receiver never slows an API call; past the queue's size the oldest wait is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from queue_api import __version__
from queue_api.store import StoredEvent

log = logging.getLogger("turnero.webhook")

TIMEOUT_SECONDS = 5.0
"""One attempt's whole budget: connect, send, and the receiver's answer."""
ATTEMPTS = 3
QUEUE_SIZE = 1000


class ReceiverFailed(Exception):
    """The receiver answered with a server error (5xx) or a 429: worth another try."""


def payload(event: StoredEvent) -> dict[str, Any]:
    """What is POSTed for one event: its id, type, branch and data (as on the event stream)."""
    return {"id": event.id, "type": event.type.value, "branch": event.branch, "data": event.data}


class Webhook:
    """Sends events to one URL from a background task (``run``); ``send`` never blocks."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = TIMEOUT_SECONDS,
        attempts: int = ATTEMPTS,
        first_wait: float = 1.0,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.attempts = attempts
        self.first_wait = first_wait
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def send(self, events: Sequence[StoredEvent]) -> None:
        """Thread-safe: queue ``events`` for the receiver."""
        if self._loop is None or self._loop.is_closed():
            return
        for event in events:
            self._loop.call_soon_threadsafe(self._put, payload(event))

    def _put(self, body: dict[str, Any]) -> None:
        if self._queue.full():
            dropped = self._queue.get_nowait()
            log.warning("alert webhook: queue full, dropped event %s", dropped["id"])
        self._queue.put_nowait(body)

    async def run(self) -> None:
        """Send queued events one by one, for ever."""
        async with httpx.AsyncClient(
            timeout=self.timeout, headers={"User-Agent": f"turnero-server/{__version__}"}
        ) as http:
            while True:
                body = await self._queue.get()
                await self.deliver(http, body)

    async def deliver(self, http: httpx.AsyncClient, body: dict[str, Any]) -> bool:
        """POST ``body`` with retries; False (and a log line) when every attempt failed."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.first_wait, max=30),
            retry=retry_if_exception_type((httpx.HTTPError, ReceiverFailed, TimeoutError)),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    # The whole attempt is bounded: a receiver trickling bytes cannot hold it.
                    async with asyncio.timeout(self.timeout):
                        answer = await http.post(self.url, json=body)
                    if answer.status_code >= 500 or answer.status_code == 429:
                        raise ReceiverFailed(f"answered {answer.status_code}")
        except (httpx.HTTPError, ReceiverFailed, TimeoutError) as exc:
            log.warning(
                "alert webhook: event %s not delivered after %d attempts: %s",
                body["id"],
                self.attempts,
                str(exc) or type(exc).__name__,
            )
            return False
        return True
