"""What a clerk may do at the desk right now: pure rules over the server's counter state.

The screen disables every action these rules refuse, so a clerk never meets an error for a
key that made no sense (API.md: pause/close need an empty desk, start/recall/no-show need a
called ticket, transfer a current one).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from queue_api.schema import Counter, CounterState, Ticket, TicketStatus


class Action(StrEnum):
    """The clerk's actions; the values are the screen's action names."""

    NEXT = "next"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no_show"
    TRANSFER = "transfer"
    PAUSE_RESUME = "pause_resume"
    CLOSE = "close"
    OPEN = "open"
    #: Call a waiting ticket out of order (picked from the counter's line).
    CALL = "call_ticket"
    #: Bring back a no-show of today who came late.
    RETURN = "return_ticket"


ACTIVE = (TicketStatus.CALLED, TicketStatus.SERVING)


def allowed(action: Action, counter: Counter | None, *, online: bool, busy: bool) -> bool:
    """Whether ``action`` makes sense for ``counter`` (None until the server answered)."""
    if counter is None or not online or busy:
        return False
    ticket = counter.current
    status = ticket.status if ticket else None
    empty = ticket is None
    match action:
        case Action.NEXT | Action.CALL | Action.RETURN:
            return True  # the server opens a closed or paused counter first
        case Action.RECALL | Action.START | Action.NO_SHOW:
            return status is TicketStatus.CALLED
        case Action.FINISH | Action.TRANSFER:
            return status in ACTIVE
        case Action.PAUSE_RESUME:
            return counter.state is CounterState.PAUSED or (
                counter.state is CounterState.OPEN and empty
            )
        case Action.CLOSE:
            return counter.state is not CounterState.CLOSED and empty
        case Action.OPEN:
            return counter.state is CounterState.CLOSED
    return False


def after_action(counter: Counter, ticket: Ticket | None, *, opened: bool = False) -> Counter:
    """The counter as the server left it after an action that answered with ``ticket``."""
    mine = ticket is not None and ticket.status in ACTIVE and ticket.counter == counter.id
    state = CounterState.OPEN if opened else counter.state
    return counter.model_copy(update={"current": ticket if mine else None, "state": state})


@dataclass(frozen=True)
class BoardCommand:
    """What the LED board over the desk should do; ``call`` tells two blinks apart."""

    kind: Literal["show", "blink", "blank"]
    number: str = ""
    call: tuple[str, int] | None = None


def board_command(before: Counter | None, after: Counter) -> BoardCommand:
    """The board follows the desk: blank unless open with a ticket; blinks on a call or recall."""
    ticket = after.current
    if after.state is not CounterState.OPEN or ticket is None:
        return BoardCommand("blank")
    previous = before.current if before else None
    if before is None:
        return BoardCommand("show", ticket.number)  # back after a restart: no fresh call
    if previous is None or previous.id != ticket.id or ticket.recalls > previous.recalls:
        return BoardCommand("blink", ticket.number, (ticket.id, ticket.recalls))
    return BoardCommand("show", ticket.number)
