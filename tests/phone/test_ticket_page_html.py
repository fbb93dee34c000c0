"""The ticket page as the server renders it, before any script runs: what a browser without
JavaScript shows, and what the script starts from."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from queue_api.schema import PublicTicket, TicketStatus
from queue_api.server.status_page import browser_language, render_status_page

ISSUED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def ticket(**changes: object) -> PublicTicket:
    fields: dict = {
        "number": "C004",
        "branch_name": "Oficina Centro",
        "service": "registro",
        "service_name": {"es": "Registro civil", "en": "Civil registry"},
        "status": TicketStatus.WAITING,
        "language": "es",
        "issued_at": ISSUED,
        "ahead": 2,
        "ewt_seconds": 400,
    }
    return PublicTicket(**{**fields, **changes})


def shown(page: str, element: str) -> bool:
    tag = re.search(rf'<[a-z0-9]+ id="{element}"[^>]*>', page)
    assert tag, element
    return " hidden" not in tag[0]


def test_a_waiting_ticket_near_its_turn_reads_right_without_javascript() -> None:
    page = render_status_page(ticket(), "es", ticket_id="abc", near={"registro": 2})
    assert '<html lang="es">' in page
    assert '<noscript><meta http-equiv="refresh"' in page
    assert shown(page, "near") and "Su turno está cerca" in page
    assert not shown(page, "remote") and not shown(page, "for-counter")
    assert not shown(page, "called") and not shown(page, "feedback")
    assert "<dd>2</dd>" in page and "<dd>7 min</dd>" in page
    assert '<div id="live" class="sr-only" aria-live="polite">' in page
    assert len(page.encode()) < 50_000
    # One person more ahead than the service's threshold: not near yet.
    assert not shown(render_status_page(ticket(ahead=3), "es", near={"registro": 2}), "near")


def test_a_remote_ticket_transferred_to_one_counter_says_where_it_will_be_called() -> None:
    page = render_status_page(
        ticket(channel="remote", for_counter_label="Ventanilla 4"), "en", ticket_id="abc"
    )
    assert shown(page, "remote") and "No paper needed" in page
    assert shown(page, "for-counter") and "You will be called to Ventanilla 4" in page


def test_the_script_gets_the_view_and_both_languages_and_no_name_can_end_it() -> None:
    evil = ticket(service_name={"es": "</script><script>alert(1)</script>"})
    page = render_status_page(evil, "es", ticket_id="abc", feedback_given=False)
    assert page.count("</script>") == 2  # the two scripts' own ends, nothing else
    setup = re.search(r"<script>var TURNERO=(.*?);</script>", page, re.S)
    assert setup
    data = json.loads(setup[1].replace("<\\/", "</"))
    assert data["view"]["number"] == "C004" and data["stream"] == "/api/v1/tickets/abc/events"
    assert set(data["text"]) == {"es", "en"}
    assert data["text"]["en"]["phone.near"] == "Your turn is near"
    assert data["waitText"] == {"es": "7 min", "en": "7 min"}


def test_the_browsers_language_is_the_first_one_the_server_speaks() -> None:
    assert browser_language("fr-FR,fr;q=0.9,en;q=0.8,es;q=0.7") == "en"
    assert browser_language("es-MX") == "es"
    assert browser_language("en;q=0.2, es;q=0.9") == "es"
    assert browser_language("de, fr;q=x") is None
    assert browser_language(None) is None
