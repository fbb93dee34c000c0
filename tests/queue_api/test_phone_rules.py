"""The phone channel's pure rules: people ahead of every ticket at once, who may join from a
phone, who may give feedback."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from queue_api.engine import people_ahead
from queue_api.phone_rules import ahead_by_ticket, feedback_refusal, remote_join_refusal
from queue_api.schema import TicketStatus
from tests.queue_api.test_engine import ticket

line = st.lists(
    st.tuples(
        st.sampled_from(["licencias", "pagos"]),
        st.booleans(),
        st.integers(0, 5),  # few distinct times: ties are broken by id
        st.sampled_from([TicketStatus.WAITING, TicketStatus.WAITING, TicketStatus.CALLED]),
    ),
    max_size=30,
)


@given(line)
def test_people_ahead_of_every_ticket_at_once_agree_with_one_by_one(specs) -> None:
    tickets = [
        ticket(f"A{n:03d}", service, priority=priority, issued=issued, status=status)
        for n, (service, priority, issued, status) in enumerate(specs)
    ]
    ahead = ahead_by_ticket(tickets)
    waiting = [t for t in tickets if t.status is TicketStatus.WAITING]
    assert ahead == {t.id: people_ahead(t, tickets) for t in waiting}


DAY = date(2026, 12, 24)


def refusal(**changes: object) -> str | None:
    rule: dict = {
        "service": "pagos",
        "remote_join": True,
        "service_open": True,
        "closed_days": [date(2026, 12, 25)],
        "today": DAY,
        "daily_limit": 0,
        "joined_today": 500,
    }
    return remote_join_refusal(**{**rule, **changes})


def test_who_may_join_from_a_phone() -> None:
    assert refusal() is None  # 0: no daily limit
    assert refusal(daily_limit=501) is None
    assert "all 500 of today's tickets" in (refusal(daily_limit=500) or "")
    assert "does not take tickets from phones" in (refusal(remote_join=False) or "")
    assert "pagos is closed today" in (refusal(service_open=False) or "")
    assert "office is closed today (2026-12-25)" in (refusal(today=date(2026, 12, 25)) or "")


def test_feedback_only_once_and_only_once_served() -> None:
    assert feedback_refusal("A001", TicketStatus.DONE, False) is None
    for status in set(TicketStatus) - {TicketStatus.DONE}:
        assert "once it has been served" in (feedback_refusal("A001", status, False) or "")
    assert "already received" in (feedback_refusal("A001", TicketStatus.DONE, True) or "")
