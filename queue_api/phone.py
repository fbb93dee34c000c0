"""The citizen's phone as a channel (API.md v1 additions): a ticket's public view, read for one
ticket or for every followed ticket of a branch at once; tickets taken from a phone; feedback.

Office-side like ``queue_api.office``: each use case is one store transaction applying the
rules of ``queue_api.phone_rules`` and ``queue_api.engine``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, cast

from queue_api import engine
from queue_api.config import BranchConfig
from queue_api.engine import TicketRecord
from queue_api.office import Conflict, NotFound, Office
from queue_api.phone_rules import ahead_by_ticket, feedback_refusal, remote_join_refusal
from queue_api.schema import (
    EventType,
    Feedback,
    FeedbackIn,
    PublicTicket,
    RemoteTicketIn,
    Ticket,
    TicketStatus,
)
from queue_api.store import FeedbackRecord, ReadTx, StoredEvent

UNKNOWN = "no ticket has this id: check the link or the QR code"
SETTLED = frozenset({TicketStatus.DONE, TicketStatus.CANCELLED})
"""A ticket in one of these never changes again (a no-show may still be returned)."""
_OPEN = ["waiting", "called", "serving"]
# The view copies every field the ticket's own view shares with the public one, so a field
# added to both (an estimate range, say) reaches phones without a change here.
_SHARED = [name for name in PublicTicket.model_fields if name in Ticket.model_fields]


class _OneRead:
    """A read transaction that answers each repeated read from what it already read, and the
    people ahead of today's waiting tickets from one sort: one refresh of a branch's followed
    tickets then costs a few queries, however many tickets it shows. While ``touched`` is a
    list, it notes every read asked of it (what a view was made from)."""

    def __init__(self, tx: ReadTx, ahead: Mapping[str, int]) -> None:
        self._tx = tx
        self._ahead = ahead
        self._kept: dict[tuple[str, tuple[Any, ...]], Any] = {}
        self.touched: list[tuple[tuple[str, tuple[Any, ...]], Any]] | None = None

    def waiting_ahead(self, ticket: TicketRecord) -> int:
        found = self._ahead.get(ticket.id)
        return found if found is not None else self._tx.waiting_ahead(ticket)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._tx, name)

        def kept(*args: Any) -> Any:
            key = (name, args)
            try:
                found = self._kept[key]
            except KeyError:
                found = self._kept[key] = method(*args)
            except TypeError:  # an argument that cannot be a key (a list): just ask
                found = method(*args)
            if self.touched is not None:
                self.touched.append((key, found))
            return found

        return kept


Known = dict[str, tuple[Any, PublicTicket]]
"""Per ticket id: what its last view was made from, and that view (``Phone.views``)."""


class Phone:
    """What a citizen's phone may do with a ticket, over one office."""

    def __init__(self, office: Office) -> None:
        self.office = office

    def _public(self, tx: ReadTx, branch: BranchConfig, record: TicketRecord) -> PublicTicket:
        view = self.office._ticket_view(tx, record)
        service = branch.service(record.service)
        counter = branch.counter(record.counter) if record.counter else None
        target = branch.counter(record.for_counter) if record.for_counter else None
        waiting = record.status is TicketStatus.WAITING
        return PublicTicket(
            **{name: getattr(view, name) for name in _SHARED},
            branch_name=branch.name,
            service_name=dict(service.name) if service else {"es": view.service},
            counter_label=counter.label if counter and record.status in engine.ACTIVE else None,
            for_counter_label=target.label if target and waiting else None,
        )

    def _record(self, tx: ReadTx, ticket_id: str) -> tuple[TicketRecord, BranchConfig]:
        record = tx.ticket(ticket_id) if engine.could_be_ticket_id(ticket_id) else None
        branch = self.office.config.branch(record.branch) if record is not None else None
        if record is None or branch is None:
            raise NotFound(UNKNOWN)
        return record, branch

    def public_ticket(self, ticket_id: str) -> PublicTicket:
        """The ticket's public view (nothing personal); NotFound if unknown."""
        with self.office.store.read() as tx:
            record, branch = self._record(tx, ticket_id)
            return self._public(tx, branch, record)

    def page_view(self, ticket_id: str) -> tuple[PublicTicket, BranchConfig, bool]:
        """What the ticket's page shows: its public view, its branch, and whether feedback on
        it was given; NotFound if unknown."""
        with self.office.store.read() as tx:
            record, branch = self._record(tx, ticket_id)
            given = record.status is TicketStatus.DONE and tx.feedback(branch.id, record.id)
            return self._public(tx, branch, record), branch, bool(given)

    def branch_of(self, ticket_id: str) -> str:
        """The branch a ticket belongs to; NotFound if unknown."""
        with self.office.store.read() as tx:
            return self._record(tx, ticket_id)[1].id

    def views(
        self,
        branch_id: str,
        ticket_ids: Collection[str],
        settled: Collection[str] = (),
        known: Known | None = None,
        each: Callable[[str, PublicTicket], None] | None = None,
    ) -> dict[str, PublicTicket]:
        """The public views of ``ticket_ids`` of one branch, from one read transaction: today's
        open tickets are read once, and each other ticket by its id unless the caller knows it
        ``settled`` (done or cancelled: it cannot change). Unknown ids are left out.

        With ``known`` (kept by the caller between calls, updated here), a view is made again
        only when what it is made from changed: the ticket, its people ahead, the day, or the
        reads its service's waiting tickets are shown from (its estimate's inputs, noted while
        making the first such view). A call then costs a view per ticket it moved, not one per
        ticket followed. ``each`` gets every view as soon as it is made, tickets that changed
        first (the one called, say), so that it need not wait for all the others."""
        branch = self.office.branch_config(branch_id)
        known = {} if known is None else known
        with self.office.store.read() as tx:
            today = self.office._day(tx, branch.id)
            open_today = tx.tickets_of_day(branch.id, today, _OPEN)
            by_id = {ticket.id: ticket for ticket in open_today}
            ahead = ahead_by_ticket(open_today)
            read = _OneRead(tx, ahead)
            inputs: dict[str, Any] = {}  # per service: the reads its waiting views came from
            views = {}

            def unmoved(ticket_id: str) -> bool:
                before = known.get(ticket_id)
                return before is not None and before[0][0] == by_id.get(ticket_id)

            for ticket_id in sorted(ticket_ids, key=unmoved):
                record = by_id.get(ticket_id)
                if record is None and ticket_id not in settled:
                    record = tx.ticket(ticket_id)
                if record is None or record.branch != branch.id:
                    continue
                view = None
                if ticket_id in ahead and record.service not in inputs:
                    read.touched = []
                    view = self._public(cast(ReadTx, read), branch, record)
                    inputs[record.service], read.touched = read.touched, None
                made_from = (record, today, ahead.get(ticket_id), inputs.get(record.service))
                before = known.get(ticket_id)
                if view is None and before is not None and before[0] == made_from:
                    view = before[1]
                elif view is None:
                    view = self._public(cast(ReadTx, read), branch, record)
                known[ticket_id] = (made_from, view)
                views[ticket_id] = view
                if each is not None:
                    each(ticket_id, view)
            return views

    def issue_remote(self, branch_id: str, request: RemoteTicketIn) -> tuple[str, PublicTicket]:
        """A paperless ticket (``channel`` remote) in the same numbering and line as the
        kiosk's; Conflict when the service does not take them now (``remote_join_refusal``)."""
        office = self.office
        branch = office.branch_config(branch_id)
        service = office._service(branch, request.service)
        now = office._now()
        events: list[StoredEvent] = []
        with office.store.write() as tx:
            tx.on_commit(lambda: office._publish(events))
            clock = tx.branch_clock(branch.id)
            today = engine.branch_day(office.today(now), clock)
            limit = service.remote_daily_limit
            refusal = remote_join_refusal(
                service=service.id,
                remote_join=service.remote_join,
                service_open=service.open,
                closed_days=branch.closed_days,
                today=today,
                daily_limit=limit,
                joined_today=tx.channel_tickets(branch.id, today, service.id, "remote")
                if limit
                else 0,
            )
            if refusal is not None:
                raise Conflict(refusal)
            ticket = office._new_in_line(
                tx, branch, service, now, language=request.language, channel="remote"
            )
            events.append(office._event(tx, branch, EventType.TICKET_ISSUED, now, ticket=ticket))
            return ticket.id, self._public(tx, branch, ticket)

    def give_feedback(self, ticket_id: str, body: FeedbackIn) -> Feedback:
        """Keep how the visit went, once per ticket and only once it was served (Conflict)."""
        now = self.office._now()
        with self.office.store.write() as tx:
            record, branch = self._record(tx, ticket_id)
            given = tx.feedback(branch.id, record.id) is not None
            refusal = feedback_refusal(record.number, record.status, given)
            if refusal is not None:
                raise Conflict(refusal)
            feedback = FeedbackRecord(
                branch=branch.id,
                ticket_id=record.id,
                service=record.service,
                counter=record.counter,
                day=record.day,
                score=body.score,
                comment=body.comment.strip(),
                at=now,
            )
            if not tx.insert_feedback(feedback):
                raise Conflict(feedback_refusal(record.number, record.status, True) or "")
        return Feedback(number=record.number, score=body.score, comment=feedback.comment, at=now)

    def feedback_given(self, ticket_id: str) -> bool:
        """Whether the ticket already has feedback (False for an unknown id)."""
        with self.office.store.read() as tx:
            record = tx.ticket(ticket_id) if engine.could_be_ticket_id(ticket_id) else None
            return record is not None and tx.feedback(record.branch, record.id) is not None
