"""Reading a Server-Sent Events answer event by event, in tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

WAIT_SECONDS = 15.0


class Events:
    """The events of one open stream, read as the test asks for them."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.raw: list[str] = []
        self._lines = response.aiter_lines()

    async def _next(self) -> tuple[str, dict[str, Any]]:
        kind, data = "message", ""
        async for line in self._lines:
            self.raw.append(line)
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
            elif not line and data:
                return kind, json.loads(data)
        raise AssertionError("the stream ended")

    async def next(self, kind: str) -> dict[str, Any]:
        """The data of the next event of type ``kind`` (others are skipped, kept in ``raw``),
        within ``WAIT_SECONDS``."""
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                got, data = await self._next()
                if got == kind:
                    return data


@contextlib.asynccontextmanager
async def open_events(http: httpx.AsyncClient, path: str) -> AsyncIterator[Events]:
    """``path`` opened as a stream of events."""
    async with http.stream("GET", path) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Events(response)
