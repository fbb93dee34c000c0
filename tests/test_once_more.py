"""The "read again once" bookkeeping the apps share (device/once_more.py)."""

from __future__ import annotations

from device.once_more import OnceMore


def test_asks_during_a_read_give_exactly_one_more_read() -> None:
    reads = OnceMore()
    assert reads.ask()  # nobody reads: start the reader
    assert reads.more()  # its first read
    assert not reads.ask() and not reads.ask()  # two asks while it reads: no second reader
    assert reads.more()  # ...but one more read
    assert not reads.more()  # and then it ends
    assert reads.ask()  # the next ask starts a new reader


def test_a_reader_that_stopped_early_is_started_again() -> None:
    reads = OnceMore()
    assert reads.ask() and reads.more()
    assert not reads.ask()
    reads.done()  # failed or cancelled mid-read
    assert reads.ask()
