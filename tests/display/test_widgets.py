"""The board's small widgets on their own: big text sizing, the scrolling ticker."""

from __future__ import annotations

from textual.app import App, ComposeResult

from device.big_text import BigText
from device.glyphs import render, text_width
from display.clock import FrozenClock
from display.ticker import Ticker
from tests.display.conftest import FROZEN_AT


class One(App[None]):
    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def rows(widget) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.content_size.height)]


async def test_big_text_takes_the_largest_scale_that_fits_and_centres_it():
    big = BigText("A042")
    async with One(big).run_test(size=(60, 10)) as pilot:
        assert big.scale == 2  # 46 x 7 fits 60 x 10; scale 3 (69 columns) does not
        drawn = rows(big)
        assert [row.strip() for row in drawn[1:8]] == [row.strip() for row in render("A042", 2)]
        left = (60 - text_width("A042", 2)) // 2
        assert drawn[1].index("█") == left + render("A042", 2)[0].index("█")

        await pilot.resize_terminal(14, 3)
        await pilot.pause()
        assert big.scale == 0
        assert rows(big)[1].strip() == "A042", "too small for glyphs: plain text, not nothing"

        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        big.text = "Z9"
        await pilot.pause()
        assert big.scale == 8  # 11 x 8 = 88 columns, 28 rows
        assert any("█" in row for row in rows(big))


async def test_a_long_ticker_scrolls_with_the_clock_and_a_short_one_stands_still():
    clock = FrozenClock(FROZEN_AT)
    ticker = Ticker("Bienvenidos a la oficina: tenga su identificación a mano", clock)
    async with One(ticker).run_test(size=(20, 3)) as pilot:
        first = str(ticker.render())
        clock.advance(0.25)  # one cell at four cells a second
        ticker.refresh()
        await pilot.pause()
        assert str(ticker.render()) == first[1:] + str(ticker.render())[-1]
        assert len(str(ticker.render())) == 20
        ticker.message = "Hola"
        await pilot.pause()
        before = str(ticker.render())
        clock.advance(3)
        assert str(ticker.render()) == before == "Hola"
