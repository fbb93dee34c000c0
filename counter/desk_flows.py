"""The clerk's flows that need a question first: the outcome before a ticket is finished (by
Finish, Next or a call), a waiting ticket to call out of order, a late no-show to bring back,
and a counter (not only a service) to transfer to."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from counter.desk import Action
from counter.desk_calls import TO_COUNTER
from counter.desk_dialogs import ConfirmCall, OutcomePicker, ReturnPrompt, WaitingPicker
from queue_api.client import ApiError, QueueClient, Unreachable
from queue_api.schema import Branch, CounterLine, Ticket, text_in

if TYPE_CHECKING:
    from counter.screen import CounterScreen

#: The keys of the flows, shown after the desk's F-keys on the key bar: (letter, action).
FLOW_KEYS = (("l", Action.CALL), ("b", Action.RETURN))


def outcomes_of(
    branch: Branch | None, ticket: Ticket | None, language: str
) -> list[tuple[str, str]]:
    """``(code, name)`` of the outcomes ``ticket``'s service lists (none: nothing to ask)."""
    service = branch.service(ticket.service) if branch and ticket else None
    if service is None:
        return []
    return [(o.code, text_in(o.name, language, o.code)) for o in service.outcomes]


def counter_choices(branch: Branch | None, here: str, only: str) -> list[tuple[str, str]]:
    """The other counters a ticket may be sent to, to wait for that desk only."""
    counters = branch.counters if branch else []
    return [(TO_COUNTER + c.id, f"{c.label} ({only})") for c in counters if c.id != here]


class DeskFlows:
    """The screen's flows with a question before the action."""

    def __init__(self, screen: CounterScreen, client: QueueClient) -> None:
        self.screen = screen
        self.client = client

    def with_outcome(self, then: Callable[[str | None], object]) -> None:
        """Run ``then`` with the current ticket's outcome: asked when its service lists some
        (Esc: nothing is done), None when it lists none or the desk is empty."""
        screen = self.screen
        current = screen.counter.current if screen.counter else None
        outcomes = outcomes_of(screen.branch, current, screen.language)
        if current is None or not outcomes:
            then(None)
            return

        def chosen(code: str | None) -> None:
            if code:
                then(code)

        screen.app.push_screen(OutcomePicker(screen.language, current.number, outcomes), chosen)

    def finish(self, action: Action) -> None:
        """Next or Finish, asking the current ticket's outcome first when it has a list."""
        if self.screen.can(action):
            self.with_outcome(lambda code: self.screen.actions.begin(action, outcome=code))

    def call_from_line(self) -> None:
        """Pick a waiting ticket, confirm seeing who waits longest, then call it."""
        if self.screen.can(Action.CALL):
            self.screen.run_worker(self._pick_and_call(), group="flow", exclusive=True)

    def bring_back(self) -> None:
        """Ask the number of a late no-show of today, then put it back in the queue."""
        if self.screen.can(Action.RETURN):
            self.screen.run_worker(self._ask_and_return(), group="flow", exclusive=True)

    async def _line(self, action: Action) -> CounterLine | None:
        """The counter's line and today's no-shows, read for ``action``; None if unread."""
        screen = self.screen
        try:
            return await self.client.counter_line(screen.branch_id, screen.counter_id)
        except Unreachable:
            screen.server.go_offline()
        except ApiError as exc:
            name = screen.t(f"action.{action.value}")
            screen.say(screen.t("refused", action=name, detail=exc.detail), error=True)
        return None

    async def _pick_and_call(self) -> None:
        screen = self.screen
        line = await self._line(Action.CALL)
        if line is None:
            return
        if not line.tickets:
            screen.say(screen.t("nobody_waiting"))
            return
        now = screen.clock()
        picked = await screen.app.push_screen_wait(
            WaitingPicker(screen.language, line.tickets, screen.service_names, now)
        )
        chosen = next((t for t in line.tickets if t.id == picked), None)
        if chosen is None:
            return
        if not await screen.app.push_screen_wait(
            ConfirmCall(screen.language, chosen, line.tickets, now)
        ):
            return
        self.with_outcome(lambda code: screen.actions.begin(Action.CALL, chosen.id, outcome=code))

    async def _ask_and_return(self) -> None:
        screen = self.screen
        line = await self._line(Action.RETURN)
        if line is None:
            return
        if not line.no_shows:
            screen.say(screen.t("return.none"))
            return
        picked = await screen.app.push_screen_wait(ReturnPrompt(screen.language, line.no_shows))
        if picked:
            screen.actions.begin(Action.RETURN, picked)
