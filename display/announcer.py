"""The announcement queue: every call is heard whole, one after another, in arrival order.

Calls that arrive together wait their turn; none is cut off, merged or dropped, and a recall
is a call of its own. The queue knows nothing about sound: it hands each part of a call
(chime, then one sentence per language) to a Player, which the app runs in a thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from display.spoken import call_sentence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Announcement:
    """One call to be heard: which ticket, which counter, and the event that carried it."""

    event_id: int
    number: str
    counter_label: str
    recall: bool = False


@dataclass(frozen=True)
class Part:
    """One sound of an announcement: the chime, or a sentence in one language."""

    kind: Literal["chime", "speech"]
    text: str = ""
    language: str = ""


class Player(Protocol):
    """Plays one part and returns when it has finished (blocking: it runs in a thread)."""

    def play(self, part: Part) -> None: ...


def script(
    announcement: Announcement, languages: Sequence[str], *, chime: bool, speech: bool
) -> list[Part]:
    """The parts of one announcement, in the order they are heard."""
    parts = [Part("chime")] if chime else []
    if speech:
        for language in languages:
            sentence = call_sentence(announcement.number, announcement.counter_label, language)
            parts.append(Part("speech", sentence, language))
    return parts


class Announcer:
    """A FIFO of announcements played by ``player``; run :meth:`run` as a worker."""

    def __init__(
        self,
        player: Player,
        languages: Sequence[str] = ("es", "en"),
        *,
        chime: bool = True,
        speech: bool = False,
    ) -> None:
        self.player = player
        self.languages = list(languages)
        self.chime = chime
        self.speech = speech
        self.heard: list[Announcement] = []
        """Announcements played to the end, oldest first (what a test or a log can check)."""
        self._pending: asyncio.Queue[Announcement] = asyncio.Queue()

    @property
    def pending(self) -> int:
        """Announcements waiting for their turn."""
        return self._pending.qsize()

    def announce(self, announcement: Announcement) -> None:
        """Queue ``announcement`` behind the ones already waiting; returns at once."""
        self._pending.put_nowait(announcement)

    async def run(self) -> None:
        """Play announcements for ever, each to its end before the next one starts."""
        while True:
            announcement = await self._pending.get()
            for part in script(announcement, self.languages, chime=self.chime, speech=self.speech):
                try:
                    # Threads are not cancellable: once a part starts it is heard whole.
                    await asyncio.to_thread(self.player.play, part)
                except Exception:  # a broken player must not silence the next calls
                    log.exception("could not play %s of %s", part.kind, announcement.number)
            self.heard.append(announcement)
            del self.heard[:-100]  # keep memory flat on a screen that runs for months
            self._pending.task_done()

    async def drained(self) -> None:
        """Return once every queued announcement has been played."""
        await self._pending.join()
