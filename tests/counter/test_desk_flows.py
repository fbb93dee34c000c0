"""The counter's flows beyond Next, through the Pilot against a real server: call a waiting
ticket out of order, bring back a late no-show, finish with an outcome, transfer to one
counter, and the why of each called ticket."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Label

from counter.app import CounterApp
from counter.desk_dialogs import ConfirmCall, OutcomePicker, ReturnPrompt, WaitingPicker
from counter.key_bar import KeyBar
from counter.screen import CounterScreen
from counter.transfer_picker import TransferPicker
from queue_api.schema import TicketStatus
from tests.counter.conftest import api, device_for
from tests.desk_office import desk_office
from tests.pilot_wait import until


@pytest.fixture
def office_config(tmp_path: Path) -> Path:
    """The example office with outcomes for registro and ``return_after = 1``."""
    return desk_office(tmp_path, tmp_path / "turnero.db")


async def ready(pilot) -> CounterScreen:
    screen = pilot.app.counter_screen
    await until(pilot, lambda: screen.online and screen.counter is not None and screen.branch)
    return screen


def why_line(screen: CounterScreen) -> str:
    return str(screen.query_one("#why").content)


async def test_call_out_of_order_confirms_who_waits_longest(server, tokens, kiosk, clock):
    first, second, third = kiosk("licencias"), kiosk("licencias"), kiosk("licencias")
    app = CounterApp(device_for(server.url, tokens["counter2"], "2"), clock=clock)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, WaitingPicker))
        assert [t.number for t in app.screen.tickets] == ["A001", "A002", "A003"]
        await pilot.press("3")
        await until(pilot, lambda: isinstance(app.screen, ConfirmCall))
        longest = str(app.screen.query_one("#confirm-longest", Label).content)
        assert longest.startswith("A001 es quien más espera:")
        assert "A001" in str(app.screen.query_one("#confirm-next", Label).content)
        await pilot.press("escape")  # the cost was too high: nothing is called
        await until(pilot, lambda: app.screen is screen)
        assert screen.counter.current is None
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, WaitingPicker))
        await pilot.press("3")
        await until(pilot, lambda: isinstance(app.screen, ConfirmCall))
        await pilot.press("enter")
        await until(pilot, lambda: screen.counter.current is not None and not screen.busy)
        assert screen.counter.current.id == third["id"]
        assert why_line(screen).startswith("Por qué: called out of order by the clerk; number 3")
        # Next goes on in the policy's order, and says why.
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current.id == first["id"])
        assert why_line(screen) == "Por qué: waited 0 min"
    line = (await api(server, tokens["admin"], "GET", "/counters/2/waiting")).json()
    assert [t["id"] for t in line["tickets"]] == [second["id"]]


async def test_bring_back_a_late_no_show_by_number(server, tokens, kiosk, clock):
    kiosk("licencias")
    kiosk("licencias")
    kiosk("licencias")
    app = CounterApp(device_for(server.url, tokens["counter2"], "2"), clock=clock)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        await pilot.press("b")  # nobody to bring back yet
        await until(pilot, lambda: "no hay turnos" in str(screen.query_one("#notice").content))
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None and not screen.busy)
        await pilot.press("x")
        await until(pilot, lambda: screen.counter.current is None and not screen.busy)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, ReturnPrompt))
        prompt = app.screen
        await pilot.press(*"a009", "enter")
        error = prompt.query_one("#return-error", Label)
        await until(pilot, lambda: "A009" in str(error.content))
        prompt.query_one(Input).value = ""
        await pilot.press(*"a001", "enter")
        await until(pilot, lambda: app.screen is screen and not screen.busy)
        notice = str(screen.query_one("#notice").content)
        assert notice == "A001 vuelve a la fila: 1 antes que él."
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current.number == "A002")
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current.number == "A001")
        assert "back after a no-show, behind 1" in why_line(screen)


async def test_finish_asks_the_outcome_with_one_key_each(server, tokens, kiosk, clock):
    kiosk("registro")
    kiosk("registro")
    kiosk("pagos")
    app = CounterApp(device_for(server.url, tokens["counter4"], "4"), clock=clock)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None and not screen.busy)
        assert screen.counter.current.number == "C001"
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, OutcomePicker))
        keys = app.screen.query_one(KeyBar).content
        assert "1 Resuelto" in str(keys) and "2 Faltan papeles" in str(keys)
        await pilot.press("escape")  # no skipping: back to the desk, still serving C001
        await until(pilot, lambda: app.screen is screen)
        assert screen.counter.current.number == "C001"
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, OutcomePicker))
        await pilot.press("2")
        await until(pilot, lambda: screen.counter.current is None and not screen.busy)
        # Next with a current registro ticket asks too, then finishes it with that outcome.
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None and not screen.busy)
        c2 = screen.counter.current
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, OutcomePicker))
        await pilot.press("1")
        await until(pilot, lambda: screen.counter.current is None and not screen.busy)
        stats = (await api(server, tokens["admin"], "GET", "/stats")).json()
        registro = next(s for s in stats["services"] if s["service"] == "registro")
        assert registro["served"] == 2
        ticket = (await api(server, tokens["admin"], "GET", "/counters/4")).json()
        assert ticket["current"] is None and c2.number == "C002"


async def test_finish_without_outcomes_asks_nothing(server, tokens, kiosk, clock):
    kiosk("pagos")
    app = CounterApp(device_for(server.url, tokens["counter3"], "3"), clock=clock)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None and not screen.busy)
        await pilot.press("f")
        await until(pilot, lambda: screen.counter.current is None and not screen.busy)
        assert app.screen is screen


async def test_transfer_to_one_counter(server, tokens, kiosk, clock):
    kiosk("licencias")
    app = CounterApp(device_for(server.url, tokens["counter2"], "2"), clock=clock)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        await pilot.press("n")
        await until(pilot, lambda: screen.counter.current is not None and not screen.busy)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TransferPicker))
        choices = app.screen.services
        assert ("counter:1", "Ventanilla 1 (solo esa ventanilla)") in choices
        await pilot.press(
            str(choices.index(("counter:1", "Ventanilla 1 (solo esa ventanilla)")) + 1)
        )
        await until(pilot, lambda: screen.counter.current is None and not screen.busy)
    line = (await api(server, tokens["admin"], "GET", "/counters/1/waiting")).json()
    assert [(t["number"], t["for_counter"], t["status"]) for t in line["tickets"]] == [
        ("A001", "1", TicketStatus.WAITING.value)
    ]
    assert (await api(server, tokens["admin"], "GET", "/counters/4/waiting")).json()[
        "tickets"
    ] == []
