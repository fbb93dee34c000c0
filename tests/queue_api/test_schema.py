"""The wire models' own rules: event data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from queue_api.schema import (
    Alert,
    Event,
    EventData,
    EventType,
    Ticket,
)

AT = datetime(2026, 1, 15, 9, 41, 5, tzinfo=UTC)


def test_event_data_leaves_out_what_an_event_does_not_carry() -> None:
    ticket = Ticket(
        id="t1",
        number="A001",
        branch="centro",
        service="licencias",
        priority=False,
        status="waiting",
        language="es",
        issued_at=AT,
    )
    mexico = timezone(timedelta(hours=-6))
    wire = EventData(ticket=ticket, at=AT.astimezone(mexico).replace(microsecond=0)).wire()
    assert list(wire) == ["ticket", "at"]
    assert wire["at"] == "2026-01-15T09:41:05.000000+00:00"
    assert wire["ticket"] == ticket.model_dump(mode="json")  # its own nulls stay
    resync = EventData(at=AT, last_event_id=0).wire()
    assert list(resync) == ["at", "last_event_id"]


def test_an_event_reads_its_data_once_into_models() -> None:
    alert = Alert(branch="centro", device="kiosko", kind="printer.ok", detail="", role="kiosk")
    data = EventData(alert=alert, at=AT).wire()
    event = Event.model_validate({"id": 9, "type": "device.alert", "data": data})
    assert event.type is EventType.DEVICE_ALERT and event.data.alert == alert
    assert (event.ticket, event.counter) == (None, None)
    assert event.alert is not None
    assert (event.alert.event_id, event.alert.at, event.alert.part) == (9, AT, "printer")
    with pytest.raises(ValueError, match="at"):
        Event.model_validate({"id": 9, "type": "device.alert", "data": {"alert": data["alert"]}})
