"""The lobby's waiting counts when a late no-show is brought back (``ticket.returned``)."""

from __future__ import annotations

from tests.display.conftest import Office, live_display
from tests.pilot_wait import until


async def test_a_returned_no_show_counts_as_waiting_again(server, office: Office):
    await office.issue("licencias", 1)
    async with live_display(server.url) as (_app, pilot, screen):
        ticket = await office.next("2")
        await until(pilot, lambda: screen.waiting.get("licencias") == 0)
        await office.counters["2"].no_show("centro", "2")
        await office.counters["2"].return_ticket("centro", ticket.id)
        await until(pilot, lambda: screen.waiting.get("licencias") == 1)
