"""The clerk's actions on the screen: one at a time, in turn with the reads, never repeated.

An action whose answer was lost may or may not have happened, so it is never sent again: the
desk is read again once the server answers, and the notice says so.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.worker import Worker

from counter.desk import Action
from counter.desk_calls import DeskCalls
from counter.desk_rules import action_word
from queue_api.client import ApiError, Conflict, QueueClient, Unreachable

if TYPE_CHECKING:
    from counter.screen import CounterScreen


class DeskActions:
    """Runs ``screen``'s actions as workers of the screen (group ``action``)."""

    def __init__(self, screen: CounterScreen, client: QueueClient, branch: str, counter: str):
        self.screen = screen
        self.calls = DeskCalls(client, branch, counter)

    def begin(
        self, action: Action, service: str | None = None, *, outcome: str | None = None
    ) -> Worker[None] | None:
        """Start ``action`` (``service``: a transfer's target, or the ticket of a call or a
        return; ``outcome``: of the current ticket it finishes) unless it makes no sense now."""
        screen = self.screen
        if not screen.can(action):
            return None
        screen.busy = True  # set before the worker starts: a second press finds it disabled
        return screen.run_worker(
            partial(self._act, action, service, outcome), group="action", exit_on_error=False
        )

    async def _act(self, action: Action, service: str | None, outcome: str | None = None) -> None:
        screen, server = self.screen, self.screen.server
        name = screen.t(action_word(action, screen.counter))
        try:
            async with server.turn:
                if screen.counter is None:
                    return
                screen.counter = await self.calls.perform(
                    action, screen.counter, service, screen.clerk, outcome
                )
            nobody = action is Action.NEXT and screen.counter.current is None
            back = self.calls.returned if action is Action.RETURN else None
            if back is not None:
                screen.say(screen.t("return.done", number=back.number, ahead=back.ahead or 0))
            else:
                screen.say(screen.t("nobody_waiting") if nobody else "")
        except Unreachable:
            # The action may or may not have happened: never repeat it; read the counter
            # again once the server answers, and show that.
            screen.say(screen.t("lost_answer", action=name), error=True, until_online=True)
            server.go_offline()
        except Conflict as exc:
            screen.say(screen.t("conflict", action=name, detail=exc.detail), error=True)
            server.refresh_counter()
        except ApiError as exc:
            screen.say(screen.t("refused", action=name, detail=exc.detail), error=True)
            server.refresh_counter()
        finally:
            screen.busy = False
            if server.stale:
                server.flush_stale()
