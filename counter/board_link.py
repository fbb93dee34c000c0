"""The screen's side of the LED board: its feed thread, its banner and its own alerts.

The board's faults are this terminal's own: they show in a banner here and go to the server
(through an outbox that resends them after a reconnection) for the other devices to show.
"""

from __future__ import annotations

import logging

from textual.widget import Widget
from textual.worker import Worker

from counter.board_feed import BoardFeed
from counter.desk import board_command
from counter.messages import BoardStatus
from counter.notices import BoardWarning
from counter.wording import CounterWords
from device.outbox import HostedOutbox
from drivers.board import BoardError, LedBoard
from queue_api.client import QueueClient
from queue_api.schema import Branch, Counter

log = logging.getLogger(__name__)


class BoardLink(CounterWords):
    """Drives ``board`` (None: no board) for ``host``, the counter screen, in its language."""

    def __init__(
        self,
        host: Widget,
        client: QueueClient,
        board: LedBoard | None,
        *,
        language: str,
        branch: str,
        counter: str,
        device_name: str,
        retry: float = 1.0,
        heartbeat: float = 5.0,
    ) -> None:
        self.host = host
        self.language = language
        self.board = board
        #: This terminal's own faults (its board) on their way to the server.
        self.alerts = HostedOutbox(host, client, branch, device_name)
        self._prefixes_warned = False
        self.feed = (
            BoardFeed(board, counter, self._status, retry=retry, heartbeat=heartbeat)
            if board is not None
            else None
        )

    def _status(self, error: BoardError | None) -> None:
        # The feed's thread: the screen hears it as a message.
        self.host.post_message(BoardStatus(error))

    def start(self) -> None:
        """Start the board's one writer (a thread worker of the screen)."""
        if self.feed is not None:
            self.host.run_worker(self.feed.run, thread=True, group="board", exit_on_error=False)

    def stop(self) -> None:
        """Stop the board's writer."""
        if self.feed is not None:
            self.feed.stop()

    def follow(self, before: Counter | None, after: Counter) -> None:
        """Make the board show what the desk shows now (``before``: what it showed)."""
        if self.feed is not None:
            self.feed.want(board_command(before, after))

    def take_status(self, error: BoardError | None) -> None:
        """The board was lost (``error``) or is back (None): say so here and to the server."""
        warning = self.host.query_one("#board-warning", BoardWarning)
        if error is None:
            warning.say("")
            self.host.notify(self.t("board.back"))
            self.report("board.ok", "the LED board answers again")
            return
        warning.say(self.t("board.lost", detail=str(error)))
        self.report("board.lost", str(error))

    def warn_undrawable_prefixes(self, branch: Branch, counter: Counter) -> None:
        """Say once which prefixes of this desk the board cannot draw (it shows their digits)."""
        if self.board is None or self._prefixes_warned:
            return
        self._prefixes_warned = True
        prefixes = sorted(
            service.prefix
            for service in branch.services
            if service.id in counter.services and self.board.cannot_draw(service.prefix)
        )
        if prefixes:
            log.warning("the LED board cannot draw the ticket prefixes %s", ", ".join(prefixes))
            text = self.t("board.letters", prefixes=", ".join(prefixes))
            self.host.notify(text, severity="warning", timeout=30)

    def report(self, kind: str, detail: str) -> Worker[bool]:
        """Send this terminal's alert ``kind`` to the server (kept until it is delivered)."""
        return self.alerts.report(kind, detail)

    def resend(self) -> Worker[bool] | None:
        """Send again the alerts the server has not taken yet (after a reconnection)."""
        return self.alerts.catch_up()
