"""Device faults on their way to the server: what could not be delivered waits, and goes (in
the order it happened) once the server answers again."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from functools import partial

from textual.dom import DOMNode
from textual.worker import Worker

from queue_api.client import ApiError, QueueClient, Unreachable

log = logging.getLogger(__name__)

KEEP_UNSENT = 50
"""Undelivered alerts kept at most; the oldest go first (a newer report of a part says more)."""

DETAIL_LIMIT = 500
"""Characters of ``detail`` the server takes (API.md)."""


class AlertOutbox:
    """Reports ``device``'s faults in ``branch``; keeps the undelivered ones for :meth:`resend`."""

    def __init__(self, client: QueueClient, branch: str, device: str) -> None:
        self.client = client
        self.branch = branch
        self.device = device
        self._unsent: deque[tuple[str, str]] = deque(maxlen=KEEP_UNSENT)
        # One delivery at a time, so alerts reach the server in the order they happened.
        self._turn = asyncio.Lock()

    @property
    def pending(self) -> int:
        """How many alerts wait for the server."""
        return len(self._unsent)

    async def send(self, kind: str, detail: str = "") -> bool:
        """Report one fault; False when it (or an older one) waits for :meth:`resend`."""
        # Behind any older alert that still waits: a part's "ok" must not reach the staff
        # before the fault it ends.
        self._unsent.append((kind, detail[:DETAIL_LIMIT]))
        return await self.resend()

    async def resend(self) -> bool:
        """Send the waiting alerts, oldest first (after the server is back); True when all went."""
        async with self._turn:
            return await self._drain()

    async def _drain(self) -> bool:
        while self._unsent:
            kind, detail = self._unsent.popleft()
            if not await self._deliver(kind, detail):
                # It went back to the end; put it first again so the order stays.
                self._unsent.rotate(1)
                return False
        return True

    async def _deliver(self, kind: str, detail: str) -> bool:
        try:
            await self.client.report_alert(self.branch, self.device, kind, detail)
        except Unreachable as exc:
            log.warning("alert %s not delivered (%s); will resend", kind, exc)
        except ApiError as exc:
            if exc.status < 500 and exc.status != 429:
                # The server refused this alert itself (a token that may not report): sending
                # it again cannot help.
                log.error("alert %s refused: %s %s", kind, exc.status, exc.detail)
                return True
            log.warning("alert %s not delivered (%s); will resend", kind, exc)
        else:
            return True
        self._unsent.append((kind, detail))
        return False


class HostedOutbox(AlertOutbox):
    """An :class:`AlertOutbox` whose deliveries run as ``host``'s workers, so they stop with it."""

    def __init__(self, host: DOMNode, client: QueueClient, branch: str, device: str) -> None:
        super().__init__(client, branch, device)
        self.host = host

    def report(self, kind: str, detail: str = "") -> Worker[bool]:
        """Send the alert ``kind`` to the server (kept until it is delivered)."""
        return self.host.run_worker(
            partial(self.send, kind, detail), group="alerts", exit_on_error=False
        )

    def catch_up(self) -> Worker[bool] | None:
        """Send again the alerts the server has not taken yet (after a reconnection)."""
        if not self.pending:
            return None
        return self.host.run_worker(self.resend, group="alerts", exit_on_error=False)
