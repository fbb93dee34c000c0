"""The phone page behind the ticket's QR code (``/t/{id}``): small, readable, accessible.

Rendered whole on the server, so it reads right without JavaScript (then it refreshes itself
slowly); ``ticket_page.js`` then keeps it live over the ticket's own event stream. The HTML
and the script are files beside this module (``ticket_page.html``, ``ticket_page.js``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from html import escape
from importlib import resources
from string import Template

from queue_api.i18n import Words, languages
from queue_api.schema import PublicTicket, TicketStatus

REFRESH_SECONDS = 15
"""Without JavaScript: how often the page reloads itself."""
FALLBACK_SECONDS = 30
"""With JavaScript but no stream (a proxy that blocks them): how often it reloads itself."""
DEFAULT_NEAR = 3
JS_KEYS = (
    "status.waiting",
    "status.called",
    "status.serving",
    "status.done",
    "status.no_show",
    "status.cancelled",
    "status.footer",
    "status.title",
    "status.service",
    "status.ahead",
    "status.wait",
    "status.counter",
    "phone.languages",
    "phone.number",
    "phone.near",
    "phone.near_body",
    "phone.go_to",
    "phone.called_hint",
    "phone.ok",
    "phone.for_counter",
    "phone.remote",
    "phone.notify",
    "phone.notify_on",
    "phone.ahead_now",
    "phone.live",
    "phone.feedback_title",
    "phone.score_1",
    "phone.score_2",
    "phone.score_3",
    "phone.score_4",
    "phone.score_5",
    "phone.comment",
    "phone.send",
    "phone.thanks",
    "phone.already",
    "phone.pick_score",
    "phone.failed",
)
"""The catalog text the script needs, sent in every language so a switch needs no reload."""
ENDED = (TicketStatus.DONE, TicketStatus.NO_SHOW, TicketStatus.CANCELLED)


@cache
def _file(name: str) -> str:
    return resources.files("queue_api.server").joinpath(name).read_text(encoding="utf-8")


def _t(lang: str, key: str, **values: object) -> str:
    return escape(Words(lang)(key, **values))


def estimate_text(ticket: PublicTicket, lang: str) -> str | None:
    """The estimated wait as the phone shows it (None when not waiting): the one place it is
    worded, for the page and for the ticket's stream alike."""
    if ticket.status is not TicketStatus.WAITING or ticket.ewt_seconds is None:
        return None
    return Words(lang).wait_range(ticket.ewt_range_seconds, ticket.ewt_seconds)


@cache
def _languages() -> tuple[str, ...]:
    # Read once: a ticket stream words every changed view, and listing the catalogs each time
    # cost more than the rest of sending the view.
    return tuple(languages("queue_api"))


def wait_texts(ticket: PublicTicket) -> dict[str, str] | None:
    """``estimate_text`` in every language of the server's catalogs (None when not waiting)."""
    texts = {lang: estimate_text(ticket, lang) for lang in _languages()}
    return {lang: text for lang, text in texts.items() if text is not None} or None


def browser_language(accept_language: str | None) -> str | None:
    """The first language of an ``Accept-Language`` header (by its q values) that the server
    has a catalog for, or None."""
    supported = languages("queue_api")
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((-q, position, tag.strip().lower()[:2]))
    return next((tag for _, _, tag in sorted(ranked) if tag in supported), None)


def _hidden(shown: bool) -> str:
    return "" if shown else " hidden"


def _status_line(ticket: PublicTicket, lang: str) -> str:
    return _t(lang, f"status.{ticket.status.value}", counter=ticket.counter_label or "")


def _switch(lang: str) -> str:
    links = []
    for code in languages("queue_api"):
        current = ' aria-current="true"' if code == lang else ""
        name = _t(code, "phone.lang_name")
        links.append(
            f'<a href="?lang={code}" hreflang="{code}" lang="{code}" data-lang="{code}"'
            f"{current}>{name}</a>"
        )
    return "".join(links)


def _feedback_form(lang: str) -> str:
    scores = "".join(
        f'<label><input type="radio" name="score" value="{n}"> '
        f'<span id="l-score-{n}">{_t(lang, f"phone.score_{n}")}</span></label>'
        for n in range(1, 6)
    )
    return (
        '<form id="feedback" hidden><fieldset><legend id="l-feedback">'
        f"{_t(lang, 'phone.feedback_title')}</legend>"
        f'<div class="scores">{scores}</div>'
        f'<label for="comment" id="l-comment">{_t(lang, "phone.comment")}</label>'
        '<textarea id="comment" name="comment" maxlength="500"></textarea></fieldset>'
        f'<button type="submit" id="l-send">{_t(lang, "phone.send")}</button>'
        '<p id="feedback-error" role="alert"></p></form>'
    )


def _body(ticket: PublicTicket, lang: str, near: int, feedback_given: bool) -> str:
    waiting = ticket.status is TicketStatus.WAITING
    ahead = ticket.ahead if waiting and ticket.ahead is not None else None
    wait = estimate_text(ticket, lang) or ""
    rows = [
        ("service", escape(ticket.service_name_in(lang)), True),
        ("ahead", str(ahead if ahead is not None else ""), ahead is not None),
        ("wait", escape(wait), bool(wait)),
        ("counter", escape(ticket.counter_label or ""), bool(ticket.counter_label)),
    ]
    details = "".join(
        f'<div id="row-{name}"{_hidden(shown)}><dt id="l-{name}">{_t(lang, f"status.{name}")}'
        f"</dt><dd>{value}</dd></div>"
        for name, value, shown in rows
    )
    go_to = _t(lang, "phone.go_to", counter=ticket.counter_label or "")
    target = ticket.for_counter_label
    return (
        f'<p id="branch">{escape(ticket.branch_name)}</p>'
        f'<h1><span id="l-number">{_t(lang, "phone.number")}</span>'
        f' <span class="number" id="number">{escape(ticket.number)}</span></h1>'
        f'<p id="status" class="status {ticket.status.value}">{_status_line(ticket, lang)}</p>'
        f'<p id="near" class="note near"{_hidden(ahead is not None and ahead <= near)}>'
        f"{_t(lang, 'phone.near')}</p>"
        f'<p id="for-counter" class="note"{_hidden(bool(target) and waiting)}>'
        f"{_t(lang, 'phone.for_counter', counter=target or '')}</p>"
        f'<p id="remote" class="note"{_hidden(ticket.channel == "remote")}>'
        f"{_t(lang, 'phone.remote')}</p>"
        f"<dl>{details}</dl>"
        '<p><button id="notify" class="quiet" type="button" hidden>'
        f"{_t(lang, 'phone.notify')}</button></p>"
        f"{_feedback_form(lang)}"
        f'<p id="feedback-done" class="note"{_hidden(feedback_given)}>'
        f"{_t(lang, 'phone.already')}</p>"
        '<div id="live" class="sr-only" aria-live="polite"></div>'
        '<section id="called" class="called-screen" role="dialog" aria-modal="true"'
        ' aria-labelledby="called-text" hidden>'
        f'<p class="number" id="called-number">{escape(ticket.number)}</p>'
        f'<h2 id="called-text">{go_to}</h2>'
        f'<p id="called-hint">{_t(lang, "phone.called_hint")}</p>'
        f'<button id="called-ok" type="button">{_t(lang, "phone.ok")}</button></section>'
    )


def _script(
    ticket: PublicTicket, ticket_id: str, lang: str, near: Mapping[str, int], given: bool
) -> str:
    setup = {
        "id": ticket_id,
        "lang": lang,
        "view": ticket.model_dump(mode="json"),
        "waitText": wait_texts(ticket),
        "near": dict(near),
        "nearDefault": DEFAULT_NEAR,
        "feedbackGiven": given,
        "stream": f"/api/v1/tickets/{ticket_id}/events",
        "feedback": f"/api/v1/tickets/{ticket_id}/feedback",
        "fallbackSeconds": FALLBACK_SECONDS,
        "text": {code: {k: Words(code)(k) for k in JS_KEYS} for code in languages("queue_api")},
    }
    # "</" never ends the script early, whatever a service's name holds.
    data = json.dumps(setup, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f"<script>var TURNERO={data};</script>\n<script>\n{_file('ticket_page.js')}</script>"


def render_status_page(
    ticket: PublicTicket | None,
    lang: str,
    *,
    ticket_id: str | None = None,
    near: Mapping[str, int] | None = None,
    feedback_given: bool = False,
) -> str:
    """The HTML for ``ticket`` (None: an unknown id) in ``lang``, Spanish when unsupported;
    with ``ticket_id``, the script that keeps it live (``near``: people ahead per service at
    which "your turn is near" shows)."""
    page = Template(_file("ticket_page.html"))
    if ticket is None:
        body = f"<h1>{_t(lang, 'status.unknown_title')}</h1><p>{_t(lang, 'status.unknown')}</p>"
        return page.substitute(
            lang=escape(lang),
            refresh=3600,
            title=_t(lang, "status.title"),
            languages_label=_t(lang, "phone.languages"),
            switch=_switch(lang),
            body=body,
            footer="",
            script="",
        )
    near = near or {}
    threshold = near.get(ticket.service, DEFAULT_NEAR)
    return page.substitute(
        lang=escape(lang),
        refresh=REFRESH_SECONDS,
        title=f"{escape(ticket.number)} · {_t(lang, 'status.title')}",
        languages_label=_t(lang, "phone.languages"),
        switch=_switch(lang),
        body=_body(ticket, lang, threshold, feedback_given),
        footer=_t(lang, "status.footer", seconds=REFRESH_SECONDS),
        script=_script(ticket, ticket_id, lang, near, feedback_given) if ticket_id else "",
    )
