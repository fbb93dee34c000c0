"""One clerk action as calls to the server; the answer is the counter as the server left it."""

from __future__ import annotations

from counter.desk import Action, after_action
from counter.desk_rules import state_target
from queue_api.client import QueueClient
from queue_api.schema import Counter, CounterState


class DeskCalls:
    """The server calls of the actions of one desk, signed by its clerk."""

    def __init__(self, client: QueueClient, branch: str, counter: str) -> None:
        self.client = client
        self.branch = branch
        self.counter = counter

    async def perform(
        self, action: Action, counter: Counter, service: str | None, clerk: str
    ) -> Counter:
        """Do ``action`` on ``counter`` (``service``: a transfer's target)."""
        if action is Action.NEXT:
            return await self._next(counter, clerk)
        if action in (Action.PAUSE_RESUME, Action.CLOSE, Action.OPEN):
            return await self._set_state(action, counter, clerk)
        client, branch, desk = self.client, self.branch, self.counter
        match action:
            case Action.RECALL:
                return after_action(counter, await client.recall(branch, desk))
            case Action.START:
                return after_action(counter, await client.start(branch, desk))
            case Action.FINISH:
                return after_action(counter, await client.finish(branch, desk))
            case Action.NO_SHOW:
                return after_action(counter, await client.no_show(branch, desk))
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

    async def _set_state(self, action: Action, counter: Counter, clerk: str) -> Counter:
        """Pause/resume, close or open the desk: the answer is the counter itself."""
        target = state_target(action, counter)
        named = clerk or None if target == "open" else None
        return await self.client.set_counter_state(self.branch, self.counter, target, clerk=named)
