"""The lobby board against a real server: live calls, recalls, bursts, lost links, resync."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

from textual.app import App

from device.big_text import BigText
from display.announcer import Part
from display.board_screen import BoardScreen
from display.clock import FrozenClock, ShiftedClock
from display.recent_calls import RecentCalls
from display.spoken import number_words, ticket_words
from display.waiting_counts import WaitingCounts
from queue_api.client import QueueClient
from tests.display.conftest import (
    FROZEN_AT,
    Link,
    Office,
    RecordingPlayer,
    board,
    display_device,
    live_display,
    make_display,
)
from tests.pilot_wait import until
from tests.server_process import TOKENS, ServerProcess, office_file


def heard(app) -> list[tuple[str, str, bool]]:
    return [(a.number, a.counter_label, a.recall) for a in board(app).announcer.heard]


def hero(app) -> tuple[str, str]:
    screen = board(app)
    return screen.query_one("#number", BigText).text, screen.query_one("#counter", BigText).text


async def test_calls_appear_newest_first_highlighted_and_announced(server, office: Office):
    await office.issue("licencias", 2)
    await office.issue("pagos", 1)
    player = RecordingPlayer()
    async with live_display(server.url, player, speech=True) as (app, pilot, screen):
        assert hero(app) == ("", "Todavía no hay llamados")
        assert "A   2  Licencias" in str(screen.query_one(WaitingCounts).render())

        first = await office.next("1")
        await until(pilot, lambda: hero(app)[0] == first.number)
        assert hero(app) == ("A001", "Ventanilla 1")
        assert screen.blinking

        second = await office.next("3")
        await until(pilot, lambda: hero(app)[0] == second.number)
        assert hero(app) == ("B001", "Ventanilla 3")
        assert screen.query_one(RecentCalls).lines() == ["A001 Ventanilla 1"]
        await until(pilot, lambda: len(screen.announcer.heard) == 2)
        assert heard(app) == [("A001", "Ventanilla 1", False), ("B001", "Ventanilla 3", False)]
        assert player.parts[:3] == [
            Part("chime"),
            Part("speech", "Turno A cero cero uno, ventanilla uno", "es"),
            Part("speech", "Ticket A zero zero one, counter one", "en"),
        ]
        # Waiting counts follow the server: one licencias ticket left, no pagos.
        await until(pilot, lambda: screen.waiting == {"licencias": 1, "pagos": 0, "registro": 0})


async def test_a_recall_is_announced_again(server, office: Office):
    await office.issue("licencias", 1)
    async with live_display(server.url) as (app, pilot, screen):
        await office.next("2")
        await until(pilot, lambda: len(screen.announcer.heard) == 1)
        await office.recall("2")
        await until(pilot, lambda: len(screen.announcer.heard) == 2)
        assert heard(app) == [("A001", "Ventanilla 2", False), ("A001", "Ventanilla 2", True)]
        # The recall moved A001's row to the top; it did not add a second one.
        assert [(call.number, call.recall) for call in screen.calls] == [("A001", True)]


async def test_a_recalled_number_moves_to_the_top_once(server, office: Office):
    await office.issue("licencias", 2)
    first = await office.next("1")
    await office.next("2")
    await office.recall("1")
    async with live_display(server.url) as (_app, pilot, screen):
        # Loaded from /board, which lists the call and its recall: one row per number.
        assert [(c.number, c.recall) for c in screen.calls] == [("A001", True), ("A002", False)]
        await office.recall("2")
        await until(pilot, lambda: screen.calls[0].number == "A002")
        assert [(c.number, c.recall) for c in screen.calls] == [("A002", True), ("A001", True)]
        assert screen.query_one(RecentCalls).lines() == [f"{first.number} Ventanilla 1"]


async def test_a_transferred_ticket_leaves_the_big_call(server, office: Office):
    await office.issue("licencias", 1)
    await office.issue("pagos", 1)
    async with live_display(server.url) as (app, pilot, screen):
        await office.next("3")  # B001 (pagos) at Ventanilla 3
        await office.next("1")  # A001 at Ventanilla 1
        await until(pilot, lambda: hero(app) == ("A001", "Ventanilla 1"))
        await office.counters["1"].transfer("centro", "1", "pagos")
        # A001 waits again: the lobby must not send its citizen to Ventanilla 1.
        await until(pilot, lambda: hero(app) == ("B001", "Ventanilla 3"))
        assert [call.number for call in screen.calls] == ["B001"]


async def test_a_burst_of_ten_calls_gives_ten_announcements_in_order(server, office: Office):
    await office.issue("licencias", 10)
    player = RecordingPlayer()
    async with live_display(server.url, player, speech=True) as (app, pilot, screen):
        started = time.monotonic()
        for wave in ("124", "124", "124", "1"):  # three desks pressing Next at once
            await asyncio.gather(*(office.next(counter) for counter in wave))
        elapsed = time.monotonic() - started
        assert elapsed < 1.0, f"the burst took {elapsed:.2f} s"
        # The server's own record of the calls, in the order it made them.
        made = list(reversed((await office.kiosk.board("centro")).calls))
        assert len(made) == 10
        await until(pilot, lambda: len(screen.announcer.heard) == 10)
        assert heard(app) == [(call.number, call.counter_label, False) for call in made]
        assert sorted(n for n, _, _ in heard(app)) == [f"A{n:03d}" for n in range(1, 11)]
        # Each announcement whole, never interleaved: chime, Spanish, English, next call.
        assert [p.kind for p in player.parts] == ["chime", "speech", "speech"] * 10
        spoken = [p.text for p in player.parts if p.language == "es"]
        assert spoken[0] == f"Turno {ticket_words(made[0].number, 'es')}, " + (
            f"ventanilla {number_words(int(made[0].counter), 'es')}"
        )
        assert [call.number for call in screen.calls[:10]] == [c.number for c in reversed(made)]


async def test_lost_link_keeps_last_board_and_replays_missed_calls(
    server, office: Office, link: Link
):
    await office.issue("licencias", 3)
    async with live_display(link.url) as (app, pilot, screen):
        await office.next("1")
        await until(pilot, lambda: len(screen.announcer.heard) == 1)

        await link.cut()
        await until(pilot, lambda: screen.connection == "reconnecting")
        status = str(screen.query_one("#status").render())
        assert status == "Reconectando · última actualización 09:41:00"
        assert screen.query_one("#status").display
        missed = [await office.next("2"), await office.next("4")]
        assert hero(app) == ("A001", "Ventanilla 1"), "shows only what the server confirmed"

        await link.restore()
        await until(pilot, lambda: len(screen.announcer.heard) == 3)
        assert [n for n, _, _ in heard(app)] == ["A001", *(t.number for t in missed)]
        assert hero(app) == ("A003", "Ventanilla 4")
        assert screen.connection == "live"
        assert not screen.query_one("#status").display


async def test_calls_older_than_thirty_seconds_only_update_the_board(
    server, office: Office, link: Link
):
    await office.issue("licencias", 2)
    clock = ShiftedClock()
    async with live_display(link.url, clock=clock) as (app, pilot, screen):
        await link.cut()
        await until(pilot, lambda: screen.connection == "reconnecting")
        late = await office.next("1")
        clock.offset = timedelta(seconds=45)  # as if the link stayed down 45 s
        await link.restore()
        await until(pilot, lambda: hero(app)[0] == late.number)
        await asyncio.wait_for(screen.announcer.drained(), 5)
        assert screen.announcer.heard == []
        assert not screen.blinking

        clock.offset = timedelta(0)  # back to the server's time: a new call is fresh
        fresh = await office.next("2")
        await until(pilot, lambda: len(screen.announcer.heard) == 1)
        assert heard(app) == [(fresh.number, "Ventanilla 2", False)]


async def test_server_unreachable_at_start_then_recovers(server, office: Office, link: Link):
    await office.issue("pagos", 1)
    await office.next("3")
    await link.cut()
    app = make_display(link.url)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = board(app)
        await pilot.pause(0.3)
        assert screen.connection == "connecting"
        assert str(screen.query_one("#status").render()) == "Conectando con el servidor…"
        assert hero(app) == ("", "")
        await link.restore()
        await until(pilot, lambda: hero(app) == ("B001", "Ventanilla 3"))
        assert screen.announcer.heard == [], "a call from before the start is not announced"


async def test_resync_reloads_the_board(server, office: Office, link: Link, tmp_path: Path):
    await office.issue("licencias", 2)
    async with live_display(link.url) as (app, pilot, screen):
        await office.next("1")
        await office.next("2")
        await until(pilot, lambda: len(screen.calls) == 2)

        # The office's server is replaced by one with a fresh database: its event log is
        # behind the display's Last-Event-ID, so it answers with `resync`.
        await link.cut()
        server.stop()
        folder = tmp_path / "second"
        folder.mkdir()
        second = ServerProcess(office_file(folder, folder / "turnero.db")).start()
        try:
            clerks = Office(second.url)
            await clerks.issue("registro", 2)
            after = await clerks.next("3")
            link.target_port = second.port
            await link.restore()
            await until(pilot, lambda: [c.number for c in screen.calls] == [after.number])
            assert hero(app) == ("C001", "Ventanilla 3")
            assert screen.waiting["registro"] == 1
            assert screen.announcer.heard[-1].number == "A002", (
                "a reloaded board is not re-announced"
            )
            live = await clerks.next("4")
            await until(pilot, lambda: hero(app)[0] == live.number)
            await clerks.aclose()
        finally:
            second.stop()


async def test_a_refused_token_is_said_on_screen(server):
    app = make_display(server.url)
    app.client._http.headers["Authorization"] = "Bearer not-a-token"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = board(app)
        await until(pilot, lambda: screen.connection == "refused")
        assert str(screen.query_one("#status").render()).startswith(
            "El servidor rechaza esta pantalla:"
        )


async def test_the_screen_runs_hosted_in_another_app_and_the_blink_ends(server, office: Office):
    """The demo hosts BoardScreen in its own App: everything comes through the constructor."""
    await office.issue("registro", 1)
    player = RecordingPlayer()
    async with QueueClient(server.url, TOKENS["display"]) as client:
        screen = BoardScreen(
            display_device(server.url),
            client,
            player,
            clock=FrozenClock(FROZEN_AT),
            blink_seconds=1.2,
        )

        class Host(App[None]):
            def on_mount(self) -> None:
                self.push_screen(screen)

        async with Host().run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: screen.connection == "live")
            assert screen.query_one("#hero").border_title == "Turno · Ticket"
            await office.next("4")
            await until(pilot, lambda: screen.blinking)
            hero_widget = screen.query_one("#hero")
            await until(pilot, lambda: hero_widget.has_class("-blink"))
            await until(pilot, lambda: not hero_widget.has_class("-blink"))
            await until(pilot, lambda: not screen.blinking, within=5)
            assert hero(pilot.app) == ("C001", "Ventanilla 4")
            await office.recall("4")
            await until(pilot, lambda: len(screen.announcer.heard) == 2)
            assert hero_widget.border_subtitle == "↻ Llamado otra vez · Called again"
