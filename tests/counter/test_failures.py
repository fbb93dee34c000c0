"""When things fail: two desks racing, the server restarting, the board lost, conflicts."""

from __future__ import annotations

import asyncio
import signal
import time

from counter.app import CounterApp
from counter.screen import BUTTONS, OFFLINE_NOTICE_AFTER
from drivers.board import VirtualBoard
from queue_api.client import QueueClient
from queue_api.schema import CounterState, EventType, TicketStatus
from tests.counter.conftest import PtyBoard, api, device_for, issue
from tests.counter.led_frames import shown
from tests.pilot_wait import until
from tests.server_process import TOKENS, ServerProcess, office_file


async def test_two_counters_pressing_next_at_once_never_show_the_same_ticket(
    server, tokens, kiosk, clock
):
    numbers = {kiosk("licencias")["number"] for _ in range(8)}
    one = CounterApp(device_for(server.url, tokens["counter1"], "1"), clock=clock)
    two = CounterApp(device_for(server.url, tokens["counter2"], "2"), clock=clock)
    seen: list[str] = []
    async with one.run_test(size=(100, 34)) as p1, two.run_test(size=(100, 34)) as p2:
        s1, s2 = one.counter_screen, two.counter_screen
        await until(p1, lambda: s1.online and s2.online and s1.counter and s2.counter)
        for _ in range(4):
            before = (s1.counter.current, s2.counter.current)
            await asyncio.gather(p1.press("n"), p2.press("n"))
            await until(
                p1,
                lambda before=before: (
                    s1.counter.current != before[0]
                    and s2.counter.current != before[1]
                    and not s1.busy
                    and not s2.busy
                ),
            )
            shown1, shown2 = s1.counter.current.number, s2.counter.current.number
            assert shown1 != shown2
            assert one.board.shown.strip() == shown1 and two.board.shown.strip() == shown2
            seen += [shown1, shown2]
    assert sorted(seen) == sorted(numbers)  # each ticket exactly once, none skipped


async def test_server_restart_mid_shift_resyncs_and_never_repeats_a_lost_action(
    server: ServerProcess, device, kiosk, clock
):
    kiosk("licencias")
    kiosk("licencias")
    board = VirtualBoard()
    app = CounterApp(device, board=board, clock=clock, reconnect_backoff=0.3)
    async with app.run_test(size=(100, 34)) as pilot:
        screen = app.counter_screen
        await until(pilot, lambda: screen.online and screen.counter is not None)
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None)
        assert screen.counter.current.number == "A001"

        server.kill()
        # Pressed before the terminal noticed: the answer is lost, the action is not repeated.
        await pilot.press("s")
        await until(pilot, lambda: not screen.online)
        assert screen.query_one("#offline").display
        assert "no se repite" in str(screen.query_one("#notice").render())
        assert not any(screen.check_action(action, ()) for action in ("next", "finish", "start"))
        assert screen.query_one("#do-next").disabled
        assert board.shown.strip() == "A001"  # the board keeps the last confirmed call

        server.start()
        await until(pilot, lambda: screen.online, within=15)
        assert not screen.query_one("#offline").display
        # The lost answer was about the server being away: that notice goes soon after.
        notice = screen.query_one("#notice")
        await until(
            pilot, lambda: not str(notice.render()).strip(), within=OFFLINE_NOTICE_AFTER + 3
        )
        # Same desk, same ticket, as the server has it: still called, never started.
        assert screen.counter.state is CounterState.OPEN
        assert screen.counter.current.number == "A001"
        assert screen.counter.current.status is TicketStatus.CALLED
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current.number == "A002")
        assert board.shown.strip() == "A002"


async def test_a_server_gone_silent_is_noticed_within_the_streams_silence_limit(
    tmp_path, monkeypatch, tokens, clock
):
    # A server that stops answering without closing its sockets (a frozen machine, a cut
    # cable): only the event stream's silence tells. Heartbeats every 0.3 s, 1.5 s allowed.
    monkeypatch.setenv("TURNERO_HEARTBEAT_SECONDS", "0.3")
    server = ServerProcess(office_file(tmp_path, tmp_path / "turnero.db")).start()
    assert server.process is not None
    device = device_for(server.url, tokens["counter1"], "1")
    app = CounterApp(device, clock=clock, reconnect_backoff=0.3, stream_silence=1.5)
    try:
        async with app.run_test(size=(100, 34)) as pilot:
            screen = app.counter_screen
            await until(pilot, lambda: screen.online and screen.counter is not None)
            # Alive: heartbeats keep the stream up well past its silence limit.
            await pilot.pause(2.0)
            assert screen.online
            server.process.send_signal(signal.SIGSTOP)
            frozen = time.monotonic()
            # The stream's silence (1.5 s) plus the time the screen takes to say so; a read
            # of the frozen server (5 s per try, retried) must not delay the banner.
            await until(pilot, lambda: screen.online is False, within=4.5)
            assert time.monotonic() - frozen >= 1.0
            assert screen.query_one("#offline").display
            assert screen.query_one("#do-next").disabled
            server.process.send_signal(signal.SIGCONT)
            await until(pilot, lambda: screen.online, within=15)
            assert not screen.query_one("#offline").display
    finally:
        server.process.send_signal(signal.SIGCONT)
        server.stop()


async def test_a_terminal_restarted_mid_call_comes_back_to_the_same_ticket(device, kiosk, clock):
    kiosk("pagos")
    first = CounterApp(device, clock=clock)
    async with first.run_test(size=(100, 34)) as pilot:
        screen = first.counter_screen
        await until(pilot, lambda: screen.online and screen.counter is not None)
        await pilot.press("n", "s")
        await until(
            pilot,
            lambda: (
                screen.counter.current is not None
                and screen.counter.current.status is TicketStatus.SERVING
            ),
        )
    board = VirtualBoard()
    again = CounterApp(device, board=board, clock=clock)
    async with again.run_test(size=(100, 34)) as pilot:
        screen = again.counter_screen
        await until(pilot, lambda: screen.counter is not None and board.frames)
        assert screen.counter.current.number == "B001"
        assert screen.counter.current.status is TicketStatus.SERVING
        assert board.frames == ["B001"] and not board.blinking  # shown, not a new call


async def test_board_lost_warns_reports_and_catches_up_when_back(
    server, tokens, device, kiosk, clock, pty_board: PtyBoard
):
    kiosk("licencias")
    second = kiosk("licencias")
    fake = pty_board.fake
    alerts: list = []

    async def watch_alerts() -> None:
        async with QueueClient(server.url, tokens["display"]) as display:
            async for event in display.events("centro"):
                if event.type is EventType.DEVICE_ALERT:
                    alerts.append(event.data.alert)

    watcher = asyncio.create_task(watch_alerts())
    app = CounterApp(
        device, board=pty_board.board, clock=clock, board_retry=0.1, board_heartbeat=0.2
    )
    try:
        async with app.run_test(size=(100, 34)) as pilot:
            screen = app.counter_screen
            warning = screen.query_one("#board-warning")
            await until(pilot, lambda: screen.online and screen.counter is not None)
            await pilot.press("n")
            await until(pilot, lambda: screen.counter.current is not None)
            assert fake.wait_until(lambda: shown(fake.frames)[-1:] == ["A001"])
            assert not warning.display

            fake.mode = "silent"  # the board lost power or its cable
            await until(pilot, lambda: warning.display)
            assert "Tablero LED sin conexión" in str(warning.render())
            await until(pilot, lambda: alerts)
            assert alerts[0].device == "ventanilla-1" and alerts[0].kind == "board.lost"
            # Its own fault has its banner: not repeated among the office's alerts.
            assert not screen.query_one("#office-alerts").display

            # The clerk keeps working while the board is dark.
            await pilot.press("s", "f", "n")
            await until(pilot, lambda: screen.counter.current is not None)
            assert screen.counter.current.number == second["number"]
            assert warning.display

            count = len(fake.frames)
            fake.mode = "ack"  # plugged back in
            await until(pilot, lambda: not warning.display)
            assert fake.wait_until(lambda: second["number"] in shown(fake.frames[count:]))
            await until(pilot, lambda: alerts[-1].kind == "board.ok")
    finally:
        watcher.cancel()


async def test_a_prefix_the_board_cannot_draw_is_named_at_start_and_its_digits_shown(
    tmp_path, clock, pty_board: PtyBoard
):
    """A 7-segment board cannot draw M: the clerk hears so at once, and calls still light the
    board with the digits (not a dark board and "board lost" at every call)."""
    config = office_file(tmp_path, tmp_path / "turnero.db")
    text = config.read_text(encoding="utf-8")
    assert 'id = "licencias"\nprefix = "A"' in text
    config.write_text(
        text.replace('id = "licencias"\nprefix = "A"', 'id = "licencias"\nprefix = "M"')
    )
    server = ServerProcess(config).start()
    try:
        ticket = issue(server, TOKENS["kiosk"], "licencias")
        assert ticket["number"] == "M001"
        app = CounterApp(
            device_for(server.url, TOKENS["counter1"]),
            board=pty_board.board,
            clock=clock,
            board_retry=0.1,
            board_heartbeat=0.2,
        )
        async with app.run_test(size=(100, 34)) as pilot:
            screen = app.counter_screen
            await until(pilot, lambda: screen.online and screen.counter is not None)
            await until(pilot, lambda: any("prefijo M" in n.message for n in app._notifications))
            await pilot.press("n")
            await until(pilot, lambda: screen.counter.current is not None)
            fake = pty_board.fake
            assert fake.wait_until(lambda: shown(fake.frames)[-1:] == [" 001"])
            assert pty_board.board.connected and pty_board.board.last_error is None
            assert not screen.query_one("#board-warning").display
    finally:
        server.stop()


async def test_conflicts_show_the_servers_detail_and_the_servers_state(
    server, tokens, device, kiosk, clock
):
    kiosk("licencias")
    app = CounterApp(device, clock=clock)
    async with app.run_test(size=(100, 34)) as pilot:
        screen = app.counter_screen
        await until(pilot, lambda: screen.online and screen.counter is not None)
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None)
        # Another terminal of this desk starts the ticket while our events are held up.
        screen.workers.cancel_group(screen, "events")
        await pilot.pause()
        response = await api(server, tokens["counter1"], "POST", "/counters/1/start")
        assert response.status_code == 200
        assert screen.counter.current.status is TicketStatus.CALLED  # stale, on purpose
        await pilot.press("x")  # no-show: only for a called ticket
        notice = screen.query_one("#notice")
        await until(pilot, lambda: "rechazó" in str(notice.render()))
        assert "only a called ticket can be a no-show" in str(notice.render())
        assert notice.has_class("-error")
        # ...and the desk now shows what the server says.
        await until(pilot, lambda: screen.counter.current.status is TicketStatus.SERVING)
        assert screen.check_action("no_show", ()) is None


class LossyProxy:
    """A TCP proxy to the real server that can lose the answer to the next ``POST .../next``.

    The request reaches the server (which acts on it); the answer is thrown away and the
    terminal's connection closed: exactly a reply lost on the network.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.lose_next_answer = False
        self.lost = asyncio.Event()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> LossyProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        doomed = asyncio.Event()

        async def upstream() -> None:
            while data := await reader.read(65536):
                first_line = data.split(b"\r\n", 1)[0]
                if self.lose_next_answer and first_line.startswith(b"POST") and b"/next" in data:
                    self.lose_next_answer = False
                    doomed.set()
                up_writer.write(data)
                await up_writer.drain()

        async def downstream() -> None:
            while data := await up_reader.read(65536):
                if doomed.is_set():
                    self.lost.set()
                    return
                writer.write(data)
                await writer.drain()

        tasks = [asyncio.create_task(upstream()), asyncio.create_task(downstream())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        except (ConnectionError, OSError):
            pass
        finally:
            for task in tasks:
                task.cancel()
            writer.close()
            up_writer.close()


async def test_a_lost_answer_to_next_is_not_repeated_and_the_servers_call_is_shown(
    server, tokens, kiosk, clock
):
    first, second = kiosk("licencias"), kiosk("licencias")
    board = VirtualBoard()
    async with LossyProxy(server.port) as proxy:
        device = device_for(proxy.url, tokens["counter1"])
        app = CounterApp(device, board=board, clock=clock, reconnect_backoff=0.2)
        async with app.run_test(size=(100, 34)) as pilot:
            screen = app.counter_screen
            await until(pilot, lambda: screen.online and screen.counter is not None)
            proxy.lose_next_answer = True
            await pilot.press("n")
            await until(pilot, lambda: proxy.lost.is_set())
            await until(pilot, lambda: "no se repite" in str(screen.query_one("#notice").render()))
            # Back in touch: the screen shows the call the server made, and made only once.
            await until(pilot, lambda: screen.online and screen.counter.current is not None)
            assert screen.counter.current.number == first["number"]
            assert board.shown.strip() == first["number"]
            queue = (await api(server, tokens["admin"], "GET", "/queue")).json()
            waiting = {line["service"]: line["waiting"] for line in queue["services"]}
            assert waiting["licencias"] == 1  # the second citizen was not called by a retry
            counter = (await api(server, tokens["admin"], "GET", "/counters/1")).json()
            assert counter["current"]["number"] == first["number"] != second["number"]


async def test_a_terminal_switched_on_before_the_server_waits_and_then_loads(
    office_config, tokens, clock
):
    server = ServerProcess(office_config)  # not started yet: nothing listens on its port
    app = CounterApp(device_for(server.url, tokens["counter1"]), clock=clock, reconnect_backoff=0.2)
    async with app.run_test(size=(100, 34)) as pilot:
        screen = app.counter_screen
        await until(pilot, lambda: screen.query_one("#offline").display)
        assert screen.counter is None and not screen.check_action("next", ())
        assert "Consultando" in str(screen.query_one("#service").render())
        server.start()
        try:
            await until(pilot, lambda: screen.online and screen.counter is not None, within=15)
            assert not screen.query_one("#offline").display
            assert screen.counter.label == "Ventanilla 1"
            assert screen.check_action("open", ()) is True
        finally:
            server.stop()


async def test_a_terminal_with_another_counters_token_says_so_and_disables_its_keys(
    server, tokens, kiosk, clock
):
    kiosk("licencias")
    # Counter 1's file with counter 2's token: it may read the branch, not act on desk 1.
    app = CounterApp(device_for(server.url, tokens["counter2"], "1"), clock=clock)
    async with app.run_test(size=(100, 34)) as pilot:
        screen = app.counter_screen
        await until(pilot, lambda: screen.online and screen.counter is not None)
        notice = str(screen.query_one("#notice").render())
        assert "«ventanilla-2» (counter @ centro/2)" in notice
        assert "no puede atender la ventanilla 1" in notice
        assert "server.token" in notice
        assert all(screen.query_one(f"#do-{action.value}").disabled for action in BUTTONS)
        assert not any(screen.check_action(action.value, ()) for action in BUTTONS)
        await pilot.press("n", "f1")
        await pilot.pause()
        assert not screen.busy
        desk = (await api(server, tokens["admin"], "GET", "/counters/1")).json()
        assert desk["current"] is None  # nothing was tried, so nothing was refused either


async def test_a_board_fault_while_the_server_is_down_is_reported_once_it_is_back(
    server: ServerProcess, tokens, device, clock, pty_board: PtyBoard
):
    app = CounterApp(
        device, board=pty_board.board, clock=clock, board_retry=0.1, board_heartbeat=0.2
    )

    def reports_done() -> bool:
        return not any(w.group == "alerts" and not w.is_finished for w in app.workers)

    async with app.run_test(size=(100, 34)) as pilot:
        screen = app.counter_screen
        warning = screen.query_one("#board-warning")
        await until(pilot, lambda: screen.online and screen.counter is not None)
        server.kill()
        pty_board.fake.mode = "silent"  # the board lost its cable while the server was away
        await until(pilot, lambda: warning.display and reports_done(), within=10)

        server.start()
        await until(pilot, lambda: screen.online and reports_done(), within=15)
        response = await api(server, tokens["admin"], "GET", "/alerts")
        standing = [(alert["device"], alert["kind"]) for alert in response.json()["alerts"]]
        assert ("ventanilla-1", "board.lost") in standing
