"""The ticket's phone page (``/t/{id}``) in a real headless Chromium: live without reloading,
the near-turn prompt and notification, the call, feedback once, the language switch."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from queue_api.client import QueueClient, new_idempotency_key
from tests.display.browser import CHROMIUM, Page, chromium
from tests.queue_api.test_phone import phone_office
from tests.server_process import TOKENS, ServerProcess

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed"
)

B = "centro"

RECORD = """
(function () {
  // What the page asks of the phone, kept for the test: notifications, vibrations, tones.
  window.__notes = []; window.__vibrations = []; window.__tones = 0;
  var Real = window.Notification;
  var Recorded = function (title, options) {
    window.__notes.push(title);
    return new Real(title, options);
  };
  Object.defineProperty(Recorded, "permission", { get: function () { return Real.permission; } });
  Recorded.requestPermission = function (done) { return Real.requestPermission(done); };
  window.Notification = Recorded;
  navigator.vibrate = function (pattern) { window.__vibrations.push(pattern); return true; };
  var create = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    window.__tones++;
    return create.call(this);
  };
})();
"""


@pytest.fixture
def server(office_config: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(phone_office(office_config)).start()
    yield process
    process.stop()


def run(coroutine):  # the browser is driven synchronously; the clerks and kiosk are async
    return asyncio.run(coroutine)


async def issue(url: str, count: int, service: str = "licencias") -> list[str]:
    async with QueueClient(url, TOKENS["kiosk"]) as kiosk:
        return [
            (await kiosk.issue_ticket(B, service, idempotency_key=new_idempotency_key())).id
            for _ in range(count)
        ]


async def call_next(url: str, times: int = 1, counter: str = "2") -> None:
    async with QueueClient(url, TOKENS[f"counter{counter}"]) as desk:
        for _ in range(times):
            await desk.call_next(B, counter)


async def recall(url: str, counter: str = "2") -> None:
    async with QueueClient(url, TOKENS[f"counter{counter}"]) as desk:
        await desk.recall(B, counter)


async def finish(url: str, counter: str = "2") -> None:
    async with QueueClient(url, TOKENS[f"counter{counter}"]) as desk:
        await desk.finish(B, counter)


def text(page: Page, selector: str) -> str:
    return page.evaluate(f"document.querySelector({json.dumps(selector)}).textContent")


def visible(selector: str) -> str:
    return f"!document.querySelector({json.dumps(selector)}).hidden"


def open_page(page: Page, url: str, language: str) -> None:
    page.send("Network.enable")
    page.send(
        "Network.setUserAgentOverride", userAgent="Mozilla/5.0 (phone)", acceptLanguage=language
    )
    page.send("Page.addScriptToEvaluateOnNewDocument", source=RECORD)
    page.send("Page.navigate", url=url)
    page.wait_for("document.readyState === 'complete' && window.TURNERO")


def test_the_page_follows_the_turn_live_and_calls_the_citizen(server: ServerProcess) -> None:
    *_, mine = run(issue(server.url, 6))
    with chromium(width=400, height=800) as page:
        page.send("Browser.grantPermissions", origin=server.url, permissions=["notifications"])
        open_page(page, f"{server.url}/t/{mine}", "es-MX,es;q=0.9,en;q=0.5")
        assert page.evaluate("document.documentElement.lang") == "es"  # the browser's language
        assert text(page, "#number") == "A006"
        assert text(page, "#row-ahead dd") == "5"
        assert page.evaluate("Notification.permission") == "granted"
        page.wait_for(
            "document.getElementById('footer').textContent.indexOf('actualiza sola.') > 0"
        )
        page.evaluate("window.__same = 'no reload'")

        run(call_next(server.url))
        page.wait_for("document.querySelector('#row-ahead dd').textContent === '4'")
        assert page.evaluate(visible("#near")) is False
        page.wait_for("document.getElementById('live').textContent === 'Personas delante: 4'")

        run(call_next(server.url))  # 3 ahead: near, per the default near_turn_ahead
        page.wait_for(visible("#near"))
        assert text(page, "#near") == "Su turno está cerca"
        page.wait_for("window.__notes.length === 1")
        assert page.evaluate("window.__notes") == ["Su turno está cerca"]
        page.wait_for("document.getElementById('live').textContent.indexOf('cerca') >= 0")

        run(call_next(server.url, 4))  # A003, A004, A005, then A006 called to Ventanilla 2
        page.wait_for(visible("#called"))
        assert text(page, "#called-text") == "Vaya a Ventanilla 2"
        assert text(page, "#called-number") == "A006"
        assert page.evaluate("window.__vibrations.length") == 1
        assert page.evaluate("window.__tones") >= 1
        assert page.evaluate("document.activeElement.id") == "called-ok"
        assert page.evaluate("window.__same") == "no reload"
        assert page.evaluate("window.__notes.length") == 1  # said once, not at every step
        run(recall(server.url))  # called again: it vibrates again
        page.wait_for("window.__vibrations.length === 2")

        # The switch: English in place, the stream kept.
        page.evaluate("document.querySelector('a[data-lang=en]').click()")
        page.wait_for("document.documentElement.lang === 'en'")
        assert text(page, "#called-text") == "Go to Ventanilla 2"
        assert text(page, "#status") == "It's your turn! Go to Ventanilla 2"
        assert text(page, "#l-ahead") == "People ahead"
        assert page.evaluate("location.search") == "?lang=en"
        assert (
            page.evaluate("document.querySelector('a[data-lang=en]').getAttribute('aria-current')")
            == "true"
        )
        page.evaluate("document.getElementById('called-ok').click()")
        assert page.evaluate(visible("#called")) is False

        run(call_next(server.url))  # A006 done
        page.wait_for(visible("#feedback"))
        assert text(page, "#l-feedback") == "How did it go?"
        assert page.evaluate("window.__same") == "no reload"


def test_feedback_is_sent_once_and_a_second_time_refused(server: ServerProcess) -> None:
    first, second = run(issue(server.url, 2))
    run(call_next(server.url, 2))  # A001 done, A002 called
    run(finish(server.url))
    with chromium(width=400, height=800) as page:
        open_page(page, f"{server.url}/t/{first}", "en-US,en")
        page.wait_for(visible("#feedback"))
        assert page.evaluate("document.documentElement.lang") == "en"
        page.evaluate("document.querySelector('#feedback button').click()")  # no score yet
        page.wait_for("document.getElementById('feedback-error').textContent")
        assert text(page, "#feedback-error") == "Choose a score from 1 to 5."
        page.evaluate(
            "document.querySelector('input[name=score][value=\"4\"]').click();"
            "document.getElementById('comment').value = 'Quick and kind';"
            "document.querySelector('#feedback button').click()"
        )
        page.wait_for(visible("#feedback-done"))
        assert text(page, "#feedback-done") == "Thank you for your feedback!"
        assert page.evaluate(visible("#feedback")) is False
        # Opened again: no form, it says it has the feedback.
        page.send("Page.reload")
        page.wait_for("document.readyState === 'complete' && window.TURNERO")
        assert page.evaluate(visible("#feedback")) is False
        assert page.evaluate(visible("#feedback-done")) is True
        assert "already have your feedback" in text(page, "#feedback-done")

        # A page opened before another one sent feedback: the server refuses the second.
        page.send("Page.navigate", url=f"{server.url}/t/{second}")
        page.wait_for(f"window.TURNERO && window.TURNERO.id === {json.dumps(second)}")
        page.wait_for(visible("#feedback"))
        sent = httpx.post(f"{server.url}/api/v1/tickets/{second}/feedback", json={"score": 5})
        assert sent.status_code == 201
        page.evaluate(
            "document.querySelector('input[name=score][value=\"2\"]').click();"
            "document.querySelector('#feedback button').click()"
        )
        page.wait_for(visible("#feedback-done"))
        assert "already have your feedback" in text(page, "#feedback-done")


def test_a_remote_ticket_page_says_no_paper_is_needed(server: ServerProcess) -> None:
    made = httpx.post(
        f"{server.url}/api/v1/branches/{B}/remote-tickets", json={"service": "pagos"}
    ).json()
    with chromium(width=400, height=800) as page:
        open_page(page, made["status_url"], "es")
        page.wait_for(visible("#remote"))
        assert "No necesita papel" in text(page, "#remote")
        size = page.evaluate("document.documentElement.outerHTML.length")
        assert size < 50_000
