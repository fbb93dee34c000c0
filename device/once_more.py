"""Reads that are never run twice at once nor cancelled for a newer one: asked while one runs,
it runs once more when done. (Cancelling a read in flight drops its connection, and a lost
server is then never noticed; running two at once lets an older answer land last.)"""

from __future__ import annotations


class OnceMore:
    """The bookkeeping of one such read; the caller runs the reader (a worker, a callback).

    ``if reads.ask(): start_reader()``; the reader loops ``while reads.more(): read()`` and
    calls ``reads.done()`` when it stops early (in a ``finally``), or runs once and calls it.
    """

    def __init__(self) -> None:
        self.running = False
        self._wanted = False

    def ask(self) -> bool:
        """Want a fresh read; True when the caller must start the reader (none runs now)."""
        self._wanted = True
        if self.running:
            return False
        self.running = True
        return True

    def more(self) -> bool:
        """The reader's loop condition: True for one more read; False ends the reader."""
        if self._wanted:
            self._wanted = False
            return True
        self.running = False
        return False

    def done(self) -> None:
        """The reader stopped: the next :meth:`ask` starts a new one."""
        self.running = False
        self._wanted = False
