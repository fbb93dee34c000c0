"""What goes on the paper for one issued ticket, in the citizen's language."""

from __future__ import annotations

from drivers.printer import TicketView
from kiosk.wording import Words
from queue_api.schema import Branch, Ticket


def status_page_url(base_url: str, ticket: Ticket) -> str:
    """The public page a phone opens from the ticket's QR code: the server's address for it
    (its ``public_url``), else (an older server) the page under the kiosk's server URL."""
    return ticket.status_url or f"{base_url.rstrip('/')}/t/{ticket.id}"


def ticket_view(ticket: Ticket, branch: Branch, base_url: str, words: Words) -> TicketView:
    """The printer's view of ``ticket``: office, service, number, people ahead, wait, QR."""
    service = branch.service(ticket.service)
    service_name = service.name_in(words.language) if service else ticket.service
    if ticket.priority:
        service_name = f"{service_name} - {words('slip.priority')}"
    if ticket.appointment_at is not None:
        booked = f"{ticket.appointment_at.astimezone():%H:%M}"
        service_name = f"{service_name} - {words('slip.appointment', time=booked)}"
    # The kiosk's local time: the citizen compares it with the clock on the wall.
    issued = ticket.issued_at.astimezone().strftime("%d/%m/%Y %H:%M")
    return TicketView(
        office=branch.name,
        service=service_name,
        number=ticket.number,
        issued_at=words("slip.issued", time=issued),
        ahead_line=words.counted("slip.ahead", ticket.ahead or 0),
        wait_line=words(
            "slip.wait", wait=words.wait_range(ticket.ewt_range_seconds, ticket.ewt_seconds)
        ),
        footer=words("slip.footer"),
        url=status_page_url(base_url, ticket),
        language=words.language,
    )
