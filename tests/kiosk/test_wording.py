"""The kiosk's words: waits, counts, catalogs in both languages, the ticket's paper view."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from importlib import resources

import pytest

from kiosk.ticket_slip import ticket_view
from kiosk.wording import Words
from queue_api.schema import Branch, Service, Ticket, TicketStatus


def catalog(language: str) -> dict[str, str]:
    text = resources.files("kiosk").joinpath("locales", f"{language}.toml").read_text("utf-8")
    return tomllib.loads(text)


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    spanish, english = catalog("es"), catalog("en")
    assert spanish.keys() == english.keys()
    for key, text in spanish.items():
        assert sorted(_fields(text)) == sorted(_fields(english[key])), key


def _fields(text: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


@pytest.mark.parametrize(
    ("seconds", "es", "en"),
    [
        (None, "sin estimación", "no estimate"),
        (30, "menos de 1 min", "under 1 min"),
        (60, "1 min", "1 min"),
        (61, "2 min", "2 min"),  # rounded up: better a shorter wait than promised
        (3540, "59 min", "59 min"),
        (3599, "1 h 0 min", "1 h 0 min"),
        (3600, "1 h 0 min", "1 h 0 min"),
        (5000, "1 h 24 min", "1 h 24 min"),
    ],
)
def test_wait_in_words(seconds: int | None, es: str, en: str) -> None:
    assert Words("es").wait(seconds) == es
    assert Words("en").wait(seconds) == en


def test_counts_in_words() -> None:
    words = Words("es")
    assert words.counted("ticket.ahead", 0) == "No hay nadie antes que usted"
    assert words.counted("ticket.ahead", 1) == "Hay 1 persona antes que usted"
    assert words.counted("ticket.ahead", 7) == "Hay 7 personas antes que usted"
    assert Words("en").counted("service.waiting", 2) == "2 people waiting"


def test_ticket_view_for_paper() -> None:
    service = Service(
        id="licencias", prefix="A", name={"es": "Licencias", "en": "Licences"},
        priority_allowed=True, open=True, target_wait_minutes=15,
    )  # fmt: skip
    branch = Branch(id="centro", name="Oficina Centro", services=[service], counters=[])
    ticket = Ticket(
        id="abcDEF123", number="A042", branch="centro", service="licencias", priority=True,
        status=TicketStatus.WAITING, language="en",
        issued_at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC), ahead=3, ewt_seconds=600,
    )  # fmt: skip
    view = ticket_view(ticket, branch, "http://10.0.0.2:8000/", Words("en"))
    assert view.number == "A042"
    assert view.office == "Oficina Centro"
    assert view.service == "Licences - PRIORITY ATTENTION"
    assert view.ahead_line == "3 people ahead of you"
    assert view.wait_line == "Estimated wait: 10 min"
    assert view.url == "http://10.0.0.2:8000/t/abcDEF123"
    assert view.issued_at.startswith("Issued: ")
    assert view.language == "en"
