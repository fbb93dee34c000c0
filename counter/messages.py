"""What the counter's workers and threads tell its screen: one dataclass per news."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from drivers.board import BoardError
from queue_api.schema import Event


@dataclass
class CounterMessage(Message, bubble=False):
    """News for the screen alone (it does not bubble)."""


@dataclass
class ServerEvent(CounterMessage):
    """An event from the branch's stream."""

    event: Event


@dataclass
class StreamConnection(CounterMessage):
    """The event stream came up (``up``) or dropped."""

    up: bool


@dataclass
class BoardStatus(CounterMessage):
    """The LED board was lost (``error``) or is back (None)."""

    error: BoardError | None
