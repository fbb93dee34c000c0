"""The board feed: one thread owning the board, catching up after the port vanished."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter.board_feed import BoardFeed
from counter.desk import BoardCommand
from drivers.board import BoardError, VirtualBoard, open_board
from tests.counter.led_frames import shown
from tests.drivers.fixtures import FakeBoard, start_pty_pair

WAIT = 5.0


class Statuses:
    """What the feed reported, waitable."""

    def __init__(self) -> None:
        self.seen: list[BoardError | None] = []
        self.changed = threading.Condition()

    def __call__(self, error: BoardError | None) -> None:
        with self.changed:
            self.seen.append(error)
            self.changed.notify_all()

    def wait(self, count: int) -> list[BoardError | None]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.seen) >= count, WAIT), self.seen
            return list(self.seen)


@pytest.fixture
def running() -> Iterator:
    feeds: list[tuple[BoardFeed, threading.Thread]] = []

    def start(feed: BoardFeed) -> BoardFeed:
        thread = threading.Thread(target=feed.run, daemon=True)
        thread.start()
        feeds.append((feed, thread))
        return feed

    yield start
    for feed, thread in feeds:
        feed.stop()
        thread.join(WAIT)
        assert not thread.is_alive()


class WatchedBoard(VirtualBoard):
    """A virtual board whose frames can be waited for."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = threading.Condition()

    def _send(self, text: str):
        with self.sent:
            reply = super()._send(text)
            self.sent.notify_all()
            return reply

    def wait_frames(self, count: int) -> list[str]:
        with self.sent:
            assert self.sent.wait_for(lambda: len(self.frames) >= count, WAIT), self.frames
            return list(self.frames)


def test_calls_blink_a_lit_number_is_left_alone_and_pause_blanks(running) -> None:
    board = WatchedBoard()
    statuses = Statuses()
    feed = running(BoardFeed(board, "1", statuses, heartbeat=60))
    feed.want(BoardCommand("blink", "A001", ("t1", 0)))
    assert board.wait_frames(1) == ["A001"] and board.blinking
    feed.want(BoardCommand("show", "A001"))  # started serving: the number stays, no frame
    feed.want(BoardCommand("blink", "A001", ("t1", 1)))  # a recall blinks again
    assert board.wait_frames(2)[-1] == "A001"
    feed.want(BoardCommand("blank"))
    assert board.wait_frames(3) == ["A001", "A001", "    "] and not board.blinking
    assert statuses.seen == []


def test_a_vanished_port_is_reported_and_caught_up_when_back(tmp_path: Path, running) -> None:
    near, far = tmp_path / "board-near", tmp_path / "board-far"
    pair = start_pty_pair(near, far)
    fake = FakeBoard(str(far)).__enter__()
    board = open_board(str(near), timeout=0.3)
    statuses = Statuses()
    try:
        feed = running(BoardFeed(board, "1", statuses, retry=0.05, heartbeat=0.1))
        feed.want(BoardCommand("show", "A001"))
        assert fake.wait_until(lambda: shown(fake.frames)[-1:] == ["A001"])

        fake.close()
        pair.stop()  # the USB adapter is pulled out
        assert isinstance(statuses.wait(1)[0], BoardError)
        feed.want(BoardCommand("show", "A002"))  # the desk moves on meanwhile

        pair = start_pty_pair(near, far)  # plugged back in, same device name
        fake = FakeBoard(str(far)).__enter__()
        assert statuses.wait(2)[1] is None
        assert fake.wait_until(lambda: "A002" in shown(fake.frames))
    finally:
        board.close()
        fake.close()
        pair.stop()
