"""One estimate, one number of minutes: the paper ticket, the counter and the phone page agree."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from counter.clock import minutes
from kiosk.ticket_slip import ticket_view
from kiosk.wording import Words
from queue_api.schema import Branch, PublicTicket, Service, Ticket, TicketStatus
from queue_api.server.status_page import render_status_page

ISSUED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def paper_minutes(seconds: int, language: str) -> int:
    service = Service(
        id="registro", prefix="C", name={"es": "Registro civil"}, priority_allowed=False,
        open=True, target_wait_minutes=15,
    )  # fmt: skip
    branch = Branch(id="centro", name="Oficina Centro", services=[service], counters=[])
    ticket = Ticket(
        id="abc", number="C001", branch="centro", service="registro", priority=False,
        status=TicketStatus.WAITING, language=language, issued_at=ISSUED, ahead=2,
        ewt_seconds=seconds,
    )  # fmt: skip
    line = ticket_view(ticket, branch, "http://server", Words(language)).wait_line
    return int(re.search(r"(\d+) min", line)[1])


def phone_minutes(seconds: int, language: str) -> int:
    ticket = PublicTicket(
        number="C001", branch_name="Oficina Centro", service="registro",
        service_name={"es": "Registro civil"}, status=TicketStatus.WAITING, language=language,
        issued_at=ISSUED, ahead=2, ewt_seconds=seconds,
    )  # fmt: skip
    page = render_status_page(ticket, language)
    return int(re.search(r"<dd>(\d+) min</dd>", page)[1])


def counter_minutes(seconds: int) -> int:
    # What the counter's queue overview shows in its "estimated wait" column.
    return int(minutes(seconds, round_up=True).removesuffix(" min"))


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize(("seconds", "expected"), [(150, 3), (61, 2), (90, 2), (600, 10)])
def test_the_same_estimate_reads_the_same_minutes_everywhere(
    seconds: int, expected: int, language: str
) -> None:
    assert paper_minutes(seconds, language) == expected
    assert counter_minutes(seconds) == expected
    assert phone_minutes(seconds, language) == expected


def test_the_phone_page_says_under_a_minute_as_the_paper_does() -> None:
    ticket = PublicTicket(
        number="C001", branch_name="Oficina Centro", service="registro",
        service_name={"es": "Registro civil"}, status=TicketStatus.WAITING, language="es",
        issued_at=ISSUED, ahead=0, ewt_seconds=40,
    )  # fmt: skip
    assert "<dd>menos de 1 min</dd>" in render_status_page(ticket, "es")


def paper_line(range_seconds: tuple[int, int], language: str) -> str:
    service = Service(
        id="registro", prefix="C", name={"es": "Registro civil"}, priority_allowed=False,
        open=True, target_wait_minutes=15,
    )  # fmt: skip
    branch = Branch(id="centro", name="Oficina Centro", services=[service], counters=[])
    ticket = Ticket(
        id="abc", number="C001", branch="centro", service="registro", priority=False,
        status=TicketStatus.WAITING, language=language, issued_at=ISSUED, ahead=2,
        ewt_seconds=range_seconds[0], ewt_range_seconds=range_seconds,
    )  # fmt: skip
    return ticket_view(ticket, branch, "http://server", Words(language)).wait_line


def phone_line(range_seconds: tuple[int, int], language: str) -> str:
    ticket = PublicTicket(
        number="C001", branch_name="Oficina Centro", service="registro",
        service_name={"es": "Registro civil"}, status=TicketStatus.WAITING, language=language,
        issued_at=ISSUED, ahead=2, ewt_seconds=range_seconds[0], ewt_range_seconds=range_seconds,
    )  # fmt: skip
    found = re.search(r"<dd>([^<]*min|[^<]*h)</dd>", render_status_page(ticket, language))
    assert found is not None
    return found[1]


@pytest.mark.parametrize(
    ("range_seconds", "language", "expected"),
    [
        ((0, 300), "es", "menos de 5 min"),
        ((0, 300), "en", "under 5 min"),
        ((600, 900), "es", "10-15 min"),
        ((600, 900), "en", "10-15 min"),
        ((0, 1200), "es", "menos de 20 min"),
        ((7200, 9000), "es", "2-2,5 h"),
        ((7200, 9000), "en", "2-2.5 h"),
    ],
)
def test_the_same_range_reads_the_same_on_paper_and_on_the_phone(
    range_seconds: tuple[int, int], language: str, expected: str
) -> None:
    assert paper_line(range_seconds, language).endswith(expected)
    assert phone_line(range_seconds, language) == expected
