"""The clerk's main screen: the desk, the current ticket, the queue and the actions.

Everything shown comes from the server: an action's answer, or a fresh read of the counter
after an event. Reads and actions on the counter take turns (one lock), so an older answer
never overwrites a newer one. The LED board follows what this screen shows.
"""

from __future__ import annotations

import asyncio
import logging

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Static

from counter.board_feed import BoardFeed
from counter.clerk_prompt import ClerkPrompt
from counter.clock import Clock, system_clock
from counter.desk import Action, after_action, allowed, board_command
from counter.key_bar import KeyBar
from counter.office_alerts import OfficeAlerts
from counter.queue_overview import QueueOverview
from counter.text_fields import set_text
from counter.ticket_panel import TicketPanel
from counter.transfer_picker import TransferPicker
from counter.wording import CounterWords
from device.config import DeviceConfig, token_acts_on, token_scope
from device.once_more import OnceMore
from device.outbox import AlertOutbox
from drivers.board import BoardError, LedBoard
from queue_api.backoff import Backoff, Failures
from queue_api.client import (
    STREAM_SILENCE,
    ApiError,
    Conflict,
    NotFound,
    QueueClient,
    Unreachable,
)
from queue_api.i18n import translate
from queue_api.schema import Branch, Counter, CounterState, Event, EventType, Queue

log = logging.getLogger(__name__)

OFFLINE_NOTICE_AFTER = 5.0
"""Seconds a notice about the server being out of reach stays once the server is back."""

#: Buttons, in the order they sit under the ticket (the same as the F-keys).
BUTTONS = (
    Action.NEXT,
    Action.RECALL,
    Action.START,
    Action.FINISH,
    Action.NO_SHOW,
    Action.TRANSFER,
    Action.PAUSE_RESUME,
    Action.CLOSE,
    Action.OPEN,
)

#: The keys of each action: F-key first (what the key bar shows), then its letter.
KEYS = {
    Action.NEXT: ("f1", "n"),
    Action.RECALL: ("f2", "r"),
    Action.START: ("f3", "s"),
    Action.FINISH: ("f4", "f"),
    Action.NO_SHOW: ("f5", "x"),
    Action.TRANSFER: ("f6", "t"),
    Action.PAUSE_RESUME: ("f7", "p"),
    Action.CLOSE: ("f8", "c"),
    Action.OPEN: ("f9", "o"),
}


def _bindings() -> list[BindingType]:
    # An F-key and a letter per action. The descriptions are for Textual's own lists (help,
    # palette); on screen the key bar and the buttons speak the device's language.
    bindings: list[BindingType] = []
    for action, (fkey, letter) in KEYS.items():
        label = translate("counter", "es", f"key.{action.value}")
        bindings.append(Binding(fkey, action.value, label, key_display=fkey.upper()))
        bindings.append(Binding(letter, action.value, label, show=False))
    return bindings


class CounterScreen(CounterWords, Screen[None]):
    """A counter terminal for one desk; everything it needs comes in through the constructor."""

    CSS_PATH = "counter.tcss"
    BINDINGS = _bindings()
    # Below 30 rows (an 80x24 console) the layout drops its blank rows: counter.tcss.
    VERTICAL_BREAKPOINTS: list[tuple[int, str]] | None = [(0, "-short"), (30, "-tall")]  # noqa: RUF012

    # Watchers run from on_mount on (init=False): before that there is nothing to update.
    counter: reactive[Counter | None] = reactive(None, init=False)
    #: None until the server first answered or failed: no banner flashes at start.
    online: reactive[bool | None] = reactive(None, init=False)
    # An action in flight. Not redrawn: an action takes milliseconds, and check_action and
    # _begin already refuse a second press; greying nine buttons out and back only costs time.
    busy = reactive(False, init=False)
    clerk = reactive("", init=False)

    class ServerEvent(Message):
        """An event from the branch's stream."""

        def __init__(self, event: Event) -> None:
            super().__init__()
            self.event = event

    class Connection(Message):
        """The event stream came up (True) or dropped (False)."""

        def __init__(self, up: bool) -> None:
            super().__init__()
            self.up = up

    class BoardStatus(Message):
        """The LED board was lost (``error``) or is back (None)."""

        def __init__(self, error: BoardError | None) -> None:
            super().__init__()
            self.error = error

    def __init__(
        self,
        device: DeviceConfig,
        client: QueueClient,
        board: LedBoard | None,
        *,
        clock: Clock = system_clock,
        board_error: str | None = None,
        board_retry: float = 1.0,
        board_heartbeat: float = 5.0,
        reconnect_backoff: float = 2.0,
        stream_silence: float = STREAM_SILENCE,
    ) -> None:
        super().__init__()
        if not device.server.counter:
            raise ValueError("a counter terminal needs server.counter in its device file")
        self.device = device
        self.client = client
        self.branch_id = device.server.branch
        self.counter_id = device.server.counter
        self.device_name = device.device.name or f"counter-{self.counter_id}"
        #: This terminal's own faults (its board) on their way to the server.
        self.alerts = AlertOutbox(client, self.branch_id, self.device_name)
        self.language = device.device.languages[0]
        self.clock = clock
        self.board = board
        self.board_error = board_error
        self._prefixes_warned = False
        self.reconnect_backoff = reconnect_backoff
        self.stream_silence = stream_silence
        #: The notice says the server was out of reach: it goes when the server is back.
        self._offline_notice = False
        #: Whether the token may act on this counter; None until the server said who it is.
        self.token_fits: bool | None = None
        self.feed = (
            BoardFeed(
                board,
                self.counter_id,
                lambda error: self.post_message(self.BoardStatus(error)),
                retry=board_retry,
                heartbeat=board_heartbeat,
            )
            if board is not None
            else None
        )
        self.branch: Branch | None = None
        self.queue: Queue | None = None
        #: Service id -> name in the screen's language; shared with the ticket panel.
        self.service_names: dict[str, str] = {}
        self._turn = asyncio.Lock()
        #: The actions enabled on screen now (None: not drawn yet).
        self._enabled: set[Action] | None = None
        #: What events made stale, read again once the events of one burst are in.
        self._stale: set[str] = set()
        self._latest_snapshot: Counter | None = None
        self._flushes = OnceMore()
        self.set_reactive(CounterScreen.clerk, device.counter.clerk.strip())

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="desk"):
            yield Static(self.t("offline"), id="offline", classes="banner")
            yield Static(id="board-warning", classes="banner")
            yield OfficeAlerts(
                self.language, self.device_name, id="office-alerts", classes="banner"
            )
            with Horizontal(id="desk-bar"):
                yield Static(id="desk-title")
                yield Static(id="desk-state")
                yield Static(id="desk-clerk")
            yield Static(id="state-hint")
            yield TicketPanel(self.language, self.service_names, id="ticket")
            yield Static(id="notice")
            yield QueueOverview(self.language, id="queue")
            with Horizontal(id="actions"):
                for action in BUTTONS:
                    button = Button(
                        self._button_label(action), id=f"do-{action.value}", compact=True
                    )
                    button.can_focus = False  # keys belong to the screen, not to a button
                    yield button
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self._render_desk()
        self._render_actions()
        self.query_one("#offline").display = False
        self._show_board_warning(
            self.t("board.none", detail=self.board_error) if self.board_error else ""
        )
        if self.feed is not None:
            self.run_worker(self.feed.run, thread=True, group="board", exit_on_error=False)
        self._follow_events()
        self._sync()
        self.tick()
        self.set_interval(1.0, self.tick)
        if not self.clerk:
            self.app.push_screen(ClerkPrompt(self.language), self._set_clerk)

    def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.stop()

    def _set_clerk(self, name: str | None) -> None:
        self.clerk = name or ""

    def tick(self) -> None:
        """Re-read the clock for the times on screen (every second, or when a test says)."""
        now = self.clock()
        self.query_one(TicketPanel).now = now
        self.query_one(OfficeAlerts).now = now

    # -- state on screen ------------------------------------------------------------------

    def watch_counter(self, before: Counter | None, after: Counter | None) -> None:
        if after is not None and self.feed is not None:
            self.feed.want(board_command(before, after))  # first: the board thread starts now
        panel = self.query_one(TicketPanel)
        panel.ticket = after.current if after else None
        panel.loaded = after is not None
        if after is not None and (before is None or before.services != after.services):
            self._render_queue()
        self._render_desk()
        self._render_actions()

    def watch_online(self) -> None:
        self.query_one("#offline").display = self.online is False
        if self.online and self._offline_notice:
            # Left up a moment after the server is back: long enough to be read.
            self.set_timer(OFFLINE_NOTICE_AFTER, self._end_offline_notice)
        if self.online and self.alerts.pending:
            self._resend_alerts()
        self._render_actions()

    def _end_offline_notice(self) -> None:
        if self.online and self._offline_notice:
            self._notice("")

    def watch_clerk(self) -> None:
        self._render_desk()

    def _render_desk(self) -> None:
        if not self.is_mounted:
            return
        counter = self.counter
        label = counter.label if counter else self.counter_id
        branch = self.branch.name if self.branch else self.branch_id
        set_text(
            self.query_one("#desk-title", Static), self.t("desk.title", label=label, branch=branch)
        )
        state = self.query_one("#desk-state", Static)
        value = counter.state.value if counter else "unknown"
        set_text(state, self.t(f"state.{value}"))
        for option in ("open", "paused", "closed"):
            state.set_class(value == option, f"-{option}")
        clerk = self.t("desk.clerk", clerk=self.clerk) if self.clerk else self.t("desk.no_clerk")
        set_text(self.query_one("#desk-clerk", Static), clerk)
        hint = ""
        if counter is not None and counter.state is not CounterState.OPEN:
            hint = self.t(f"state.hint.{counter.state.value}")
        hint_widget = self.query_one("#state-hint", Static)
        set_text(hint_widget, hint)
        hint_widget.set_class(not hint, "-empty")

    def _render_actions(self) -> None:
        if not self.is_mounted:
            return
        enabled = {
            action
            for action in BUTTONS
            if allowed(action, self.counter, online=self._usable(), busy=False)
        }
        if enabled == self._enabled and self._labels_ok():
            return  # restyling nine buttons and the key bar costs frames: only on a change
        self._enabled = enabled
        for action in BUTTONS:
            button = self.query_one(f"#do-{action.value}", Button)
            button.disabled = action not in enabled
            button.label = self._button_label(action)
        self.query_one(KeyBar).show(
            [
                (KEYS[action][0].upper(), self._key_label(action), action in enabled)
                for action in BUTTONS
            ]
        )
        self.refresh_bindings()

    def _labels_ok(self) -> bool:
        # Only Pause/Resume changes its label (with the counter's state).
        button = self.query_one("#do-pause_resume", Button)
        label = button.label
        plain = label if isinstance(label, str) else label.plain
        return plain == self._button_label(Action.PAUSE_RESUME)

    def _key_label(self, action: Action) -> str:
        if action is Action.PAUSE_RESUME:
            return self._action_name(action)
        return self.t(f"key.{action.value}")

    def _button_label(self, action: Action) -> str:
        fkey, letter = KEYS[action]
        return f"{fkey.upper()} {self._action_name(action)} ({letter})"

    def _action_name(self, action: Action) -> str:
        if action is Action.PAUSE_RESUME:
            paused = self.counter is not None and self.counter.state is CounterState.PAUSED
            return self.t("action.resume" if paused else "action.pause")
        return self.t(f"action.{action.value}")

    def _render_queue(self) -> None:
        if self.queue is not None and self.counter is not None:
            self.query_one(QueueOverview).show(
                self.queue, self.counter.services, self.service_names
            )

    def _notice(self, text: str, *, error: bool = False, until_online: bool = False) -> None:
        self._offline_notice = until_online
        notice = self.query_one("#notice", Static)
        set_text(notice, text)
        notice.set_class(error, "-error")

    def _show_board_warning(self, text: str) -> None:
        warning = self.query_one("#board-warning", Static)
        set_text(warning, text)
        warning.display = bool(text)

    # -- actions --------------------------------------------------------------------------

    def _usable(self) -> bool:
        # A token of another counter reads the branch but every action would be refused.
        return bool(self.online) and self.token_fits is not False

    def _can(self, action: Action) -> bool:
        return allowed(action, self.counter, online=self._usable(), busy=self.busy)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Greys out (and refuses) the actions that make no sense right now."""
        try:
            known = Action(action)
        except ValueError:
            return True
        return True if self._can(known) else None

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.run_action((event.button.id or "").removeprefix("do-"))

    def action_next(self) -> None:
        self._begin(Action.NEXT)

    def action_recall(self) -> None:
        self._begin(Action.RECALL)

    def action_start(self) -> None:
        self._begin(Action.START)

    def action_finish(self) -> None:
        self._begin(Action.FINISH)

    def action_no_show(self) -> None:
        self._begin(Action.NO_SHOW)

    def action_pause_resume(self) -> None:
        self._begin(Action.PAUSE_RESUME)

    def action_close(self) -> None:
        self._begin(Action.CLOSE)

    def action_open(self) -> None:
        self._begin(Action.OPEN)

    def action_transfer(self) -> None:
        if not self._can(Action.TRANSFER) or self.counter is None or self.counter.current is None:
            return
        ticket = self.counter.current
        services = self.branch.services if self.branch else []
        choices = [
            (service.id, self.service_names.get(service.id, service.id))
            for service in services
            if service.open and service.id != ticket.service
        ]
        if not choices:
            self._notice(self.t("transfer.none"), error=True)
            return

        def chosen(service: str | None) -> None:
            if service:
                self._begin(Action.TRANSFER, service)

        self.app.push_screen(TransferPicker(self.language, ticket.number, choices), chosen)

    def _begin(self, action: Action, service: str | None = None) -> None:
        if not self._can(action):
            return
        self.busy = True  # set before the worker starts: a second press finds it disabled
        self._act(action, service)

    @work(group="action", exit_on_error=False)
    async def _act(self, action: Action, service: str | None) -> None:
        name = self._action_name(action)
        try:
            async with self._turn:
                if self.counter is None:
                    return
                self.counter = await self._call(action, self.counter, service)
            nobody = action is Action.NEXT and self.counter.current is None
            self._notice(self.t("nobody_waiting") if nobody else "")
        except Unreachable:
            # The action may or may not have happened: never repeat it; read the counter
            # again once the server answers, and show that.
            self._notice(self.t("lost_answer", action=name), error=True, until_online=True)
            self._go_offline()
        except Conflict as exc:
            self._notice(self.t("conflict", action=name, detail=exc.detail), error=True)
            self._refresh_counter()
        except ApiError as exc:
            self._notice(self.t("refused", action=name, detail=exc.detail), error=True)
            self._refresh_counter()
        finally:
            self.busy = False
            if self._stale:
                self._flush_stale()

    async def _call(self, action: Action, counter: Counter, service: str | None) -> Counter:
        if action is Action.NEXT:
            return await self._call_next(counter)
        if action in (Action.PAUSE_RESUME, Action.CLOSE, Action.OPEN):
            return await self._set_state(action, counter)
        client, branch, desk = self.client, self.branch_id, self.counter_id
        match action:
            case Action.RECALL:
                return after_action(counter, await client.recall(branch, desk))
            case Action.START:
                return after_action(counter, await client.start(branch, desk))
            case Action.FINISH:
                return after_action(counter, await client.finish(branch, desk))
            case Action.NO_SHOW:
                return after_action(counter, await client.no_show(branch, desk))
            case Action.TRANSFER:
                assert service is not None
                return after_action(counter, await client.transfer(branch, desk, service))
        raise AssertionError(action)

    async def _call_next(self, counter: Counter) -> Counter:
        client, branch, desk = self.client, self.branch_id, self.counter_id
        if counter.state is not CounterState.OPEN:
            # Next would open the desk by itself, but nameless: the stats want the clerk.
            counter = await client.set_counter_state(branch, desk, "open", clerk=self.clerk or None)
        return after_action(counter, await client.call_next(branch, desk), opened=True)

    async def _set_state(self, action: Action, counter: Counter) -> Counter:
        """Pause/resume, close or open the desk: the answer is the counter itself."""
        match action:
            case Action.PAUSE_RESUME:
                target = "open" if counter.state is CounterState.PAUSED else "pause"
            case Action.CLOSE:
                target = "close"
            case _:
                target = "open"
        clerk = self.clerk or None if target == "open" else None
        return await self.client.set_counter_state(
            self.branch_id, self.counter_id, target, clerk=clerk
        )

    # -- talking to the server ------------------------------------------------------------

    def _go_offline(self) -> None:
        self.online = False
        self._sync()

    @work(group="sync", exclusive=True, exit_on_error=False)
    async def _sync(self) -> None:
        """Read branch, counter and queue until the server answers; then we are online."""
        failures = Failures(Backoff(first=0.1, cap=self.reconnect_backoff))
        while True:
            try:
                if self.token_fits is None:
                    await self._check_token()
                async with self._turn:
                    branch = await self.client.branch(self.branch_id)
                    counter = await self.client.counter(self.branch_id, self.counter_id)
                    self._take_branch(branch)
                    self.counter = counter
                    self._warn_undrawable_prefixes(branch, counter)
                self._take_queue(await self.client.queue(self.branch_id))
                await self._read_alerts()
            except Unreachable as exc:
                self.online = False
                await failures.pause(exc)
                continue
            except ApiError as exc:  # 401, 403, 404: waiting will not fix them
                self._notice(self.t("denied", detail=exc.detail), error=True)
                return
            self.online = True
            return

    async def _check_token(self) -> None:
        """Learn at start whether the token may act on this counter, not at the first press."""
        try:
            who = await self.client.whoami()
        except NotFound:
            # A server without /whoami: the first action's answer will tell instead.
            self.token_fits = True
            return
        self.token_fits = token_acts_on(who, self.branch_id, self.counter_id)
        if not self.token_fits:
            log.warning(
                "token of %s (%s) may not act on counter %s",
                who.device,
                token_scope(who),
                self.counter_id,
            )
            self._notice(
                self.t(
                    "wrong_token",
                    device=who.device,
                    scope=token_scope(who),
                    counter=self.counter_id,
                ),
                error=True,
            )
        self._render_actions()

    async def _read_alerts(self) -> None:
        """Faults reported before this terminal listened (or while it could not) still stand."""
        try:
            standing = await self.client.standing_alerts(self.branch_id)
        except ApiError as exc:  # a server older than the list: alerts show as they come
            log.warning("standing alerts not read: %s", exc.detail)
            return
        self.query_one(OfficeAlerts).load(standing)

    @work(group="counter", exclusive=True, exit_on_error=False)
    async def _refresh_counter(self) -> None:
        try:
            async with self._turn:
                self.counter = await self.client.counter(self.branch_id, self.counter_id)
        except Unreachable:
            self._go_offline()
        except ApiError as exc:
            self._notice(self.t("denied", detail=exc.detail), error=True)

    @work(group="queue", exclusive=True, exit_on_error=False)
    async def _refresh_queue(self) -> None:
        try:
            self._take_queue(await self.client.queue(self.branch_id))
        except Unreachable:
            self._go_offline()
        except ApiError as exc:
            log.warning("queue read refused: %s", exc.detail)

    def _take_branch(self, branch: Branch) -> None:
        self.branch = branch
        self.service_names.clear()
        for service in branch.services:
            self.service_names[service.id] = service.name_in(self.language)
        self._render_desk()

    def _take_queue(self, queue: Queue) -> None:
        self.queue = queue
        self._render_queue()

    @work(group="events", exit_on_error=False)
    async def _follow_events(self) -> None:
        try:
            async for event in self.client.events(
                self.branch_id,
                on_connection=lambda up: self.post_message(self.Connection(up)),
                max_backoff=self.reconnect_backoff,
                silence=self.stream_silence,
            ):
                self.post_message(self.ServerEvent(event))
        except ApiError as exc:
            self._notice(self.t("denied", detail=exc.detail), error=True)

    def on_counter_screen_connection(self, message: Connection) -> None:
        # Up: events may have been missed in between, read everything again. Down: the
        # screen may miss changes from now on, so it says so at once; a read of the server
        # (each try waits for an answer for seconds when the link is dead) clears it.
        if not message.up and self.online:
            self.online = False
        self._sync()

    def on_counter_screen_server_event(self, message: ServerEvent) -> None:
        event = message.event
        if event.type is EventType.RESYNC:
            self._sync()
            return
        if event.type is EventType.DEVICE_ALERT:
            self._note_alert(event)
            return
        counter, ticket = event.data.counter, event.data.ticket
        if self.counter_id in (counter.id if counter else None, ticket.counter if ticket else None):
            self._latest_snapshot = counter
            self._stale.add("counter")
        self._stale.add("queue")
        if self._flushes.ask():
            # One action sends several events at once (a Next: completed, then called):
            # read once, after all of them are in.
            self.call_later(self._flush_stale)

    def _note_alert(self, event: Event) -> None:
        alert = event.alert
        if alert is None:
            log.warning("device.alert %s without a readable alert: ignored", event.id)
            return
        self.query_one(OfficeAlerts).note(alert)

    def _flush_stale(self) -> None:
        self._flushes = OnceMore()
        if self.busy:
            # The action's answer is on its way: reading now would compete with it, and the
            # answer may make the read needless. ``_act`` flushes once it has the answer.
            return
        stale, self._stale = self._stale, set()
        # Read the counter rather than trust a snapshot, unless the newest one is exactly
        # what is shown: an earlier step's snapshot may arrive after the action's answer.
        if "counter" in stale and not self._shows(self._latest_snapshot):
            self._refresh_counter()
        if "queue" in stale:
            self._refresh_queue()

    def _shows(self, snapshot: Counter | None) -> bool:
        """Whether an event's counter snapshot is exactly what the screen shows already."""
        if snapshot is None or self.counter is None or self.busy:
            return False
        return snapshot == self.counter

    # -- the LED board --------------------------------------------------------------------

    def on_counter_screen_board_status(self, message: BoardStatus) -> None:
        if message.error is None:
            self._show_board_warning("")
            self.notify(self.t("board.back"))
            self._report_board("board.ok", "the LED board answers again")
            return
        self._show_board_warning(self.t("board.lost", detail=str(message.error)))
        self._report_board("board.lost", str(message.error))

    def _warn_undrawable_prefixes(self, branch: Branch, counter: Counter) -> None:
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
            self.notify(text, severity="warning", timeout=30)

    @work(group="alerts", exit_on_error=False)
    async def _report_board(self, kind: str, detail: str) -> None:
        await self.alerts.send(kind, detail)

    @work(group="alerts", exit_on_error=False)
    async def _resend_alerts(self) -> None:
        await self.alerts.resend()
