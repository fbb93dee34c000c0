"""One backoff policy for every retry in the devices: the client's requests, the event
stream's reconnects and the apps' read loops.

Waits double from ``first`` up to ``cap``; when the server said how long to wait (a 429 or 503
with ``Retry-After``), that wait wins, whatever the cap: asking sooner is asking to be refused.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import RetryCallState
from tenacity.stop import stop_base
from tenacity.wait import wait_base

RETRY_AFTER_MAX = 300.0
"""The longest ``Retry-After`` obeyed: a wrong header must not silence a device for hours."""


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_MAX)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(0.0, seconds), RETRY_AFTER_MAX)


@dataclass(frozen=True)
class Backoff:
    """Exponential waits, capped, unless the server named one."""

    first: float = 0.2
    cap: float = 2.0

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """The wait after the ``failures``-th failure in a row (1 for the first)."""
        exponential = min(self.first * 2 ** max(0, failures - 1), self.cap)
        return max(exponential, retry_after or 0.0)


class RetryAfterWait(wait_base):
    """The policy as a tenacity wait: reads ``retry_after`` off the failed attempt's error."""

    def __init__(self, policy: Backoff) -> None:
        self.policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        return self.policy.delay(retry_state.attempt_number, getattr(error, "retry_after", None))


class ToldToWaitOver(stop_base):
    """Stop retrying when the server named a wait longer than ``patience``: the caller (a
    citizen at the kiosk) hears "wait" at once instead of a retry that comes too soon or a
    press that hangs for a minute."""

    def __init__(self, patience: float) -> None:
        self.patience = patience

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        retry_after = getattr(error, "retry_after", None)
        return retry_after is not None and retry_after > self.patience


class Failures:
    """Failures in a row of a loop that runs until it succeeds; ``pause`` waits as the policy
    says, ``reset`` after a success starts the waits from the first again."""

    def __init__(self, policy: Backoff) -> None:
        self.policy = policy
        self.count = 0

    def next_delay(self, error: BaseException | None = None) -> float:
        """Count one more failure; the seconds to wait before the next try."""
        self.count += 1
        return self.policy.delay(self.count, getattr(error, "retry_after", None))

    async def pause(self, error: BaseException | None = None) -> None:
        """Count one more failure and wait as long as the policy says."""
        await asyncio.sleep(self.next_delay(error))

    def reset(self) -> None:
        """The last try worked."""
        self.count = 0
