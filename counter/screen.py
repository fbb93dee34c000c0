"""The clerk's main screen: the desk, the current ticket, the queue and the actions.

Everything shown comes from the server: an action's answer, or a fresh read of the counter
after an event (:mod:`counter.server_feed`). Reads and actions on the counter take turns
(one lock), so an older answer never overwrites a newer one. The LED board follows what
this screen shows (:mod:`counter.board_link`). Which keys are live is decided by
:mod:`counter.desk_rules`; the widgets get the desk's state as attributes.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button

from counter import desk_rules
from counter.action_buttons import ActionButtons
from counter.board_link import BoardLink
from counter.clerk_prompt import ClerkPrompt
from counter.clock import Clock, system_clock
from counter.desk import Action, allowed
from counter.desk_actions import DeskActions
from counter.desk_bar import DeskBar, StateHint
from counter.desk_flows import FLOW_KEYS, DeskFlows, counter_choices
from counter.desk_rules import BUTTONS, KEYS
from counter.key_bar import KeyBar
from counter.kpi_alerts import KpiAlerts
from counter.messages import BoardStatus, ServerEvent, StreamConnection
from counter.notices import OFFLINE_NOTICE_AFTER, BoardWarning, DeskNotice, OfflineBanner
from counter.office_alerts import OfficeAlerts
from counter.queue_overview import QueueOverview
from counter.server_feed import ServerFeed
from counter.ticket_panel import TicketPanel
from counter.transfer_picker import TransferPicker
from counter.wording import CounterWords
from device.config import DeviceConfig
from drivers.board import LedBoard
from queue_api.client import STREAM_SILENCE, QueueClient
from queue_api.i18n import translate
from queue_api.schema import Branch, Counter, Queue

__all__ = ["BUTTONS", "KEYS", "OFFLINE_NOTICE_AFTER", "CounterScreen"]


def _bindings() -> list[BindingType]:
    # An F-key and a letter per action. The descriptions are for Textual's own lists (help,
    # palette); on screen the key bar and the buttons speak the device's language.
    bindings: list[BindingType] = []
    for action, (fkey, letter) in KEYS.items():
        label = translate("counter", "es", f"key.{action.value}")
        bindings.append(Binding(fkey, action.value, label, key_display=fkey.upper()))
        bindings.append(Binding(letter, action.value, label, show=False))
    for letter, action in FLOW_KEYS:
        label = translate("counter", "es", f"key.{action.value}")
        bindings.append(Binding(letter, action.value, label, key_display=letter.upper()))
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
        self.language = device.device.languages[0]
        self.clock = clock
        self.board_error = board_error
        self.board_link = BoardLink(
            self,
            client,
            board,
            language=self.language,
            branch=self.branch_id,
            counter=self.counter_id,
            device_name=self.device_name,
            retry=board_retry,
            heartbeat=board_heartbeat,
        )
        #: The board's one writer (None without a board); the app stops it before the board.
        self.feed = self.board_link.feed
        self.server = ServerFeed(
            self,
            client,
            self.branch_id,
            self.counter_id,
            reconnect_backoff=reconnect_backoff,
            stream_silence=stream_silence,
        )
        self.actions = DeskActions(self, client, self.branch_id, self.counter_id)
        self.flows = DeskFlows(self, client)
        self.branch: Branch | None = None
        self.queue: Queue | None = None
        #: Service id -> name in the screen's language; shared with the ticket panel.
        self.service_names: dict[str, str] = {}
        self.set_reactive(CounterScreen.clerk, device.counter.clerk.strip())

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        language = self.language
        with Vertical(id="desk"):
            yield OfflineBanner(language, id="offline", classes="banner")
            yield BoardWarning(id="board-warning", classes="banner")
            yield OfficeAlerts(language, self.device_name, id="office-alerts", classes="banner")
            yield KpiAlerts(
                language,
                lambda: self.counter.services if self.counter else None,
                self.service_names,
                id="kpi-alerts",
                classes="banner",
            )
            yield DeskBar(language, self.counter_id, self.branch_id, id="desk-bar")
            yield StateHint(language, id="state-hint")
            yield TicketPanel(language, self.service_names, id="ticket")
            yield DeskNotice(id="notice")
            yield QueueOverview(language, id="queue")
            yield ActionButtons(language, id="actions")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self._render_desk()
        self.render_actions()
        self.query_one(OfflineBanner).show(self.online)
        detail = self.board_error
        self.query_one(BoardWarning).say(self.t("board.none", detail=detail) if detail else "")
        self.board_link.start()
        self.server.follow()
        self.server.sync()
        self.tick()
        self.set_interval(1.0, self.tick)
        if not self.clerk:
            self.app.push_screen(ClerkPrompt(self.language), self._set_clerk)

    def on_unmount(self) -> None:
        self.board_link.stop()

    def _set_clerk(self, name: str | None) -> None:
        self.clerk = name or ""

    def tick(self) -> None:
        """Re-read the clock for the times on screen (every second, or when a test says)."""
        now = self.clock()
        self.query_one(TicketPanel).now = now
        self.query_one(OfficeAlerts).now = now

    # -- state on screen ------------------------------------------------------------------

    def watch_counter(self, before: Counter | None, after: Counter | None) -> None:
        if after is not None:
            self.board_link.follow(before, after)  # first: the board thread starts now
        panel = self.query_one(TicketPanel)
        panel.ticket = after.current if after else None
        panel.loaded = after is not None
        if after is not None and (before is None or before.services != after.services):
            self._render_queue()
        self._render_desk()
        self.render_actions()

    def watch_online(self) -> None:
        self.query_one(OfflineBanner).show(self.online)
        self.query_one(DeskNotice).follow(self.online)
        if self.online:
            self.board_link.resend()
        self.render_actions()

    def watch_clerk(self) -> None:
        self._render_desk()

    def _render_desk(self) -> None:
        if not self.is_mounted:
            return
        bar = self.query_one(DeskBar)
        bar.counter, bar.clerk = self.counter, self.clerk
        bar.branch_name = self.branch.name if self.branch else self.branch_id
        bar.show()
        self.query_one(StateHint).show(self.counter)

    def render_actions(self) -> None:
        """Enable the buttons and keys the desk rules allow now (redrawn only on a change)."""
        if not self.is_mounted:
            return
        enabled = desk_rules.enabled(self.counter, online=self._usable())
        buttons = self.query_one(ActionButtons)
        if buttons.show(enabled, self.counter):
            flows = [
                (letter.upper(), self.t(f"key.{action.value}"), Action.NEXT in enabled)
                for letter, action in FLOW_KEYS
            ]
            self.query_one(KeyBar).show([*buttons.keys(), *flows])
            self.refresh_bindings()

    def _render_queue(self) -> None:
        if self.queue is not None and self.counter is not None:
            self.query_one(QueueOverview).show(
                self.queue, self.counter.services, self.service_names
            )

    def say(self, text: str, *, error: bool = False, until_online: bool = False) -> None:
        """Show ``text`` in the notice under the ticket."""
        self.query_one(DeskNotice).say(text, error=error, until_online=until_online)

    def take_branch(self, branch: Branch) -> None:
        """Show a fresh read of the branch (its name, its services' names)."""
        self.branch = branch
        self.service_names.clear()
        for service in branch.services:
            self.service_names[service.id] = service.name_in(self.language)
        self._render_desk()

    def take_queue(self, queue: Queue) -> None:
        """Show a fresh read of the queue."""
        self.queue = queue
        self._render_queue()

    # -- actions --------------------------------------------------------------------------

    def _usable(self) -> bool:
        return desk_rules.usable(self.online, self.server.token_fits)

    def can(self, action: Action) -> bool:
        """Whether ``action`` makes sense now (none while another one is in flight)."""
        return allowed(action, self.counter, online=self._usable(), busy=self.busy)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Greys out (and refuses) the actions that make no sense right now."""
        try:
            known = Action(action)
        except ValueError:
            return True
        return True if self.can(known) else None

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.run_action((event.button.id or "").removeprefix("do-"))

    def action_next(self) -> None:
        self.flows.finish(Action.NEXT)

    def action_recall(self) -> None:
        self.actions.begin(Action.RECALL)

    def action_start(self) -> None:
        self.actions.begin(Action.START)

    def action_finish(self) -> None:
        self.flows.finish(Action.FINISH)

    def action_call_ticket(self) -> None:
        self.flows.call_from_line()

    def action_return_ticket(self) -> None:
        self.flows.bring_back()

    def action_no_show(self) -> None:
        self.actions.begin(Action.NO_SHOW)

    def action_pause_resume(self) -> None:
        self.actions.begin(Action.PAUSE_RESUME)

    def action_close(self) -> None:
        self.actions.begin(Action.CLOSE)

    def action_open(self) -> None:
        self.actions.begin(Action.OPEN)

    def action_transfer(self) -> None:
        if not self.can(Action.TRANSFER) or self.counter is None or self.counter.current is None:
            return
        ticket = self.counter.current
        choices = desk_rules.transfer_choices(self.branch, self.service_names, ticket)
        choices += counter_choices(self.branch, self.counter_id, self.t("transfer.only_desk"))
        if not choices:
            self.say(self.t("transfer.none"), error=True)
            return

        def chosen(service: str | None) -> None:
            if service:
                self.actions.begin(Action.TRANSFER, service)

        self.app.push_screen(TransferPicker(self.language, ticket.number, choices), chosen)

    # -- news from workers and threads ----------------------------------------------------

    @on(StreamConnection)
    def _connection(self, message: StreamConnection) -> None:
        self.server.connection(message.up)

    @on(ServerEvent)
    def _server_event(self, message: ServerEvent) -> None:
        self.server.take(message.event)

    @on(BoardStatus)
    def _board_status(self, message: BoardStatus) -> None:
        self.board_link.take_status(message.error)
