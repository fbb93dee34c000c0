"""The wire models' own rules: service names per language, lookups, event data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from queue_api.schema import (
    Alert,
    Branch,
    Event,
    EventData,
    EventType,
    PublicTicket,
    Service,
    Ticket,
    text_in,
)

AT = datetime(2026, 1, 15, 9, 41, 5, tzinfo=UTC)


def service(id: str = "pagos", **name: str) -> Service:
    return Service(
        id=id, prefix="B", name=name, priority_allowed=False, open=True, target_wait_minutes=15
    )


def test_a_name_falls_back_to_spanish_then_any_language_then_the_id() -> None:
    both = service(en="Payments", es="Pagos")  # English first, as an office file may have it
    assert (both.name_in("en"), both.name_in("es"), both.name_in("fr")) == (
        "Payments",
        "Pagos",
        "Pagos",  # Spanish, the language every service has, not the first one written
    )
    assert service(es="Pagos").name_in("en") == "Pagos"
    assert service(en="Payments").name_in("fr") == "Payments"
    assert service(es="", en="Payments").name_in("es") == "Payments"  # empty is untranslated
    assert service().name_in("es") == "pagos"
    assert text_in({}, "es", "") == ""


def test_the_public_ticket_names_its_service_by_the_same_rule() -> None:
    ticket = PublicTicket(
        number="B001",
        branch_name="Oficina Centro",
        service="pagos",
        service_name={"en": "Payments", "es": "Pagos"},
        status="waiting",
        language="es",
        issued_at=AT,
    )
    assert (ticket.service_name_in("en"), ticket.service_name_in("fr")) == ("Payments", "Pagos")
    nameless = ticket.model_copy(update={"service_name": {}})
    assert nameless.service_name_in("en") == "pagos"


def test_a_branch_finds_its_service_by_id() -> None:
    pagos, licencias = service("pagos", es="Pagos"), service("licencias", es="Licencias")
    branch = Branch(id="centro", name="Centro", services=[pagos, licencias], counters=[])
    assert branch.service("licencias") is licencias
    assert branch.service("registro") is None


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
