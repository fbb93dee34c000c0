"""Wire objects the counter's rule tests build: a ticket at the desk and the desk itself."""

from __future__ import annotations

from datetime import UTC, datetime

from queue_api.schema import Counter, CounterState, Ticket, TicketStatus

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def ticket(
    status: TicketStatus = TicketStatus.CALLED,
    *,
    id: str = "t1",
    service: str = "licencias",
    recalls: int = 0,
) -> Ticket:
    """A01 of ``service``, called to desk 1 at ``T0`` (then in ``status``)."""
    return Ticket(
        id=id,
        number="A001",
        branch="centro",
        service=service,
        priority=False,
        status=status,
        language="es",
        issued_at=T0,
        called_at=T0,
        counter="1",
        recalls=recalls,
    )


def desk(state: CounterState = CounterState.OPEN, current: Ticket | None = None) -> Counter:
    """Desk 1, serving licencias, in ``state`` with ``current`` at it."""
    return Counter(
        id="1", label="Ventanilla 1", services=["licencias"], state=state, current=current
    )
