"""The phone page behind the ticket's QR code: small, readable, in the ticket's language."""

from __future__ import annotations

from html import escape

from queue_api.i18n import Words
from queue_api.schema import PublicTicket, TicketStatus

REFRESH_SECONDS = 15

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{refresh}">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; padding: 1.5rem; background: #f4f6f8;
       color: #111; text-align: center; }}
.number {{ font-size: 4.5rem; font-weight: 800; letter-spacing: .05em; margin: .5rem 0; }}
.status {{ font-size: 1.6rem; font-weight: 700; padding: .6rem; border-radius: .5rem;
          background: {accent}; color: #fff; }}
dl {{ font-size: 1.25rem; display: grid; grid-template-columns: auto auto; gap: .4rem 1rem;
     justify-content: center; text-align: left; }}
dt {{ color: #555; }} dd {{ margin: 0; font-weight: 700; }}
footer {{ color: #666; font-size: .9rem; margin-top: 2rem; }}
</style></head>
<body><main>{body}</main><footer>{footer}</footer></body></html>
"""

ACCENTS = {
    TicketStatus.WAITING: "#1d4ed8",
    TicketStatus.CALLED: "#15803d",
    TicketStatus.SERVING: "#15803d",
}


def _t(lang: str, key: str, **values: object) -> str:
    return escape(Words(lang)(key, **values))


def render_status_page(ticket: PublicTicket | None, lang: str) -> str:
    """The HTML for ``ticket`` (None: an unknown id) in ``lang``, Spanish when unsupported."""
    if ticket is None:
        body = f"<h1>{_t(lang, 'status.unknown_title')}</h1><p>{_t(lang, 'status.unknown')}</p>"
        return PAGE.format(
            lang=lang,
            refresh=3600,
            title=_t(lang, "status.title"),
            accent="#555",
            body=body,
            footer="",
        )
    rows = [
        (
            _t(lang, "status.service"),
            escape(ticket.service_name_in(lang)),
        )
    ]
    if ticket.status is TicketStatus.WAITING:
        rows.append((_t(lang, "status.ahead"), str(ticket.ahead or 0)))
        if ticket.ewt_seconds is not None:
            # Worded as on the paper ticket and the counter (one rule: queue_api.i18n).
            wait = Words(lang).wait_range(ticket.ewt_range_seconds, ticket.ewt_seconds)
            rows.append((_t(lang, "status.wait"), escape(wait)))
    if ticket.counter_label:
        rows.append((_t(lang, "status.counter"), escape(ticket.counter_label)))
    details = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    status = _t(lang, f"status.{ticket.status.value}", counter=ticket.counter_label or "")
    body = (
        f"<p>{escape(ticket.branch_name)}</p>"
        f'<div class="number">{escape(ticket.number)}</div>'
        f'<div class="status">{status}</div><dl>{details}</dl>'
    )
    return PAGE.format(
        lang=escape(lang),
        refresh=REFRESH_SECONDS,
        title=f"{escape(ticket.number)} · {_t(lang, 'status.title')}",
        accent=ACCENTS.get(ticket.status, "#555"),
        body=body,
        footer=_t(lang, "status.footer", seconds=REFRESH_SECONDS),
    )
