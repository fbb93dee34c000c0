"""One clerk action as calls to the server; the answer is the counter as the server left it."""

from __future__ import annotations

from counter.desk import Action, after_action
from counter.desk_rules import state_target
from queue_api.client import QueueClient
from queue_api.schema import Counter, CounterState, Ticket

TO_COUNTER = "counter:"
"""A transfer's target naming one counter (``counter:2``) rather than a service."""


class DeskCalls:
    """The server calls of the actions of one desk, signed by its clerk."""

    def __init__(self, client: QueueClient, branch: str, counter: str) -> None:
        self.client = client
        self.branch = branch
        self.counter = counter
        #: The ticket the last return brought back.
        self.returned: Ticket | None = None

    async def perform(
        self,
        action: Action,
        counter: Counter,
        service: str | None,
        clerk: str,
        outcome: str | None = None,
    ) -> Counter:
        """Do ``action`` on ``counter`` (``service``: a transfer's target, ``counter:<id>`` for
        one counter; for a call out of order or a return, the ticket's id). ``outcome``: how
        the current ticket's visit ended, for the actions that finish it."""
        if outcome is not None and counter.current is not None and action is not Action.FINISH:
            # Next and a call finish the current ticket: first with its outcome.
            counter = after_action(
                counter, await self.client.finish_with(self.branch, self.counter, outcome)
            )
        if action is Action.NEXT:
            return await self._next(counter, clerk)
        if action in (Action.CALL, Action.RETURN):
            assert service is not None
            return await self._out_of_line(action, counter, service, clerk)
        if action in (Action.PAUSE_RESUME, Action.CLOSE, Action.OPEN):
            return await self._set_state(action, counter, clerk)
        return await self._on_ticket(action, counter, service, outcome)

    async def _on_ticket(
        self, action: Action, counter: Counter, service: str | None, outcome: str | None
    ) -> Counter:
        """An action on the current ticket."""
        client, branch, desk = self.client, self.branch, self.counter
        match action:
            case Action.RECALL:
                return after_action(counter, await client.recall(branch, desk))
            case Action.START:
                return after_action(counter, await client.start(branch, desk))
            case Action.FINISH:
                return after_action(counter, await client.finish_with(branch, desk, outcome))
            case Action.NO_SHOW:
                return after_action(counter, await client.no_show(branch, desk))
            case Action.TRANSFER if service and service.startswith(TO_COUNTER):
                to = service.removeprefix(TO_COUNTER)
                return after_action(counter, await client.transfer_to(branch, desk, to_counter=to))
            case Action.TRANSFER:
                assert service is not None
                return after_action(counter, await client.transfer(branch, desk, service))
        raise AssertionError(action)

    async def _next(self, counter: Counter, clerk: str) -> Counter:
        client, branch, desk = self.client, self.branch, self.counter
        if counter.state is not CounterState.OPEN:
            # Next would open the desk by itself, but nameless: the stats want the clerk.
            counter = await client.set_counter_state(branch, desk, "open", clerk=clerk or None)
        return after_action(counter, await client.call_next(branch, desk), opened=True)

    async def _out_of_line(
        self, action: Action, counter: Counter, ticket_id: str, clerk: str
    ) -> Counter:
        """Call ``ticket_id`` out of order, or bring it back to the queue (the desk stays)."""
        client, branch, desk = self.client, self.branch, self.counter
        if action is Action.RETURN:
            self.returned = await client.return_ticket(branch, ticket_id)
            return counter
        if counter.state is not CounterState.OPEN:
            counter = await client.set_counter_state(branch, desk, "open", clerk=clerk or None)
        return after_action(counter, await client.call_ticket(branch, desk, ticket_id), opened=True)

    async def _set_state(self, action: Action, counter: Counter, clerk: str) -> Counter:
        """Pause/resume, close or open the desk: the answer is the counter itself."""
        target = state_target(action, counter)
        named = clerk or None if target == "open" else None
        return await self.client.set_counter_state(self.branch, self.counter, target, clerk=named)
