"""How many people wait, per service, by the service's prefix and name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from device.glyphs import render, text_height, text_width
from queue_api.schema import Service


class WaitingCounts(Widget):
    """One line per service: prefix, people waiting, name in the display's language."""

    DEFAULT_CSS = """
    WaitingCounts { height: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.services: list[Service] = []
        self.waiting: dict[str, int] = {}
        self.language = "es"

    def show(self, services: Sequence[Service], waiting: Mapping[str, int], language: str) -> None:
        """Replace the counts with ``waiting`` (service id -> people waiting)."""
        self.services, self.waiting, self.language = list(services), dict(waiting), language
        self.refresh()  # fixed size: a repaint, never a new layout

    def service_name(self, service: Service) -> str:
        """The service's name in the display's language (``Service.name_in``'s fallbacks)."""
        return service.name_in(self.language)

    def counts(self) -> list[str]:
        """One "prefix count" per service, counts aligned: "A  3", "B 12"."""
        width = max((len(service.prefix) for service in self.services), default=1)
        numbers = [str(self.waiting.get(service.id, 0)) for service in self.services]
        digits = max((len(number) for number in numbers), default=1)
        return [
            f"{service.prefix:<{width}} {number:>{digits}}"
            for service, number in zip(self.services, numbers, strict=True)
        ]

    @property
    def big(self) -> bool:
        """Whether the counts are drawn in glyphs (with the names beside them) at this size."""
        size = self.content_size
        counts = self.counts()
        return (
            bool(counts)
            and size.height >= len(counts) * text_height(1)
            and all(
                text_width(count, 1) + 2 + len(self.service_name(service)) <= size.width
                for count, service in zip(counts, self.services, strict=True)
            )
        )

    def render(self) -> RenderResult:
        text = Text(no_wrap=True, overflow="ellipsis")
        big = self.big
        for index, (count, service) in enumerate(zip(self.counts(), self.services, strict=True)):
            if index:
                text.append("\n")
            if big:
                rows = render(count, 1)
                rows[1] += f"  {self.service_name(service)}"  # the name beside the glyphs
                text.append("\n".join(rows))
            else:
                prefix, _, number = count.partition(" ")
                text.append(f"{prefix} {number:>3}  ", style="bold")
                text.append(self.service_name(service))
        return text
