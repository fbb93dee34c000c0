"""The office's public pages over HTTP: what they show, in which language, what they never
show, their limits and size; the lobby's public stream (calls and waiting counts only)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from queue_api.client import QueueClient, new_idempotency_key
from queue_api.i18n import wait_range
from queue_api.server.public_pages.routes import PAGES_PER_MINUTE
from tests.public.conftest import B, public_office
from tests.public.sse import open_events
from tests.server_process import TOKENS, ServerProcess, serving

MAX_PAGE_BYTES = 50 * 1024
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9,es;q=0.5"}


async def issue(server: ServerProcess, service: str, n: int = 1) -> list:
    async with QueueClient(server.url, TOKENS["kiosk"]) as kiosk:
        return [
            await kiosk.issue_ticket(B, service, idempotency_key=new_idempotency_key())
            for _ in range(n)
        ]


async def call_next(server: ServerProcess, counter: str):
    async with QueueClient(server.url, TOKENS[f"counter{counter}"]) as desk:
        return await desk.call_next(B, counter)


def section(page: str, heading: str) -> str:
    """The HTML of the service card under ``heading``."""
    found = re.search(rf"<h3>{re.escape(heading)}</h3>(.*?)</section>", page, re.S)
    assert found, f"no card for {heading}"
    return found[1]


async def test_the_branch_page_shows_waiting_estimates_join_and_book(
    any_store_server: ServerProcess,
) -> None:
    tickets = await issue(any_store_server, "licencias", 2)
    async with httpx.AsyncClient(base_url=any_store_server.url) as http:
        page = await http.get(f"/b/{B}", headers=ENGLISH)
        queue = (await http.get(f"/api/v1/branches/{B}/queue", headers=admin())).json()
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["vary"] == "Accept-Language"
    text = page.text
    assert '<html lang="en">' in text and "<h1>Oficina Centro: today&#x27;s queue</h1>" in text
    licencias = section(text, "Driver licences")
    line = next(s for s in queue["services"] if s["service"] == "licencias")
    assert "<dt>People waiting</dt><dd>2</dd>" in licencias
    # The range as the paper prints it, not a single figure.
    low, high = line["ewt_range_seconds"]
    assert f"<dt>Estimated wait</dt><dd>{wait_range(low, high, 'en')}</dd>" in licencias
    # Joining from the phone where the service allows it, against the remote-tickets call.
    assert 'action="/api/v1/branches/centro/remote-tickets"' in licencias
    assert 'data-service="licencias"' in licencias and "Join the queue" in licencias
    assert "remote-tickets" not in section(text, "Payments and taxes")
    # Booking where the service takes appointments.
    registro = section(text, "Civil registry")
    assert 'href="/b/centro/book?service=registro&amp;lang=en"' in registro
    assert "/book" not in licencias
    # Nothing personal: no ticket's number or id.
    for ticket in tickets:
        assert ticket.number not in text and ticket.id not in text


def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS['admin']}"}


async def test_language_by_the_browser_with_a_switch(public_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=public_server.url) as http:
        for path in (f"/b/{B}", f"/b/{B}/lobby"):
            spanish = (await http.get(path)).text
            assert '<html lang="es">' in spanish and "Licencias de conducir" in spanish
            assert f'<a href="{path}?lang=en" lang="en" hreflang="en">English</a>' in spanish
            english = (await http.get(path, headers=ENGLISH)).text
            assert '<html lang="en">' in english and "Driver licences" in english
            assert f'<a href="{path}?lang=es" lang="es" hreflang="es">Español</a>' in english
            # The switch wins over the browser's language; an unknown code is ignored.
            chosen = (await http.get(path, params={"lang": "es"}, headers=ENGLISH)).text
            assert '<html lang="es">' in chosen
            odd = (await http.get(path, params={"lang": "../x"}, headers=ENGLISH)).text
            assert '<html lang="en">' in odd
            weighted = {"Accept-Language": "fr;q=1, es;q=0.4, en;q=0.8"}
            assert '<html lang="en">' in (await http.get(path, headers=weighted)).text


async def test_an_unknown_branch_is_a_page_that_names_no_branch(
    public_server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=public_server.url) as http:
        for path in ("/b/nowhere", "/b/nowhere/lobby"):
            page = await http.get(path, headers=ENGLISH)
            assert page.status_code == 404 and "Office not found" in page.text
            assert "centro" not in page.text and "norte" not in page.text
        stream = await http.get("/b/nowhere/lobby/events")
        assert stream.status_code == 404
        assert stream.headers["content-type"] == "application/problem+json"
        assert "centro" not in stream.text


async def test_the_lobby_page_shows_the_call_and_the_waiting_counts(
    any_store_server: ServerProcess,
) -> None:
    await issue(any_store_server, "licencias", 3)
    first = await call_next(any_store_server, "1")
    newest = await call_next(any_store_server, "2")
    async with httpx.AsyncClient(base_url=any_store_server.url) as http:
        page = (await http.get(f"/b/{B}/lobby", params={"lang": "en"})).text
    assert f'<p id="number">{newest.number}</p>' in page
    assert '<p id="counter">Go to Ventanilla 2</p>' in page
    assert f"<li><b>{first.number}</b><span>Ventanilla 1</span></li>" in page
    assert '<li data-service="licencias"><span>Driver licences</span><b>1</b></li>' in page
    assert '<li data-service="pagos"><span>Payments and taxes</span><b>0</b></li>' in page
    assert 'role="status" aria-live="polite"' in page


async def test_the_lobby_stream_sends_calls_and_waiting_counts_only(
    any_store_server: ServerProcess,
) -> None:
    async with (
        httpx.AsyncClient(base_url=any_store_server.url, timeout=30) as http,
        open_events(http, f"/b/{B}/lobby/events") as events,
    ):
        board = await events.next("board")
        assert board == {
            "calls": [],
            "waiting": {"licencias": 0, "pagos": 0, "registro": 0},
            "as_of": board["as_of"],
        }
        (ticket,) = await issue(any_store_server, "licencias")
        waiting = await events.next("waiting")
        assert waiting["waiting"]["licencias"] == 1 and waiting["as_of"] > board["as_of"]
        called = await call_next(any_store_server, "2")
        call = await events.next("call")
        assert {k: v for k, v in call.items() if k != "id"} == {
            "number": called.number,
            "service": "licencias",
            "counter": "Ventanilla 2",
            "recall": False,
        }
        assert (await events.next("waiting"))["waiting"]["licencias"] == 0
        async with QueueClient(any_store_server.url, TOKENS["counter2"]) as desk:
            await desk.recall(B, "2")
            recall = await events.next("call")
            assert recall["recall"] is True and recall["id"] > call["id"]
            await desk.transfer(B, "2", "registro")
        moved = await events.next("transfer")
        assert moved["number"] == called.number and moved["id"] > recall["id"]
        assert (await events.next("waiting"))["waiting"]["registro"] == 1
        # Nothing of a ticket but its number: no id, no language, no times.
        sent = "\n".join(events.raw)
        assert ticket.id not in sent and "issued_at" not in sent and "language" not in sent


async def test_a_new_lobby_screen_starts_from_the_last_calls(
    any_store_server: ServerProcess,
) -> None:
    await issue(any_store_server, "pagos", 2)
    first = await call_next(any_store_server, "1")
    second = await call_next(any_store_server, "3")
    async with (
        httpx.AsyncClient(base_url=any_store_server.url, timeout=30) as http,
        open_events(http, f"/b/{B}/lobby/events") as events,
    ):
        board = await events.next("board")
    assert [(c["number"], c["counter"]) for c in board["calls"]] == [
        (second.number, "Ventanilla 3"),
        (first.number, "Ventanilla 1"),
    ]
    assert board["waiting"]["pagos"] == 0


def with_server_keys(folder: Path, keys: str) -> Path:
    path = public_office(folder, folder / "turnero.db")
    text = path.read_text(encoding="utf-8").replace("[server]\n", f"[server]\n{keys}\n", 1)
    path.write_text(text, encoding="utf-8")
    return path


async def test_lobby_streams_count_in_the_streams_per_address(tmp_path: Path) -> None:
    with serving(with_server_keys(tmp_path, "streams_per_address = 2")) as server:
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=30) as http,
            open_events(http, f"/b/{B}/lobby/events") as one,
            open_events(http, f"/b/{B}/lobby/events") as two,
        ):
            await one.next("board")
            await two.next("board")
            refused = await http.get(f"/b/{B}/lobby/events")
            assert refused.status_code == 429 and refused.headers["retry-after"]
            assert "streams are open from this address" in refused.json()["detail"]


async def test_pages_are_limited_per_address(public_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=public_server.url) as http:
        codes = [(await http.get(f"/b/{B}")).status_code for _ in range(PAGES_PER_MINUTE)]
        assert codes == [200] * PAGES_PER_MINUTE
        refused = await http.get(f"/b/{B}/lobby")
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
    # Nor is the citizen's address written down (the server's own is, once, at start).
    logged = [line for line in public_server.output if "listening on" not in line]
    assert "127.0.0.1" not in "".join(logged)


ES2015 = re.compile(r"=>|`|\b(let|const|class|import|export)\s|\.\.\.")


async def test_pages_are_small_self_contained_and_es5(public_server: ServerProcess) -> None:
    await issue(public_server, "licencias", 30)
    async with httpx.AsyncClient(base_url=public_server.url) as http:
        for path in (f"/b/{B}", f"/b/{B}/lobby"):
            for lang in ("es", "en"):
                page = await http.get(path, params={"lang": lang})
                # Scripts and styles are inline: the page is all a browser loads.
                assert len(page.content) < MAX_PAGE_BYTES, (path, len(page.content))
                assert not re.search(r"<script[^>]* src=|<link[^>]*stylesheet", page.text)
                assert 'type="module"' not in page.text
                for script in re.findall(r"<script>(.*?)</script>", page.text, re.S):
                    assert not ES2015.search(script), ES2015.search(script)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_text_of_the_pages_is_in_both_catalogs(lang: str) -> None:
    from queue_api.i18n import _catalog

    package = "queue_api.server.public_pages"
    assert set(_catalog(package, lang)) == set(_catalog(package, "es"))


async def test_a_closed_service_says_so_and_offers_no_joining(tmp_path: Path) -> None:
    config = public_office(tmp_path, tmp_path / "turnero.db")
    text = config.read_text(encoding="utf-8").replace(
        "remote_join = true\n", "remote_join = true\nopen = false\n", 1
    )
    config.write_text(text, encoding="utf-8")
    with serving(config) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            page = (await http.get(f"/b/{B}", headers=ENGLISH)).text
    licencias = section(page, "Driver licences")
    assert "Closed right now" in licencias
    assert "remote-tickets" not in licencias and "Estimated wait" not in licencias
    assert "Closed right now" not in section(page, "Payments and taxes")
