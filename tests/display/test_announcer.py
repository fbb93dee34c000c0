"""The announcement queue, without sound: order, whole announcements, recalls, broken players."""

from __future__ import annotations

import asyncio
import threading

from display.announcer import Announcement, Announcer, Part, script
from tests.display.conftest import RecordingPlayer


def call(event_id: int, number: str, counter: str = "Ventanilla 1", recall: bool = False):
    return Announcement(event_id, number, counter, recall)


def test_script_is_a_chime_then_each_language_in_turn():
    parts = script(call(1, "A042", "Ventanilla 3"), ["es", "en"], chime=True, speech=True)
    assert parts == [
        Part("chime"),
        Part("speech", "Turno A cero cuarenta y dos, ventanilla tres", "es"),
        Part("speech", "Ticket A zero forty two, counter three", "en"),
    ]
    assert script(call(1, "A042"), ["es"], chime=True, speech=False) == [Part("chime")]
    assert script(call(1, "A042"), ["en"], chime=False, speech=True)[0].language == "en"


async def test_calls_arriving_together_wait_their_turn_and_are_never_cut_off():
    gate = threading.Event()
    player = RecordingPlayer(gate)
    announcer = Announcer(player, ["es", "en"], chime=True, speech=True)
    runner = asyncio.create_task(announcer.run())
    try:
        announcer.announce(call(1, "A001"))
        await asyncio.to_thread(player.started.wait, 5)
        # While the first chime is still sounding, two more calls arrive.
        announcer.announce(call(2, "B001", "Ventanilla 3"))
        announcer.announce(call(3, "A001", recall=True))
        assert player.parts == [] and announcer.pending == 2
        gate.set()
        await asyncio.wait_for(announcer.drained(), 5)
        assert [a.event_id for a in announcer.heard] == [1, 2, 3]
        texts = [p.text for p in player.parts]
        assert texts == [
            "",
            "Turno A cero cero uno, ventanilla uno",
            "Ticket A zero zero one, counter one",
            "",
            "Turno B cero cero uno, ventanilla tres",
            "Ticket B zero zero one, counter three",
            "",
            "Turno A cero cero uno, ventanilla uno",
            "Ticket A zero zero one, counter one",
        ]
    finally:
        runner.cancel()


class BrokenPlayer:
    def __init__(self) -> None:
        self.tries = 0

    def play(self, part: Part) -> None:
        self.tries += 1
        raise OSError("the sound card went away")


async def test_a_broken_player_does_not_stop_the_queue():
    player = BrokenPlayer()
    announcer = Announcer(player, ["es"], chime=True, speech=True)
    runner = asyncio.create_task(announcer.run())
    try:
        for n in range(3):
            announcer.announce(call(n, f"A00{n}"))
        await asyncio.wait_for(announcer.drained(), 5)
        assert player.tries == 6
        assert len(announcer.heard) == 3
    finally:
        runner.cancel()
