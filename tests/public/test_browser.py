"""The public pages in a real headless Chromium: the lobby board live without reload, the
language switch, the join button, text at 200 %, and axe-core's WCAG 2.1 AA check."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.display.browser import CHROMIUM, Page, chromium
from tests.public.axe import axe_violations, blocking
from tests.public.conftest import B
from tests.server_process import TOKENS, ServerProcess

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed"
)


def api(server: ServerProcess, role: str, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKENS[role]}", **kwargs.pop("headers", {})}
    response = httpx.request(
        method, f"{server.url}/api/v1/branches/{B}{path}", headers=headers, **kwargs
    )
    assert response.status_code < 300, response.text
    return response


_keys = iter(range(1_000_000))


def issue(server: ServerProcess, service: str) -> dict:
    key = {"Idempotency-Key": f"browser-{next(_keys)}"}
    return api(server, "kiosk", "POST", "/tickets", json={"service": service}, headers=key).json()


def call_next(server: ServerProcess, counter: str) -> dict:
    return api(server, f"counter{counter}", "POST", f"/counters/{counter}/next").json()


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium() as browser:
        yield browser


def load(page: Page, url: str) -> None:
    page.send("Page.navigate", url=url)
    page.wait_for("document.readyState === 'complete' && location.href")


def text_of(page: Page, selector: str) -> str:
    return page.evaluate(f"document.querySelector({json.dumps(selector)}).textContent")


def click(page: Page, selector: str) -> None:
    """A real click (a user gesture, as audio needs) in the middle of the element."""
    box = page.evaluate(
        f"(function () {{ var r = document.querySelector({json.dumps(selector)})"
        ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()"
    )
    for kind in ("mousePressed", "mouseReleased"):
        page.send(
            "Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1
        )


STREAM_UP = "document.documentElement.getAttribute('data-waiting-as-of') !== null"
"""The lobby page has had its first ``board`` from the stream."""


def waiting_count(page: Page, service: str) -> str:
    return text_of(page, f'#waiting li[data-service="{service}"] b')


def test_the_lobby_board_follows_calls_and_waiting_live(
    public_server: ServerProcess, page: Page
) -> None:
    issue(public_server, "licencias")
    issue(public_server, "licencias")
    load(page, f"{public_server.url}/b/{B}/lobby?lang=en")
    page.wait_for(STREAM_UP)
    assert waiting_count(page, "licencias") == "2"
    assert text_of(page, "#counter") == "No calls yet"
    # Sound needs a first touch: the hint is there until then.
    assert page.evaluate("document.getElementById('sound').hidden") is False
    click(page, "#sound")
    page.wait_for("document.documentElement.getAttribute('data-sound') === 'on'")
    assert page.evaluate("document.getElementById('sound').hidden") is True
    page.evaluate("window.sameDocument = true")

    called = call_next(public_server, "2")
    number = json.dumps(called["number"])
    page.wait_for(f"document.getElementById('number').textContent === {number}")
    assert text_of(page, "#counter") == "Go to Ventanilla 2"
    assert text_of(page, "#announce") == f"Ticket {called['number']}, go to Ventanilla 2"
    page.wait_for("document.documentElement.getAttribute('data-chimes') === '1'")
    page.wait_for(
        "document.querySelector('#waiting li[data-service=licencias] b').textContent === '1'"
    )

    second = call_next(public_server, "1")
    page.wait_for(
        f"document.getElementById('number').textContent === {json.dumps(second['number'])}"
    )
    assert text_of(page, "#calls li") == f"{called['number']}Ventanilla 2"
    issue(public_server, "pagos")
    page.wait_for("document.querySelector('#waiting li[data-service=pagos] b').textContent === '1'")
    assert page.evaluate("window.sameDocument") is True, "the page reloaded"
    assert page.evaluate("document.documentElement.getAttribute('data-chimes')") == "2"


def test_the_language_switch(public_server: ServerProcess, page: Page) -> None:
    page.send("Network.enable")
    page.send("Network.setExtraHTTPHeaders", headers={"Accept-Language": "en-US,en;q=0.9"})
    for path in (f"/b/{B}", f"/b/{B}/lobby"):
        load(page, f"{public_server.url}{path}")
        assert page.evaluate("document.documentElement.lang") == "en"
        click(page, "nav a[hreflang=es]")
        page.wait_for(
            "document.documentElement.lang === 'es' && document.readyState === 'complete'"
        )
        assert "Licencias de conducir" in page.evaluate("document.body.textContent")
        click(page, "nav a[hreflang=en]")
        page.wait_for(
            "document.documentElement.lang === 'en' && document.readyState === 'complete'"
        )


def test_the_join_button_shows_where_the_service_allows_it(
    public_server: ServerProcess, page: Page
) -> None:
    load(page, f"{public_server.url}/b/{B}?lang=en")
    forms = page.evaluate(
        "Array.prototype.map.call(document.querySelectorAll('form.join'), function (f) {"
        " return [f.getAttribute('data-service'), f.hidden, f.offsetHeight > 0,"
        " f.querySelector('button').textContent]; })"
    )
    assert forms == [["licencias", False, True, "Join the queue · Driver licences"]]


def test_joining_from_the_branch_page_opens_a_paperless_ticket(
    public_server: ServerProcess, page: Page
) -> None:
    """The whole way a citizen takes a turn from the entrance's poster: the branch page's
    button, the remote ticket, and its live page saying no paper is needed."""
    load(page, f"{public_server.url}/b/{B}?lang=en")
    click(page, 'form.join[data-service="licencias"] button')
    ticket_id = page.wait_for(
        "location.pathname.indexOf('/t/') === 0 && document.querySelector('.number')"
        " && decodeURIComponent(location.pathname.slice(3))"
    )
    number = text_of(page, ".number").strip()
    assert number.startswith("A")
    assert "No paper needed" in page.evaluate("document.body.textContent")
    assert page.evaluate("document.documentElement.lang") == "en"
    ticket = httpx.get(f"{public_server.url}/api/v1/tickets/{ticket_id}").json()
    assert (ticket["number"], ticket["channel"], ticket["status"]) == (number, "remote", "waiting")


PAGES = ["branch", "lobby"]


def public_path(which: str) -> str:
    return {"branch": f"/b/{B}", "lobby": f"/b/{B}/lobby"}[which]


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("which", PAGES)
def test_no_serious_accessibility_violation(
    public_server: ServerProcess, page: Page, which: str, lang: str
) -> None:
    issue(public_server, "licencias")
    call_next(public_server, "1")
    issue(public_server, "pagos")
    load(page, f"{public_server.url}{public_path(which)}?lang={lang}")
    if which == "lobby":
        page.wait_for(STREAM_UP)
    found = axe_violations(page)
    assert blocking(found) == [], found


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_ticket_page_has_no_serious_accessibility_violation(
    public_server: ServerProcess, page: Page, lang: str
) -> None:
    ticket = issue(public_server, "licencias")
    load(page, f"{public_server.url}/t/{ticket['id']}?lang={lang}")
    found = axe_violations(page)
    assert blocking(found) == [], found


CLIPPED = """
(function () {
  // Elements whose own box cuts off their content (the screen reader only text excepted).
  var clipped = [];
  var all = document.body.getElementsByTagName('*');
  for (var i = 0; i < all.length; i++) {
    var e = all[i], style = getComputedStyle(e);
    if (e.className === 'sr-only' || style.display === 'none') continue;
    var hides = /hidden|clip|scroll|auto/.test(style.overflow + style.overflowY + style.overflowX);
    if (hides && (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)) {
      clipped.push(e.outerHTML.slice(0, 80));
    }
  }
  var page = document.documentElement;
  if (page.scrollWidth > page.clientWidth + 1) clipped.push('the page scrolls sideways');
  return clipped;
})()
"""


@pytest.mark.parametrize("which", PAGES)
def test_text_at_200_percent_is_not_cut_off(
    public_server: ServerProcess, which: str, tmp_path: Path
) -> None:
    issue(public_server, "licencias")
    call_next(public_server, "1")
    # A phone's width for the branch page, a TV's for the lobby.
    width, height = (360, 740) if which == "branch" else (1280, 720)
    with chromium(width, height) as page:
        # Headless windows are at least 500 px wide: a phone's screen is emulated.
        page.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=which == "branch",
        )
        load(page, f"{public_server.url}{public_path(which)}?lang=es")
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        assert page.evaluate(CLIPPED) == []
        shot = page.send("Page.captureScreenshot", captureBeyondViewport=True)
        (tmp_path / f"{which}-200.png").write_bytes(base64.b64decode(shot["data"]))


def test_the_checker_finds_what_it_must(page: Page) -> None:
    """axe as injected here does report a page without a language, alt text or contrast."""
    bad = (
        "<html><body><p style='color:#aaa;background:#fff'>pale</p><img src='x.png'></body></html>"
    )
    load(page, "data:text/html;base64," + base64.b64encode(bad.encode()).decode())
    found = {violation["id"] for violation in blocking(axe_violations(page))}
    assert {"html-has-lang", "color-contrast", "image-alt"} <= found
