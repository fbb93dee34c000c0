"""The citizen's booking pages: server-rendered HTML in Spanish or English, small, usable
with a screen reader; and the whole booking done in a real headless Chromium."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.display.browser import CHROMIUM, chromium
from tests.queue_api.appointments_office import appointments_office
from tests.server_process import ServerProcess

MEXICO = ZoneInfo("America/Mexico_City")
BOOK = "/b/centro/book"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("pages")
    process = ServerProcess(appointments_office(folder, folder / "turnero.db")).start()
    yield process
    process.stop()


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


class Outline(HTMLParser):
    """What a screen reader relies on: the page's language, links, and each input's label."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang: str | None = None
        self.links: list[str] = []
        self.inputs: list[dict[str, str | None]] = []
        self.labels: set[str] = set()
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        elif tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        elif tag == "input" and found.get("type") != "hidden":
            self.inputs.append(found)
        elif tag == "label" and found.get("for"):
            self.labels.add(str(found["for"]))


def tomorrow() -> str:
    return (datetime.now(MEXICO) + timedelta(days=1)).date().isoformat()


def test_the_booking_steps_in_spanish_and_english(http: httpx.Client) -> None:
    first = http.get(BOOK)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/html")
    page = Outline(first.text)
    assert page.lang == "es" and "¿Para qué trámite?" in first.text
    assert "Registro civil" in first.text and "Licencias" not in first.text  # takes none
    english = http.get(BOOK, headers={"Accept-Language": "en-GB,en;q=0.9,es;q=0.5"})
    assert Outline(english.text).lang == "en" and "Civil registry" in english.text
    assert any("lang=en" in link for link in page.links)  # the switch
    days = http.get(BOOK, params={"service": "registro", "lang": "en"})
    day_links = [link for link in Outline(days.text).links if "date=" in link]
    assert len(day_links) == 31 and "Pick a day" in days.text
    slots = http.get(BOOK, params={"service": "registro", "date": tomorrow(), "lang": "es"})
    outline = Outline(slots.text)
    assert len(outline.inputs) == 24 * 12  # every five minutes, all day
    assert {i["id"] for i in outline.inputs} == outline.labels  # each one labelled
    assert "<fieldset><legend>Horas libres del " in slots.text
    for answer in (first, days, slots):
        assert len(answer.content) < 50 * 1024


def test_booking_from_the_form_then_cancelling(http: httpx.Client) -> None:
    slots = http.get(BOOK, params={"service": "registro", "date": tomorrow(), "lang": "en"})
    start = re.findall(r'name="start" id="s\d+" required value="([^"]+)"', slots.text)[3]
    form = {"service": "registro", "lang": "en", "start": start}
    sent = http.post(BOOK, data=form)
    assert sent.status_code == 303
    where = urlsplit(sent.headers["location"])
    assert where.path.startswith("/a/") and parse_qs(where.query) == {"lang": ["en"]}
    page = http.get(sent.headers["location"])
    assert page.status_code == 200 and Outline(page.text).lang == "en"
    code = re.search(r'<p class="code"[^>]*>([^<]+)</p>', page.text)[1]
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code)
    assert "<svg" in page.text and 'role="img"' in page.text
    appointment_id = where.path.removeprefix("/a/")
    assert f"/api/v1/appointments/{appointment_id}.ics" in page.text
    assert len(page.content) < 50 * 1024
    local = datetime.fromisoformat(start).astimezone(MEXICO)
    assert f"{local:%H:%M}" in page.text
    # The same slot again: taken, and the form says so.
    again = http.post(BOOK, data=form)
    assert again.status_code == 409 and "no longer free" in again.text
    cancelled = http.post(f"/a/{appointment_id}/cancel?lang=en")
    assert cancelled.status_code == 303
    after = http.get(cancelled.headers["location"])
    assert "Appointment cancelled" in after.text and "Cancel the appointment" not in after.text


def test_pages_for_what_does_not_exist(http: httpx.Client) -> None:
    unknown = http.get("/a/nope", headers={"Accept-Language": "en"})
    assert unknown.status_code == 404 and "Appointment not found" in unknown.text
    assert http.get("/b/nada/book").status_code == 404
    # A service that takes no appointments: the services that do, to pick from.
    other = http.get(BOOK, params={"service": "licencias"})
    assert other.status_code == 200 and "¿Para qué trámite?" in other.text
    # A day that is not a date, or with nothing free, shows the days to pick from.
    odd = http.get(BOOK, params={"service": "registro", "date": "soon"})
    assert odd.status_code == 200 and "Elija un día" in odd.text
    empty = http.post(BOOK, data={"service": "registro", "start": "never"})
    assert empty.status_code == 409 and "Elija una hora." in empty.text
    assert http.post(BOOK, content=b"\xff\xfe").status_code == 409


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed"
)
def test_a_citizen_books_in_a_real_browser(server: ServerProcess) -> None:
    with chromium(412, 915) as page:  # a phone's screen
        page.send("Page.navigate", url=f"{server.url}{BOOK}?lang=en")
        page.wait_for("document.readyState === 'complete' && document.documentElement.lang")
        assert page.evaluate("document.documentElement.lang") == "en"
        page.evaluate("document.querySelector('.choices a').click()")
        page.wait_for("location.search.includes('service=registro')")
        page.wait_for("document.querySelectorAll('.choices a').length > 1")
        page.evaluate("document.querySelectorAll('.choices a')[1].click()")  # tomorrow
        page.wait_for("document.querySelectorAll('.slot input').length > 0")
        chosen = page.evaluate(
            "(() => { const label = document.querySelectorAll('.slot label')[2];"
            " label.click(); return label.textContent; })()"
        )
        assert page.evaluate("document.querySelectorAll('.slot input')[2].checked") is True
        page.evaluate("document.querySelector('form button').click()")
        page.wait_for("location.pathname.startsWith('/a/')")
        page.wait_for("document.querySelector('.code') !== null")
        code = page.evaluate("document.querySelector('.code').textContent")
        assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}", code)
        assert page.evaluate("document.querySelector('.qr svg') !== null")
        assert chosen in page.evaluate("document.body.innerText")
        page.evaluate("document.querySelector('button.cancel').click()")
        page.wait_for("document.body.innerText.includes('Appointment cancelled')")
