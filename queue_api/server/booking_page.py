"""The citizen's booking pages (``/b/{b}/book``, ``/a/{id}``) and a booking's calendar file.

Server-rendered, no script, small, in Spanish or English: plain links and one form, so they
work on any phone and with a screen reader. The look is the ticket page's (``status_page``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from html import escape
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from icalendar import Calendar, Event

from queue_api.bookings import Bookings
from queue_api.i18n import Words
from queue_api.office import Office
from queue_api.schema import Appointment, text_in
from queue_api.slots import show_code

LANGUAGES = ("es", "en")

Render = Callable[[], str]

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; padding: 1.5rem; background: #f4f6f8;
       color: #111; text-align: center; }}
main {{ max-width: 32rem; margin: 0 auto; }}
h1 {{ font-size: 1.6rem; }} h2 {{ font-size: 1.25rem; }}
.code {{ font-size: 3rem; font-weight: 800; letter-spacing: .12em; margin: .5rem 0;
        font-family: ui-monospace, monospace; }}
.status {{ font-size: 1.3rem; font-weight: 700; padding: .6rem; border-radius: .5rem;
          background: {accent}; color: #fff; }}
.choices {{ list-style: none; padding: 0; display: grid; gap: .6rem; }}
.choices a, button, .slot label {{ display: block; font-size: 1.2rem; padding: .8rem;
  border-radius: .5rem; background: #1d4ed8; color: #fff; text-decoration: none;
  border: 0; width: 100%; box-sizing: border-box; font-weight: 700; }}
.slot input {{ position: absolute; opacity: 0; }}
.slot label {{ background: #fff; color: #1d4ed8; border: 2px solid #1d4ed8; }}
.slot input:checked + label {{ background: #1d4ed8; color: #fff; }}
.slot input:focus-visible + label, a:focus-visible, button:focus-visible {{
  outline: 3px solid #b45309; outline-offset: 2px; }}
fieldset {{ border: 0; padding: 0; margin: 0 0 1rem; }}
legend {{ font-size: 1.25rem; font-weight: 700; margin-bottom: .6rem; }}
.cancel {{ background: #b91c1c; }}
.error {{ background: #fee2e2; color: #7f1d1d; padding: .6rem; border-radius: .5rem; }}
dl {{ font-size: 1.15rem; display: grid; grid-template-columns: auto auto; gap: .4rem 1rem;
     justify-content: center; text-align: left; }}
dt {{ color: #444; }} dd {{ margin: 0; font-weight: 700; }}
.qr svg {{ width: 12rem; height: 12rem; background: #fff; padding: .5rem; }}
nav {{ text-align: right; }} nav a {{ color: #1d4ed8; }}
a {{ color: #1d4ed8; }}
</style></head>
<body>{nav}<main>{body}</main></body></html>
"""

STATUS_ACCENTS = {
    "booked": "#1d4ed8",
    "checked_in": "#15803d",
    "cancelled": "#4b5563",
    "no_show": "#4b5563",
}


def pick_language(asked: str | None, accept: str | None, default: str | None = None) -> str:
    """``asked`` (``?lang=``) if offered, else the first offered of ``Accept-Language``, else
    ``default``, else Spanish."""
    if asked in LANGUAGES:
        return str(asked)
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default if default in LANGUAGES else "es"


def _t(lang: str, key: str, **values: object) -> str:
    return escape(Words(lang)(key, **values))


def _page(lang: str, title: str, body: str, switch: str = "", accent: str = "#1d4ed8") -> str:
    return PAGE.format(lang=lang, title=title, body=body, nav=switch, accent=accent)


def _switch(lang: str, path: str, query: dict[str, str]) -> str:
    """The link to the same page in the other language."""
    other = "en" if lang == "es" else "es"
    href = escape(f"{path}?{urlencode({**query, 'lang': other})}")
    name = "English" if other == "en" else "Español"
    return f'<nav><a href="{href}" lang="{other}" hreflang="{other}">{name}</a></nav>'


def _local(moment: datetime, office: Office) -> datetime:
    return moment.astimezone(office.config.zone)


def _day_name(day: date, lang: str) -> str:
    weekday = Words(lang)(f"book.weekday.{day.weekday()}")
    month = Words(lang)(f"book.month.{day.month}")
    return Words(lang)("book.day", weekday=weekday, day=day.day, month=month)


def booking(
    bookings: Bookings,
    branch_id: str,
    service_id: str | None,
    day_text: str | None,
    lang: str,
    error: str | None = None,
) -> str:
    """The booking page at its step: pick a service, then a day, then a slot."""
    office = bookings.office
    branch = office.branch_config(branch_id)
    path = f"/b/{branch.id}/book"
    query = {k: v for k, v in (("service", service_id), ("date", day_text)) if v}
    title = _t(lang, "book.title")
    head = f"<h1>{title}</h1><p>{escape(branch.name)}</p>"
    if error:
        head += f'<p class="error" role="alert">{_t(lang, error)}</p>'
    services = [s for s in branch.services if s.appointments is not None]
    service = next((s for s in services if s.id == service_id), None)
    if service is None:
        if not services:
            body = f"<p>{_t(lang, 'book.none')}</p>"
        else:
            items = "".join(
                f'<li><a href="{escape(path)}?'
                f'{escape(urlencode({"service": s.id, "lang": lang}))}">'
                f"{escape(text_in(s.name, lang, s.id))}</a></li>"
                for s in services
            )
            body = f'<h2>{_t(lang, "book.pick_service")}</h2><ul class="choices">{items}</ul>'
        return _page(lang, title, head + body, _switch(lang, path, {}))
    name = escape(text_in(service.name, lang, service.id))
    head += f"<h2>{name}</h2>"
    back = escape(f"{path}?{urlencode({'lang': lang})}")
    day = _parse_day(day_text)
    free = bookings.slots(branch.id, service.id, day).slots if day else []
    if day is None or not free:
        days = bookings.open_days(branch.id, service.id)
        if not days:
            body = f"<p>{_t(lang, 'book.no_days')}</p>"
        else:
            items = "".join(
                f'<li><a href="{escape(path)}?'
                f"{escape(urlencode({'service': service.id, 'date': d.isoformat(), 'lang': lang}))}"
                f'">{escape(_day_name(d, lang))}</a></li>'
                for d in days
            )
            body = f'<h2>{_t(lang, "book.pick_day")}</h2><ul class="choices">{items}</ul>'
        body += f'<p><a href="{back}">{_t(lang, "book.other_service")}</a></p>'
        return _page(lang, title, head + body, _switch(lang, path, query))
    radios = "".join(
        f'<div class="slot"><input type="radio" name="start" id="s{n}" required'
        f' value="{escape(slot.start.isoformat())}">'
        f'<label for="s{n}">{_local(slot.start, office):%H:%M}</label></div>'
        for n, slot in enumerate(free)
    )
    legend = _t(lang, "book.pick_slot_of", day=_day_name(day, lang))
    days_link = escape(f"{path}?{urlencode({'service': service.id, 'lang': lang})}")
    body = (
        f'<form method="post" action="{escape(path)}">'
        f'<input type="hidden" name="service" value="{escape(service.id)}">'
        f'<input type="hidden" name="lang" value="{escape(lang)}">'
        f'<fieldset><legend>{legend}</legend><div class="choices">{radios}</div></fieldset>'
        f'<button type="submit">{_t(lang, "book.submit")}</button></form>'
        f'<p><a href="{days_link}">{_t(lang, "book.other_day")}</a></p>'
    )
    return _page(lang, title, head + body, _switch(lang, path, query))


def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def qr_svg(text: str) -> str:
    """``text`` as an inline SVG QR code (no XML declaration)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg: str = image.to_string(encoding="unicode")
    return svg[svg.index("<svg") :]


def appointment(booked: Appointment, lang: str, office: Office) -> str:
    """A booking's page: the code big, its QR, when and where, the calendar file, cancel."""
    path = f"/a/{booked.id}"
    start = _local(booked.start, office)
    code = show_code(booked.code or "")
    service = escape(text_in(booked.service_name, lang, booked.service))
    rows = [
        (_t(lang, "book.where"), escape(booked.branch_name or booked.branch)),
        (_t(lang, "book.service"), service),
        (_t(lang, "book.when"), escape(f"{_day_name(start.date(), lang)}, {start:%H:%M}")),
    ]
    if booked.check_in_from and booked.status == "booked":
        opens = _local(booked.check_in_from, office)
        rows.append((_t(lang, "book.check_in_from"), f"{opens:%H:%M}"))
    details = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    status = _t(lang, f"book.status.{booked.status}")
    body = (
        f"<h1>{_t(lang, 'book.your_code')}</h1>"
        f'<p class="code" aria-label="{escape(" ".join(code))}">{escape(code)}</p>'
        f'<p class="status" role="status">{status}</p>'
    )
    if booked.status == "booked":
        body += (
            f'<div class="qr" role="img" aria-label="{_t(lang, "book.qr")}">'
            f"{qr_svg(booked.code or '')}</div>"
            f"<p>{_t(lang, 'book.how')}</p>"
        )
    body += f"<dl>{details}</dl>"
    if booked.status != "cancelled":
        ics = escape(f"/api/v1/appointments/{booked.id}.ics")
        body += f'<p><a href="{ics}" download>{_t(lang, "book.calendar")}</a></p>'
    if booked.ticket_id:
        body += f'<p><a href="/t/{escape(booked.ticket_id)}">{_t(lang, "book.ticket")}</a></p>'
    if booked.status == "booked":
        action = escape(f"{path}/cancel?{urlencode({'lang': lang})}")
        body += (
            f'<form method="post" action="{action}">'
            f'<button class="cancel" type="submit">{_t(lang, "book.cancel")}</button></form>'
        )
    return _page(
        lang,
        f"{escape(code)} · {_t(lang, 'book.title')}",
        body,
        _switch(lang, path, {}),
        STATUS_ACCENTS.get(booked.status, "#4b5563"),
    )


def unknown(lang: str) -> str:
    """The page for an id no booking has."""
    body = f"<h1>{_t(lang, 'book.unknown_title')}</h1><p>{_t(lang, 'book.unknown')}</p>"
    return _page(lang, _t(lang, "book.unknown_title"), body)


def not_found(detail: str) -> str:
    """An unknown branch or service, in the API's words."""
    return _page("en", "Turnero", f"<p>{escape(detail)}</p>")


def calendar_file(booked: Appointment, url: str) -> bytes:
    """The booking as an iCalendar file: one event, in UTC, cancelled when it is."""
    calendar = Calendar()
    calendar.add("prodid", "-//Turnero//Appointments//ES")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{booked.id}@turnero")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", booked.start.astimezone(UTC))
    if booked.end is not None:
        event.add("dtend", booked.end.astimezone(UTC))
    service = text_in(booked.service_name, booked.language, booked.service)
    branch = booked.branch_name or booked.branch
    event.add("summary", f"{service} · {branch}")
    event.add("location", branch)
    code = show_code(booked.code or "")
    words = Words(booked.language)
    event.add("description", words("book.ics_description", code=code, url=url))
    event.add("url", url)
    event.add("status", "CANCELLED" if booked.status == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
