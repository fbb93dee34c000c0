"""The clerk's desk actions of API.md v1 additions: calling a ticket out of order, finishing
with an outcome, transferring to one counter, bringing back a late no-show, and the counter's
line as the branch policy orders it.

Each is one store transaction of ``Office`` applying the engine's rules, as in ``office``.
"""

from __future__ import annotations

from datetime import datetime

from queue_api import engine
from queue_api.config import BranchConfig
from queue_api.engine import TicketRecord
from queue_api.office import Conflict, NotFound, Office
from queue_api.schema import CounterLine, EventType, Ticket, TicketStatus, WaitingTicket
from queue_api.store import StoredEvent


class UnknownOutcome(ValueError):
    """An outcome code the service does not list (a 422: the request, not the state, is wrong)."""


def _ticket_of(office: Office, branch: BranchConfig, record: TicketRecord | None) -> TicketRecord:
    """``record`` if it is a ticket of ``branch``, else NotFound (never say it exists elsewhere)."""
    if record is None or record.branch != branch.id:
        raise NotFound(f"branch {branch.id} has no ticket with this id: check the number")
    return record


def call_ticket(office: Office, branch_id: str, counter_id: str, ticket_id: str) -> Ticket:
    """Finish the counter's current ticket if any, then call ``ticket_id`` out of order.

    Within the desk's write transaction, which every writer of the branch waits for, so two
    counters never call one ticket."""
    with office._desk(branch_id, counter_id) as desk:
        found = desk.tx.ticket(ticket_id) if engine.could_be_ticket_id(ticket_id) else None
        ticket = _ticket_of(office, desk.branch, found)
        today = desk.today()
        if ticket.day != today:
            raise Conflict(f"{ticket.number} is a ticket of {ticket.day}, not of today")
        services = desk.counter.services
        waiting = desk.tx.tickets_of_day(desk.branch.id, today, [TicketStatus.WAITING.value])
        # Checked before anything changes: a refused call leaves the desk as it was.
        chosen = engine.call_out_of_order(
            ticket, waiting, desk.counter.id, services, desk.branch.policy, desk.now
        )
        record = desk.open()
        current = desk.held()
        if current is not None:
            done = engine.finish(current, desk.now)
            desk.tx.update_ticket(done)
            desk.announce(EventType.TICKET_COMPLETED, done)
        called = engine.call(chosen.ticket, desk.counter.id, desk.now, record.clerk)
        desk.tx.update_ticket(called)
        view = desk.announce(EventType.TICKET_CALLED, called)
        return view.model_copy(update={"why": chosen.why})


def finish(office: Office, branch_id: str, counter_id: str, outcome: str | None) -> Ticket:
    """The counter's current ticket is done, with ``outcome`` from its service's ``outcomes``
    (UnknownOutcome otherwise)."""
    with office._desk(branch_id, counter_id) as desk:
        current = desk.current()
        service = desk.branch.service(current.service)
        if outcome is not None and (service is None or service.outcome(outcome) is None):
            codes = [o.code for o in service.outcomes] if service else []
            raise UnknownOutcome(
                f"service {current.service} has no outcome {outcome!r}; "
                + (f"use one of {codes}" if codes else "it lists none: finish without one")
            )
        done = engine.finish_with(current, desk.now, outcome)
        desk.tx.update_ticket(done)
        return desk.announce(EventType.TICKET_COMPLETED, done)


def transfer(
    office: Office,
    branch_id: str,
    counter_id: str,
    service_id: str | None,
    to_counter: str | None,
) -> Ticket:
    """Put the counter's current ticket back to waiting in ``service_id``, or for
    ``to_counter`` only (in ``service_id`` if named, else its own service if that counter
    serves it, else that counter's first service)."""
    branch = office.branch_config(branch_id)
    service = office._service(branch, service_id) if service_id is not None else None
    target = office._counter(branch, to_counter) if to_counter is not None else None
    if service is not None and target is not None and service.id not in target.services:
        raise Conflict(
            f"counter {target.id} does not serve {service.id}: it serves {target.services};"
            " name one of those, or leave the service out"
        )

    def move(ticket: TicketRecord, now: datetime) -> TicketRecord:
        if service is not None:
            into = service.id
        elif target is not None and ticket.service not in target.services:
            into = target.services[0]
        else:
            into = ticket.service
        return engine.transfer(ticket, into, target.id if target is not None else None)

    return office._ticket_change(branch_id, counter_id, move, EventType.TICKET_TRANSFERRED)


def return_ticket(office: Office, branch_id: str, ticket_id: str) -> Ticket:
    """A no-show of today back to waiting (the citizen came late), placed by the branch policy:
    behind its ``return_after`` tickets. Announced as ``ticket.returned``."""
    branch = office.branch_config(branch_id)
    now = office._now()
    events: list[StoredEvent] = []
    try:
        with office.store.write() as tx:
            tx.on_commit(lambda: office._publish(events))
            found = tx.ticket(ticket_id) if engine.could_be_ticket_id(ticket_id) else None
            ticket = _ticket_of(office, branch, found)
            today = office._day(tx, branch.id, now)
            waiting = tx.tickets_of_day(branch.id, today, [TicketStatus.WAITING.value])
            back = engine.return_ticket(ticket, waiting, branch.policy, now, today)
            tx.update_ticket(back)
            events.append(office._event(tx, branch, EventType.TICKET_RETURNED, now, ticket=back))
    except engine.RuleViolation as exc:
        raise Conflict(str(exc)) from None
    return Ticket.model_validate(events[0].data["ticket"])


def counter_line(office: Office, branch_id: str, counter_id: str) -> CounterLine:
    """The waiting tickets the counter may call, in the order the branch policy calls them."""
    branch = office.branch_config(branch_id)
    counter = office._counter(branch, counter_id)
    now = office._now()
    with office.store.read() as tx:
        today = office._day(tx, branch.id, now)
        waiting = tx.tickets_of_day(branch.id, today, [TicketStatus.WAITING.value])
        ranked = engine.rank_waiting(waiting, counter.services, branch.policy, now, counter.id)
        tickets = [
            WaitingTicket.model_validate(
                {
                    **office._ticket_view(tx, r.ticket, waiting).model_dump(),
                    "why": r.why,
                    "queue_at": r.ticket.queue_at,
                    "returned_at": r.ticket.returned_at,
                }
            )
            for r in ranked
        ]
        gone = tx.tickets_of_day(branch.id, today, [TicketStatus.NO_SHOW.value])
        gone.sort(key=lambda t: (t.finished_at or t.queue_at, t.id), reverse=True)
        no_shows = [office._ticket_view(tx, t) for t in gone]
    return CounterLine(branch=branch.id, counter=counter.id, tickets=tickets, no_shows=no_shows)
