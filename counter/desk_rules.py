"""Which desk keys are live and what they read, in each state: pure rules over the counter.

The screen, its buttons and its key bar all ask these; nothing here touches Textual.
"""

from __future__ import annotations

from collections.abc import Mapping

from counter.desk import Action, allowed
from queue_api.schema import Branch, Counter, CounterState, Service, Ticket

#: Buttons, in the order they sit under the ticket (the same as the F-keys).
BUTTONS = (
    Action.NEXT,
    Action.RECALL,
    Action.START,
    Action.FINISH,
    Action.NO_SHOW,
    Action.TRANSFER,
    Action.PAUSE_RESUME,
    Action.CLOSE,
    Action.OPEN,
)

#: The keys of each action: F-key first (what the key bar shows), then its letter.
KEYS = {
    Action.NEXT: ("f1", "n"),
    Action.RECALL: ("f2", "r"),
    Action.START: ("f3", "s"),
    Action.FINISH: ("f4", "f"),
    Action.NO_SHOW: ("f5", "x"),
    Action.TRANSFER: ("f6", "t"),
    Action.PAUSE_RESUME: ("f7", "p"),
    Action.CLOSE: ("f8", "c"),
    Action.OPEN: ("f9", "o"),
}


def usable(online: bool | None, token_fits: bool | None) -> bool:
    """Whether actions can reach the server: online, with a token that may act on this desk."""
    # A token of another counter reads the branch but every action would be refused.
    return bool(online) and token_fits is not False


def enabled(counter: Counter | None, *, online: bool) -> set[Action]:
    """The actions whose keys and buttons are live for ``counter`` (none while offline)."""
    return {action for action in BUTTONS if allowed(action, counter, online=online, busy=False)}


def action_word(action: Action, counter: Counter | None) -> str:
    """The catalog key of the action's name; Pause reads Resume on a paused desk."""
    if action is Action.PAUSE_RESUME:
        paused = counter is not None and counter.state is CounterState.PAUSED
        return "action.resume" if paused else "action.pause"
    return f"action.{action.value}"


def key_word(action: Action, counter: Counter | None) -> str:
    """The catalog key of the action's short name on the key bar."""
    if action is Action.PAUSE_RESUME:
        return action_word(action, counter)
    return f"key.{action.value}"


def state_target(action: Action, counter: Counter) -> str:
    """The state a pause/resume, close or open asks the server for."""
    match action:
        case Action.PAUSE_RESUME:
            return "open" if counter.state is CounterState.PAUSED else "pause"
        case Action.CLOSE:
            return "close"
    return "open"


def state_hint(counter: Counter | None) -> str | None:
    """The catalog key of the line under the desk bar; None for an open (or unknown) desk."""
    if counter is None or counter.state is CounterState.OPEN:
        return None
    return f"state.hint.{counter.state.value}"


def transfer_choices(
    branch: Branch | None, names: Mapping[str, str], ticket: Ticket
) -> list[tuple[str, str]]:
    """The open services ``ticket`` may move to, as ``(id, name)``: never its own."""
    services: list[Service] = branch.services if branch else []
    return [
        (service.id, names.get(service.id, service.id))
        for service in services
        if service.open and service.id != ticket.service
    ]
