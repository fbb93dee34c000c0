"""The first step: one tile per service, with its waiting count; a digit or a touch picks one."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Label

from kiosk.check_in import offers_appointments
from kiosk.service_tiles import ServiceTile
from kiosk.wording import DEFAULT_LANGUAGE, Words
from queue_api.schema import Branch, Queue, ServiceQueue


class HomeStep(Vertical):
    """The services of the branch; shows "loading" until the branch is first read."""

    #: Bound to the screen's language.
    language: reactive[str] = reactive(DEFAULT_LANGUAGE, init=False)
    #: Bound to the screen's: without the server the counts would be stale.
    available: reactive[bool] = reactive(False, init=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.branch: Branch | None = None
        self.queue: dict[str, ServiceQueue] = {}
        self.title = Label(id="home-title")
        self.board = VerticalScroll(id="services")
        self.keypad = Label(id="home-keypad")
        self.appointment = Button("", id="home-appointment")

    class AppointmentChosen(Message):
        """The citizen touched "I have an appointment"."""

    def compose(self) -> ComposeResult:
        yield self.title
        yield self.board
        yield self.appointment
        yield self.keypad

    def on_mount(self) -> None:
        self.redraw()

    def watch_language(self) -> None:
        self.redraw()

    def watch_available(self) -> None:
        self.draw_tiles()

    async def show_queue(self, branch: Branch, queue: Queue) -> None:
        """The branch and its counts as just read: tiles placed (again if changed), redrawn."""
        await self._place_tiles(branch)
        self.branch = branch
        self.queue = {entry.service: entry for entry in queue.services}
        self.redraw()

    def press(self, digit: str) -> None:
        """A keypad digit: the same as touching that service's tile."""
        tiles = list(self.board.query(ServiceTile))
        index = int(digit) - 1
        if 0 <= index < len(tiles):
            tiles[index].press()

    def redraw(self) -> None:
        """Title, keypad hint and tiles in the current language."""
        words = Words(self.language)
        self.title.update(words("home.title") if self.branch else words("home.loading"))
        self.keypad.update(words("home.keypad") if self.branch else "")
        # Only where the branch takes appointments (kiosk/check_in.py).
        self.appointment.display = offers_appointments(self.branch)
        self.appointment.label = words("home.appointment")
        self.draw_tiles()

    @on(Button.Pressed, "#home-appointment")
    def _appointment(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.AppointmentChosen())

    def draw_tiles(self) -> None:
        """Each tile with its service's latest state and count."""
        services = {service.id: service for service in self.branch.services} if self.branch else {}
        for tile in self.board.query(ServiceTile):
            tile.show(
                services.get(tile.service.id, tile.service),
                self.queue.get(tile.service.id),
                Words(self.language),
                available=self.available,
            )

    async def _place_tiles(self, branch: Branch) -> None:
        """One tile per service, in the branch's order (again if the office changed them)."""
        if [tile.service.id for tile in self.board.query(ServiceTile)] == [
            service.id for service in branch.services
        ]:
            return
        await self.board.remove_children()
        await self.board.mount_all(
            ServiceTile(service, digit, id=f"service-{service.id}")
            for digit, service in enumerate(branch.services, start=1)
        )
