"""The desk as the server knows it: read at start and after a reconnection, then kept fresh
by the branch's events.

Reads and actions on the counter take turns (:attr:`ServerFeed.turn`), so an older answer
never overwrites a newer one. Events reach the screen as messages (:class:`ServerEvent`,
:class:`StreamConnection`) from workers the screen owns, so they stop with it; the screen
hands them back here.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from textual.worker import Worker

from counter.kpi_alerts import KpiAlerts
from counter.messages import ServerEvent, StreamConnection
from counter.office_alerts import OfficeAlerts
from device.config import token_acts_on, token_scope
from device.once_more import OnceMore
from queue_api.backoff import Backoff, Failures
from queue_api.client import ApiError, NotFound, QueueClient, Unreachable
from queue_api.schema import Counter, Event, EventType

if TYPE_CHECKING:
    from counter.screen import CounterScreen

log = logging.getLogger(__name__)


class ServerFeed:
    """Reads branch, counter, queue and standing alerts for ``screen``, and follows events."""

    def __init__(
        self,
        screen: CounterScreen,
        client: QueueClient,
        branch: str,
        counter: str,
        *,
        reconnect_backoff: float,
        stream_silence: float,
    ) -> None:
        self.screen = screen
        self.client = client
        self.branch_id = branch
        self.counter_id = counter
        self.reconnect_backoff = reconnect_backoff
        self.stream_silence = stream_silence
        #: Reads and actions on the counter hold it: an older answer never lands last.
        self.turn = asyncio.Lock()
        #: Whether the token may act on this counter; None until the server said who it is.
        self.token_fits: bool | None = None
        #: What events made stale, read again once the events of one burst are in.
        self._stale: set[str] = set()
        self._latest_snapshot: Counter | None = None
        self._flushes = OnceMore()

    # -- reads ----------------------------------------------------------------------------

    def sync(self) -> Worker[None]:
        """Read everything again until the server answers (a newer sync replaces one running)."""
        return self.screen.run_worker(self._sync, group="sync", exclusive=True, exit_on_error=False)

    def go_offline(self) -> None:
        """The server did not answer: say so, and read everything again once it does."""
        self.screen.online = False
        self.sync()

    async def _sync(self) -> None:
        """Read branch, counter and queue until the server answers; then we are online."""
        failures = Failures(Backoff(first=0.1, cap=self.reconnect_backoff))
        while True:
            try:
                await self._read_all()
            except Unreachable as exc:
                self.screen.online = False
                await failures.pause(exc)
                continue
            except ApiError as exc:  # 401, 403, 404: waiting will not fix them
                self.screen.say(self.screen.t("denied", detail=exc.detail), error=True)
                return
            self.screen.online = True
            return

    async def _read_all(self) -> None:
        screen = self.screen
        if self.token_fits is None:
            await self._check_token()
        async with self.turn:
            branch = await self.client.branch(self.branch_id)
            counter = await self.client.counter(self.branch_id, self.counter_id)
            screen.take_branch(branch)
            screen.counter = counter
            screen.board_link.warn_undrawable_prefixes(branch, counter)
        screen.take_queue(await self.client.queue(self.branch_id))
        await self._read_alerts()

    async def _check_token(self) -> None:
        """Learn at start whether the token may act on this counter, not at the first press."""
        try:
            who = await self.client.whoami()
        except NotFound:
            # A server without /whoami: the first action's answer will tell instead.
            self.token_fits = True
            return
        self.token_fits = token_acts_on(who, self.branch_id, self.counter_id)
        if not self.token_fits:
            scope = token_scope(who)
            log.warning(
                "token of %s (%s) may not act on counter %s", who.device, scope, self.counter_id
            )
            text = self.screen.t(
                "wrong_token", device=who.device, scope=scope, counter=self.counter_id
            )
            self.screen.say(text, error=True)
        self.screen.render_actions()

    async def _read_alerts(self) -> None:
        """Faults reported before this terminal listened (or while it could not) still stand."""
        try:
            standing = await self.client.standing_alerts(self.branch_id)
        except ApiError as exc:  # a server older than the list: alerts show as they come
            log.warning("standing alerts not read: %s", exc.detail)
            return
        self.screen.query_one(OfficeAlerts).load(standing)
        self.screen.query_one(KpiAlerts).load(standing)

    def refresh_counter(self) -> Worker[None]:
        """Read the counter again (a newer read replaces one running)."""
        return self.screen.run_worker(
            self._refresh_counter, group="counter", exclusive=True, exit_on_error=False
        )

    async def _refresh_counter(self) -> None:
        try:
            async with self.turn:
                self.screen.counter = await self.client.counter(self.branch_id, self.counter_id)
        except Unreachable:
            self.go_offline()
        except ApiError as exc:
            self.screen.say(self.screen.t("denied", detail=exc.detail), error=True)

    def refresh_queue(self) -> Worker[None]:
        """Read the queue again (a newer read replaces one running)."""
        return self.screen.run_worker(
            self._refresh_queue, group="queue", exclusive=True, exit_on_error=False
        )

    async def _refresh_queue(self) -> None:
        try:
            self.screen.take_queue(await self.client.queue(self.branch_id))
        except Unreachable:
            self.go_offline()
        except ApiError as exc:
            log.warning("queue read refused: %s", exc.detail)

    # -- events ---------------------------------------------------------------------------

    def follow(self) -> Worker[None]:
        """Follow the branch's events; they reach the screen as messages."""
        return self.screen.run_worker(self._follow, group="events", exit_on_error=False)

    async def _follow(self) -> None:
        screen = self.screen
        try:
            async for event in self.client.events(
                self.branch_id,
                on_connection=lambda up: screen.post_message(StreamConnection(up)),
                max_backoff=self.reconnect_backoff,
                silence=self.stream_silence,
            ):
                screen.post_message(ServerEvent(event))
        except ApiError as exc:
            screen.say(screen.t("denied", detail=exc.detail), error=True)

    def connection(self, up: bool) -> None:
        """The stream came up or dropped."""
        # Up: events may have been missed in between, read everything again. Down: the
        # screen may miss changes from now on, so it says so at once; a read of the server
        # (each try waits for an answer for seconds when the link is dead) clears it.
        if not up and self.screen.online:
            self.screen.online = False
        self.sync()

    def take(self, event: Event) -> None:
        """Take an event: note an alert, or mark what it made stale and read that soon."""
        if event.type is EventType.RESYNC:
            self.sync()
            return
        if event.type is EventType.DEVICE_ALERT:
            self._note_alert(event)
            return
        if event.type in (EventType.KPI_ALERT, EventType.KPI_CLEARED):
            self.screen.query_one(KpiAlerts).take(event)
            return
        counter, ticket = event.data.counter, event.data.ticket
        if self.counter_id in (counter.id if counter else None, ticket.counter if ticket else None):
            self._latest_snapshot = counter
            self._stale.add("counter")
        self._stale.add("queue")
        if self._flushes.ask():
            # One action sends several events at once (a Next: completed, then called):
            # read once, after all of them are in.
            self.screen.call_later(self.flush_stale)

    def _note_alert(self, event: Event) -> None:
        alert = event.alert
        if alert is None:
            log.warning("device.alert %s without a readable alert: ignored", event.id)
            return
        self.screen.query_one(OfficeAlerts).note(alert)

    def flush_stale(self) -> None:
        """Read what events made stale, unless an action's answer is on its way."""
        self._flushes.done()
        if self.screen.busy:
            # The action's answer is on its way: reading now would compete with it, and the
            # answer may make the read needless. The action flushes once it has the answer.
            return
        stale, self._stale = self._stale, set()
        # Read the counter rather than trust a snapshot, unless the newest one is exactly
        # what is shown: an earlier step's snapshot may arrive after the action's answer.
        if "counter" in stale and not self._shows(self._latest_snapshot):
            self.refresh_counter()
        if "queue" in stale:
            self.refresh_queue()

    @property
    def stale(self) -> bool:
        """Whether events made something stale that is not read yet."""
        return bool(self._stale)

    def _shows(self, snapshot: Counter | None) -> bool:
        """Whether an event's counter snapshot is exactly what the screen shows already."""
        shown = self.screen.counter
        if snapshot is None or shown is None or self.screen.busy:
            return False
        return snapshot == shown
