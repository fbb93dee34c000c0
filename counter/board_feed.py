"""Keeps the LED board over the desk showing what the desk shows, from one thread.

Board drivers are synchronous and slow (a Modbus board answers each frame), so one thread
owns the board: the screen only says what it wants. Only the newest wish matters; a board
that fails is retried every ``retry`` seconds and gets the newest wish as soon as it is
back, and a healthy one is refreshed every ``heartbeat`` seconds so an unplug is noticed
even when nobody presses a key.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

from counter.desk import BoardCommand
from drivers.board import BoardError, LedBoard


class BoardFeed:
    """The one writer of a board; ``on_status`` hears a BoardError when lost, None when back."""

    def __init__(
        self,
        board: LedBoard,
        counter_label: str | None,
        on_status: Callable[[BoardError | None], object],
        *,
        retry: float = 1.0,
        heartbeat: float = 5.0,
    ) -> None:
        self.board = board
        self.counter_label = counter_label
        self.on_status = on_status
        self.retry = retry
        self.heartbeat = heartbeat
        self._wish: BoardCommand | None = None
        self._version = 0
        self._stopped = False
        self._changed = threading.Condition()

    def want(self, command: BoardCommand) -> None:
        """Ask for ``command``; returns at once (thread safe)."""
        with self._changed:
            if command == self._wish:
                return
            self._wish = command
            self._version += 1
            self._changed.notify_all()

    def stop(self) -> None:
        """Make :meth:`run` return."""
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    def run(self) -> None:
        """Serve wishes until stopped (run it in a thread worker)."""
        sent: BoardCommand | None = None
        healthy = True
        seen = 0
        while True:
            with self._changed:
                self._changed.wait_for(
                    functools.partial(self._news_since, seen),
                    self.heartbeat if healthy else self.retry,
                )
                if self._stopped:
                    return
                seen, wish = self._version, self._wish
            if wish is None:
                continue
            try:
                if wish != sent or not healthy:
                    self._apply(wish, sent if healthy else None)
                elif not self.board.blinking:
                    self.board.refresh()  # heartbeat: fails if the board went away
            except BoardError as error:
                if healthy:
                    healthy = False
                    self.on_status(error)
                continue
            sent = wish
            if not healthy:
                healthy = True
                self.on_status(None)

    def _news_since(self, seen: int) -> bool:
        # Called with the lock held (Condition.wait_for).
        return self._stopped or self._version != seen

    def _apply(self, wish: BoardCommand, sent: BoardCommand | None) -> None:
        if wish.kind == "blank":
            self.board.blank()
        elif wish.kind == "blink":
            self.board.blink(wish.number, self.counter_label)
        elif sent is None or sent.kind == "blank" or sent.number != wish.number:
            self.board.show(wish.number, self.counter_label)
        # else: the same number is lit (maybe still blinking for its call): leave it be
