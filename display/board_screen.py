"""The lobby board: the newest call in big glyphs, the last calls, waiting counts, a clock.

Everything on it was confirmed by the server: ``/board`` on start and on ``resync``, then the
event stream. When the server is out of reach the last confirmed board stays up with a small
"reconnecting" mark and the time of the last update, and it catches up by itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Label

from device.big_text import BigText
from device.config import DeviceConfig
from device.once_more import OnceMore
from display.announcer import Announcement, Announcer, Player
from display.calls import (
    FRESH_FOR,
    call_from_event,
    is_fresh,
    newest_first,
    one_per_ticket,
    without_ticket,
)
from display.clock import Clock, system_clock
from display.recent_calls import RECALL_MARK, RecentCalls
from display.ticker import Ticker
from display.waiting_counts import WaitingCounts
from queue_api.backoff import Backoff, Failures
from queue_api.client import ApiError, Forbidden, NotFound, QueueClient, Unauthorized, Unreachable
from queue_api.i18n import Words
from queue_api.schema import Board, Call, Event, EventType, Service

log = logging.getLogger(__name__)

KEEP_CALLS = 11
"""The big call plus up to ten below it (the board API sends the last ten)."""

WAITING_EVENTS = {
    EventType.TICKET_ISSUED,
    EventType.TICKET_CALLED,
    EventType.TICKET_TRANSFERRED,
    EventType.TICKET_CANCELLED,
    EventType.TICKET_RETURNED,
}
"""Events after which the waiting counts change; the counts are then read again."""

WAITING_SETTLE = 0.3
"""Seconds to let a burst of events settle before reading the waiting counts."""


class BoardScreen(Screen[None]):
    """Now serving, for one branch; give it the device file, a client and a player."""

    CSS_PATH = "board_screen.tcss"

    connection: reactive[str] = reactive("connecting")
    """``connecting`` (nothing confirmed yet), ``live``, ``reconnecting`` or ``refused``."""

    def __init__(
        self,
        device: DeviceConfig,
        client: QueueClient,
        player: Player,
        *,
        clock: Clock = system_clock,
        reconnect_max: float = 10.0,
        blink_seconds: float = 6.0,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        self.device = device
        self.client = client
        self.clock = clock
        self.branch = device.server.branch
        self.languages = device.device.languages or ["es"]
        self.language = self.languages[0]
        self.shown = device.display.calls_shown
        self.reconnect_max = reconnect_max
        self.blink_seconds = blink_seconds
        self.announcer = Announcer(
            player,
            self.languages,
            chime=device.display.chime,
            speech=device.display.speech,
        )
        self.calls: list[Call] = []
        self.services: list[Service] = []
        self.labels: dict[str, str] = {}
        self.waiting: dict[str, int] = {}
        self.last_update: datetime | None = None
        self.refusal = ""
        self.events_seen = 0
        self.latencies: deque[float] = deque(maxlen=1000)
        """Seconds from a call's event arriving to the screen showing it (newest last)."""
        self._waiting_reads = OnceMore()
        self._clock_text = ""
        self._blink_until = 0.0
        self._blinker: Timer | None = None

    def t(self, key: str, **values: object) -> str:
        """The text for ``key`` in the display's first language."""
        return Words(self.language, "display")(key, **values)

    def heading(self, key: str) -> str:
        """A heading in every language of the office: "Turno · Ticket"."""
        return " · ".join(dict.fromkeys(Words(lang, "display")(key) for lang in self.languages))

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield Label("", id="office")
            yield Label(self.t("board.connecting"), id="status")
            yield Label("", id="clock")
        with Vertical(id="hero") as hero:
            hero.border_title = self.heading("board.now_serving")
            yield BigText("", id="number")
            yield BigText("", id="counter", max_scale=6)
        with Horizontal(id="lower"):
            calls = RecentCalls(id="calls")
            calls.border_title = self.heading("board.calls")
            yield calls
            waiting = WaitingCounts(id="waiting")
            waiting.border_title = self.heading("board.waiting")
            yield waiting
        if self.device.display.ticker:
            yield Ticker(self.device.display.ticker, self.clock, id="ticker")

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(1.0, self._tick)
        self.run_announcer()
        self.follow_board()

    # Workers -----------------------------------------------------------------------------

    @work(group="announcer")
    async def run_announcer(self) -> None:
        """Play the calls' announcements, one after another, while the board is up."""
        await self.announcer.run()

    @work(exclusive=True, group="feed", exit_on_error=False)
    async def follow_board(self) -> None:
        """Load the board, then follow the event stream for ever."""
        while True:
            try:
                board = await self._load_board()
                async for event in self.client.events(
                    self.branch,
                    last_event_id=board.last_event_id,
                    on_connection=self._on_connection,
                    max_backoff=self.reconnect_max,
                ):
                    received = time.perf_counter()
                    if event.type is EventType.RESYNC:
                        await self._load_board()
                    else:
                        self._on_event(event, received)
            except (Unauthorized, Forbidden, NotFound) as error:
                # Retrying cannot fix a wrong token or branch: say so on screen and stop.
                self.refusal = error.detail
                self.connection = "refused"
                return
            except Exception:
                # A malformed event or a bug must not freeze the lobby: start again from
                # /board, which is always safe.
                log.exception("lost the event stream; reloading the board")
                self._lost()
                await asyncio.sleep(self.reconnect_max)

    async def _load_board(self) -> Board:
        """``/board`` (and the branch's services once), retried until the server answers."""
        failures = Failures(Backoff(first=0.2, cap=self.reconnect_max))
        while True:
            try:
                if not self.services:
                    branch = await self.client.branch(self.branch)
                    self.services = branch.services
                board = await self.client.board(self.branch)
            except (Unreachable, ApiError) as error:
                if isinstance(error, Unauthorized | Forbidden | NotFound):
                    raise
                self._lost()
                await failures.pause(error)
                continue
            self._show_board(board)
            return board

    def _waiting_changed(self) -> None:
        if self._waiting_reads.ask():
            self.refresh_waiting()

    @work(group="waiting", exit_on_error=False)
    async def refresh_waiting(self) -> None:
        """Read the waiting counts again, once per burst of events.

        A read is never cancelled for a newer one (that would drop its connection); events
        that arrive during a read only ask for one more. On failure the last confirmed
        counts stay: the stream is down too, and its replay will ask again.
        """
        try:
            while self._waiting_reads.more():
                await asyncio.sleep(WAITING_SETTLE)
                try:
                    queue = await self.client.queue(self.branch)
                except (Unreachable, ApiError):
                    return
                self.waiting = {entry.service: entry.waiting for entry in queue.services}
                self._show_waiting()
        finally:
            self._waiting_reads.done()

    # State changes -----------------------------------------------------------------------

    def _on_connection(self, up: bool) -> None:
        if up:
            self.connection = "live"
        else:
            self._lost()

    def _lost(self) -> None:
        self.connection = "reconnecting" if self.last_update else "connecting"

    def _show_board(self, board: Board) -> None:
        self.labels = {counter.id: counter.label for counter in board.counters}
        self.calls = one_per_ticket(board.calls)[:KEEP_CALLS]
        self.waiting = {entry.service: entry.waiting for entry in board.waiting}
        self.query_one("#office", Label).update(board.name)
        self._confirmed()
        self._show_calls()
        self._show_waiting()

    def _on_event(self, event: Event, received: float) -> None:
        self.events_seen += 1
        self._confirmed()
        self.connection = "live"
        if event.type in WAITING_EVENTS:
            self._waiting_changed()
        if event.type is EventType.TICKET_TRANSFERRED:
            calls = without_ticket(self.calls, event)
            if calls != self.calls:
                self.calls = calls
                self._show_calls()
            return
        call = call_from_event(event, self.labels)
        if call is None:
            return
        self.calls = newest_first(self.calls, call, KEEP_CALLS)
        self._show_calls()
        self.call_after_refresh(self._measure, received)
        if is_fresh(call, self.clock(), FRESH_FOR):
            self.announcer.announce(
                Announcement(call.event_id, call.number, call.counter_label, call.recall)
            )
            self._highlight()

    def _measure(self, received: float) -> None:
        self.latencies.append(time.perf_counter() - received)

    def _confirmed(self) -> None:
        # "live" comes only from the stream itself (``_on_connection``): a board loaded while
        # the stream cannot connect is already out of date.
        self.last_update = self.clock()

    # Drawing -----------------------------------------------------------------------------

    def _show_calls(self) -> None:
        number = self.query_one("#number", BigText)
        counter = self.query_one("#counter", BigText)
        hero = self.query_one("#hero")
        hero.border_subtitle = ""
        if self.calls:
            number.text = self.calls[0].number
            counter.text = self.calls[0].counter_label
            if self.calls[0].recall:
                hero.border_subtitle = f"{RECALL_MARK} {self.heading('board.recalled')}"
        else:
            number.text = ""
            counter.text = self.t("board.no_calls")
        self.query_one(RecentCalls).show(self.calls[1 : self.shown + 1])

    def _show_waiting(self) -> None:
        self.query_one(WaitingCounts).show(self.services, self.waiting, self.language)

    def watch_connection(self, connection: str) -> None:
        status = self.query_one("#status", Label)
        status.set_class(connection != "live", "-visible")
        if connection == "connecting":
            status.update(self.t("board.connecting"))
        elif connection == "reconnecting" and self.last_update is not None:
            status.update(self.t("board.reconnecting", time=self.last_update.strftime("%H:%M:%S")))
        elif connection == "refused":
            status.update(self.t("board.refused", detail=self.refusal))
        else:
            status.update("")

    def _tick(self) -> None:
        text = self.clock().strftime("%H:%M")
        clock = self.query_one("#clock", Label)
        if text != self._clock_text:
            # Same width every minute: a repaint, not a new layout of the whole board.
            clock.update(text, layout=not self._clock_text)
            self._clock_text = text

    def _highlight(self) -> None:
        """Blink the big call for a few seconds, then keep it highlighted."""
        hero = self.query_one("#hero")
        hero.add_class("-new")
        self._blink_until = time.monotonic() + self.blink_seconds
        if self._blinker is None:
            self._blinker = self.set_interval(0.5, self._blink)

    def _blink(self) -> None:
        hero = self.query_one("#hero")
        if time.monotonic() < self._blink_until:
            hero.toggle_class("-blink")
            return
        hero.remove_class("-blink", "-new")
        if self._blinker is not None:
            self._blinker.stop()
            self._blinker = None

    @property
    def blinking(self) -> bool:
        """Whether the big call is highlighted as new right now."""
        return self.query_one("#hero").has_class("-new")
