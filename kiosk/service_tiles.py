"""The home screen's touch targets: one large tile per service of the branch."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from kiosk.wording import Words
from queue_api.schema import Service, ServiceQueue


class ServiceTile(Static):
    """A service as a big button: its keypad digit, name, people waiting and estimated wait."""

    @dataclass
    class Chosen(Message):
        """A citizen touched an open service (or pressed its digit)."""

        service: str

    def __init__(self, service: Service, digit: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.service = service
        self.digit = digit

    def show(
        self, service: Service, queue: ServiceQueue | None, words: Words, *, available: bool
    ) -> None:
        """Redraw the tile for the latest service state and queue, in ``words``' language.

        Without the server (``available`` False) the counts would be stale: only the name shows.
        """
        self.service = service
        self.set_class(not service.open, "-closed")
        self.set_class(not available, "-unavailable")
        name = service.name_in(words.language)
        if not service.open:
            detail = words("service.closed")
        elif queue is None or not available:
            detail = ""
        elif queue.waiting == 0:
            detail = words("service.waiting_none")
        else:
            detail = (
                words.counted("service.waiting", queue.waiting)
                + "  ·  "
                + words(
                    "service.wait",
                    wait=words.wait_range(queue.ewt_range_seconds, queue.ewt_seconds),
                )
            )
        self.update(
            Content.assemble(
                (f" {self.digit} ", "reverse bold"), "  ", (name, "bold"), "\n\n", detail
            )
        )

    def press(self) -> None:
        """Choose this tile's service when it is open: a touch and its keypad digit both."""
        if self.service.open:
            self.post_message(self.Chosen(self.service.id))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.press()
