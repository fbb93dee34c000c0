"""The HTML of the office's public pages: the branch today and the lobby board.

Each page is one self-contained answer (styles and plain ES5 script inline), small enough for
an old phone or a TV's browser, in Spanish or English, readable with a screen reader.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from html import escape
from importlib import resources
from string import Template
from typing import Any

from queue_api.i18n import FALLBACK, Words, languages
from queue_api.schema import Board, Branch, Queue, Service, ServiceQueue

PACKAGE = __package__ or "queue_api.server.public_pages"
LOBBY_CALLS = 8
"""The big call and the ones listed under it."""


@cache
def _asset(name: str) -> str:
    return resources.files(PACKAGE).joinpath(name).read_text(encoding="utf-8")


def choose_language(asked: str | None, accept_language: str | None) -> str:
    """``?lang=`` when the pages have it, else the best of the browser's ``Accept-Language``
    the pages have, else Spanish."""
    supported = languages(PACKAGE)
    if asked in supported:
        return asked
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        code, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = code.strip().lower().split("-")[0]
        if primary in supported and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else FALLBACK


def estimate_text(lang: str, entry: ServiceQueue | None) -> str:
    """A service's estimated wait as the pages show it, worded as on the paper ticket."""
    if entry is None:
        return Words(lang).wait(None)
    return Words(lang).wait_range(entry.ewt_range_seconds, entry.ewt_seconds)


def _t(lang: str, key: str, **values: object) -> str:
    return escape(Words(lang, PACKAGE)(key, **values))


def _switch(lang: str, path: str) -> str:
    """Links to the page in the other languages, each named in its own language."""
    links = "".join(
        f'<a href="{escape(path)}?lang={other}" lang="{other}" hreflang="{other}">'
        f"{_t(other, 'lang.name')}</a>"
        for other in languages(PACKAGE)
        if other != lang
    )
    return f'<nav aria-label="{_t(lang, "lang.switch")}">{links}</nav>'


def _json_script(element_id: str, data: Any) -> str:
    # "<" escaped: no text in the data can close the script element.
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def _page(lang: str, title: str, kind: str, style: str, body: str) -> str:
    return Template(_asset("page.html")).substitute(
        lang=escape(lang), title=title, kind=kind, style=_asset(style), body=body
    )


def render_unknown_branch(lang: str) -> str:
    """The page for a branch id the office does not have (naming none of the real ones)."""
    body = (
        f"<main><h1>{_t(lang, 'branch.unknown_title')}</h1>"
        f"<p>{_t(lang, 'branch.unknown')}</p></main>"
    )
    return _page(lang, _t(lang, "branch.unknown_title"), "branch", "branch.css", body)


def _service_card(
    branch: Branch, service: Service, waiting: dict[str, ServiceQueue], lang: str
) -> str:
    name = escape(service.name_in(lang))
    entry = waiting.get(service.id)
    count = entry.waiting if entry else 0
    rows = f"<dt>{_t(lang, 'branch.waiting')}</dt><dd>{count}</dd>"
    actions = ""
    if service.open:
        estimate = estimate_text(lang, entry)
        rows += f"<dt>{_t(lang, 'branch.estimate')}</dt><dd>{escape(estimate)}</dd>"
        if service.remote_join:
            # Shown by the script: without it the form could not send the JSON the API takes.
            actions += (
                f'<form class="join" method="post" data-service="{escape(service.id)}"'
                f' action="/api/v1/branches/{escape(branch.id)}/remote-tickets" hidden>'
                f'<button type="submit">{_t(lang, "branch.join")}'
                f'<span class="sr-only"> · {name}</span></button>'
                f'<p class="note">{_t(lang, "branch.join_note")}</p></form>'
            )
    else:
        rows += (
            f'<dt class="sr-only">{name}</dt><dd class="closed">{_t(lang, "branch.closed")}</dd>'
        )
    if service.appointments:
        actions += (
            f'<a class="book" href="/b/{escape(branch.id)}/book?service={escape(service.id)}'
            f'&amp;lang={lang}">{_t(lang, "branch.book")}<span class="sr-only"> · {name}</span></a>'
        )
    return f'<section class="service"><h3>{name}</h3><dl>{rows}</dl>{actions}</section>'


def render_branch(branch: Branch, queue: Queue, lang: str, now: datetime) -> str:
    """``/b/{b}``: the branch's services with people waiting and estimates, joining the queue
    where a service allows it, and booking where it takes appointments."""
    waiting = {entry.service: entry for entry in queue.services}
    cards = "".join(_service_card(branch, s, waiting, lang) for s in branch.services)
    path = f"/b/{branch.id}"
    body = (
        f"<header><p>{escape(branch.name)}</p>{_switch(lang, path)}</header>"
        f"<main><h1>{_t(lang, 'branch.title', branch=branch.name)}</h1>"
        f"<p>{_t(lang, 'branch.intro')}</p>"
        f'<div id="status" role="status" aria-live="polite"></div>'
        f"<h2>{_t(lang, 'branch.services')}</h2>{cards}</main>"
        f"<footer><p>{_t(lang, 'branch.updated', time=now.strftime('%H:%M'))} "
        f'<a href="{escape(path)}?lang={lang}">{_t(lang, "branch.refresh")}</a></p></footer>'
        + _json_script(
            "branch-data",
            {
                "lang": lang,
                "joining": Words(lang, PACKAGE)("branch.joining"),
                "failed": Words(lang, PACKAGE)("branch.join_failed", detail="{detail}"),
                "offline": Words(lang, PACKAGE)("branch.join_offline"),
            },
        )
        + f"<script>{_asset('branch.js')}</script>"
    )
    title = _t(lang, "branch.title", branch=branch.name)
    return _page(lang, title, "branch", "branch.css", body)


def _calls_markup(board: Board, lang: str) -> tuple[str, str]:
    """The big call and the list under it, as the server knows them now (the script keeps
    them live); one row per ticket, its newest call."""
    seen: set[str] = set()
    calls = []
    for call in board.calls:
        if call.number not in seen:
            seen.add(call.number)
            calls.append(call)
    if not calls:
        hero = (
            f'<p id="number"></p><p id="counter">{_t(lang, "lobby.no_calls")}</p>'
            '<p id="recall" hidden></p>'
        )
        return hero, ""
    first = calls[0]
    hero = (
        f'<p id="number">{escape(first.number)}</p>'
        f'<p id="counter">{_t(lang, "lobby.go_to", counter=first.counter_label)}</p>'
        f'<p id="recall"{"" if first.recall else " hidden"}>{_t(lang, "lobby.recalled")}</p>'
    )
    rows = "".join(
        f"<li><b>{escape(call.number)}</b><span>{escape(call.counter_label)}</span></li>"
        for call in calls[1:LOBBY_CALLS]
    )
    return hero, rows


def render_lobby(branch: Branch, board: Board, lang: str) -> str:
    """``/b/{b}/lobby``: now serving in big type, the last calls and the waiting counts,
    kept live by a small script over ``/b/{b}/lobby/events``; calls and counts only."""
    hero, rows = _calls_markup(board, lang)
    counts = {entry.service: entry.waiting for entry in board.waiting}
    names = {service.id: service.name_in(lang) for service in branch.services}
    waiting = "".join(
        f'<li data-service="{escape(service)}"><span>{escape(name)}</span>'
        f"<b>{counts.get(service, 0)}</b></li>"
        for service, name in names.items()
    )
    path = f"/b/{branch.id}/lobby"
    texts = Words(lang, PACKAGE)
    data = {
        "stream": f"{path}/events",
        "services": names,
        "keep": LOBBY_CALLS,
        "t": {
            key: texts(f"lobby.{key}", **values)
            for key, values in {
                "go_to": {"counter": "{counter}"},
                "no_calls": {},
                "recalled": {},
                "announce": {"number": "{number}", "counter": "{counter}"},
            }.items()
        },
    }
    body = (
        f"<header><h1>{escape(branch.name)}</h1>"
        f'<span id="clock" aria-hidden="true"></span>{_switch(lang, path)}</header>'
        f'<button id="sound" type="button" hidden>{_t(lang, "lobby.sound")}</button>'
        f'<p id="link" role="alert">{_t(lang, "lobby.reconnecting")}</p>'
        f'<p id="announce" class="sr-only" role="status" aria-live="polite"></p>'
        f'<main><section id="hero" aria-labelledby="hero-title">'
        f'<h2 id="hero-title">{_t(lang, "lobby.now_serving")}</h2>{hero}</section>'
        f'<section class="list" aria-labelledby="calls-title">'
        f'<h2 id="calls-title">{_t(lang, "lobby.calls")}</h2><ol id="calls">{rows}</ol></section>'
        f'<section class="list" aria-labelledby="waiting-title">'
        f'<h2 id="waiting-title">{_t(lang, "lobby.waiting")}</h2>'
        f'<ul id="waiting">{waiting}</ul></section></main>'
        + _json_script("lobby-data", data)
        + f"<script>{_asset('lobby.js')}</script>"
    )
    title = _t(lang, "lobby.title", branch=branch.name)
    return _page(lang, title, "lobby", "lobby.css", body)
