"""A clerk's day against a real server, with the LED board read back from a pty."""

from __future__ import annotations

import asyncio

from counter.app import CounterApp
from counter.clerk_prompt import ClerkPrompt
from counter.desk import Action
from counter.transfer_picker import TransferPicker
from drivers.board import VirtualBoard
from queue_api.schema import CounterState, TicketStatus
from tests.counter.conftest import PtyBoard, api, device_for
from tests.counter.led_frames import shown
from tests.pilot_wait import touch, until


async def server_counter(server, tokens, counter: str = "1") -> dict:
    """The counter as the server has it (read with the admin token)."""
    response = await api(server, tokens["admin"], "GET", f"/counters/{counter}")
    response.raise_for_status()
    return response.json()


def enabled(screen) -> set[str]:
    return {action.value for action in Action if screen.check_action(action.value, ()) is True}


async def test_a_days_flow_drives_screen_server_and_led_board(
    server, tokens, device, kiosk, clock, pty_board: PtyBoard
):
    first, second, payment = kiosk("licencias"), kiosk("licencias"), kiosk("pagos")
    fake = pty_board.fake
    app = CounterApp(device, board=pty_board.board, clock=clock, board_heartbeat=30)
    async with app.run_test(size=(110, 36)) as pilot:
        screen = app.counter_screen
        await until(pilot, lambda: screen.online and screen.counter is not None)
        # Counters start the day closed: only Open and Next make sense.
        assert screen.counter.state is CounterState.CLOSED
        # (and calling from the list or bringing a no-show back, which also open it)
        assert enabled(screen) == {"next", "open", "call_ticket", "return_ticket"}
        assert screen.query_one("#do-start").disabled

        await pilot.press("o")
        await until(pilot, lambda: screen.counter.state is CounterState.OPEN)
        assert (await server_counter(server, tokens))["state"] == "open"
        # An open, empty desk blanks the board.
        assert fake.wait_until(lambda: shown(fake.frames)[-1:] == ["    "])

        # Next calls A001: the board lights it and blinks it (dark, lit again).
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None)
        assert screen.counter.current.number == first["number"] == "A001"
        assert enabled(screen) >= {"recall", "start", "no_show", "transfer", "finish"}
        assert "pause_resume" not in enabled(screen) and "close" not in enabled(screen)
        assert fake.wait_until(lambda: shown(fake.frames)[-3:] == ["A001", "    ", "A001"])

        # Recall: recalls + 1 on screen and server, and the board blinks again.
        count = len(fake.frames)
        await pilot.press("r")
        await until(pilot, lambda: screen.counter.current.recalls == 1)
        assert fake.wait_until(lambda: "    " in shown(fake.frames[count:]))
        assert fake.wait_until(lambda: shown(fake.frames)[-1] == "A001")
        assert "Rellamadas: 1" in str(screen.query_one("#times").render())

        # Start serving: no-show and recall no longer make sense and do nothing.
        await pilot.press("s")
        await until(pilot, lambda: screen.counter.current.status is TicketStatus.SERVING)
        assert "no_show" not in enabled(screen) and "recall" not in enabled(screen)
        await pilot.press("x")
        await pilot.pause()
        assert (await server_counter(server, tokens))["current"]["status"] == "serving"

        # Finish: the desk is empty, the board goes dark.
        await pilot.press("f")
        await until(pilot, lambda: screen.counter.current is None)
        assert fake.wait_until(lambda: shown(fake.frames)[-1] == "    ")

        # Next A002, who never shows up.
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None)
        assert screen.counter.current.number == second["number"]
        assert fake.wait_until(lambda: shown(fake.frames)[-1] == second["number"])
        await pilot.press("x")
        await until(pilot, lambda: screen.counter.current is None)
        assert fake.wait_until(lambda: shown(fake.frames)[-1] == "    ")

        # Next B001 (pagos), transferred to registro through the picker.
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None)
        assert screen.counter.current.number == payment["number"] == "B001"
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TransferPicker))
        # All open services of the branch except the ticket's own, then the other counters.
        assert [service for service, _ in app.screen.services] == [
            "licencias",
            "registro",
            "counter:2",
            "counter:3",
            "counter:4",
        ]
        await pilot.press("2")
        await until(pilot, lambda: screen.counter.current is None)
        queue = (await api(server, tokens["admin"], "GET", "/queue")).json()
        assert {line["service"]: line["waiting"] for line in queue["services"]}["registro"] == 1

        # Pause (board dark), resume, close.
        await pilot.press("p")
        await until(pilot, lambda: screen.counter.state is CounterState.PAUSED)
        assert "next" in enabled(screen) and "close" in enabled(screen)
        assert screen.query_one("#do-pause_resume").label.plain == "F7 Reanudar (p)"
        await pilot.press("p")
        await until(pilot, lambda: screen.counter.state is CounterState.OPEN)
        # Nobody left for licencias and pagos: Next says so and the board stays dark.
        await pilot.press("n")
        notice = screen.query_one("#notice")
        await until(pilot, lambda: "Nadie espera" in str(notice.render()))
        assert screen.counter.current is None and shown(fake.frames)[-1] == "    "
        await pilot.press("c")
        await until(pilot, lambda: screen.counter.state is CounterState.CLOSED)
        assert (await server_counter(server, tokens))["state"] == "closed"
        assert shown(fake.frames)[-1] == "    "
        # Every frame the board got decodes to a ticket number or a dark board.
        assert set(shown(fake.frames)) == {"    ", "A001", "A002", "B001"}


async def test_buttons_act_like_their_keys_and_the_queue_is_live(device, kiosk, clock):
    kiosk("registro")
    device4 = device.model_copy(deep=True)
    device4.server.counter = "4"
    device4.server.token = "demo-counter-centro-4"
    board = VirtualBoard(digits=6)  # room for the counter beside the number
    app = CounterApp(device4, board=board, clock=clock)
    async with app.run_test(size=(110, 36)) as pilot:
        screen = app.counter_screen
        await until(pilot, lambda: screen.online and screen.counter is not None)
        await touch(pilot, "#do-start")  # disabled: nothing happens
        await touch(pilot, "#do-next")
        await until(pilot, lambda: screen.counter.current is not None)
        assert screen.counter.current.number == "C001"
        assert board.shown == "C001 4" and board.blinking
        await touch(pilot, "#do-start")
        await until(pilot, lambda: screen.counter.current.status is TicketStatus.SERVING)
        # A citizen takes a ticket at the kiosk: the overview follows the event, no key pressed.
        overview = screen.query_one("#queue")
        assert overview.get_row("registro")[1] == "0"
        await asyncio.to_thread(kiosk, "registro")
        await until(pilot, lambda: overview.get_row("registro")[1] == "1")
        assert overview.get_row("licencias")[1] == "0"


async def test_clerk_named_at_a_prompt_when_the_device_file_has_none(server, tokens, clock):
    app = CounterApp(device_for(server.url, tokens["counter3"], "3", clerk=""), clock=clock)
    async with app.run_test(size=(100, 34)) as pilot:
        screen = app.counter_screen
        await until(pilot, lambda: isinstance(app.screen, ClerkPrompt))
        await pilot.press("n")  # typed into the name, not a call
        await pilot.press("backspace", "enter")
        assert "Escriba un nombre" in str(app.screen.query_one("#clerk-error").render())
        await pilot.press(*"Marta", "enter")
        await until(pilot, lambda: app.screen is screen)
        assert str(screen.query_one("#desk-clerk").render()) == "Atiende: Marta"
        assert screen.counter.current is None  # the "n" above called nobody
        await until(pilot, lambda: screen.online)
        assert screen.check_action("open", ()) is True
