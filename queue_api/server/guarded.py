"""uvicorn's httptools protocol bounded by ``Limits``: see ``queue_api.server.limits``."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from queue_api.server.limits import (
    NEAR_LIMIT,
    RETRY_AFTER_SECONDS,
    Limits,
    _problem_app,
    _Throttle,
    problem_response,
)

log = logging.getLogger("turnero.server")

LINGER_SECONDS = 2.0
"""How long a refused connection drops what its client still sends before it closes."""


class GuardedProtocol(HttpToolsProtocol):
    """One connection: refused with a problem, and closed, past any of ``limits``.

    Subclassed per server by ``limits.guarded_protocol``, which sets the class attributes.
    """

    limits: ClassVar[Limits]
    per_address: ClassVar[Counter[str]]
    throttle: ClassVar[_Throttle]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._address = ""
        self._over_address_limit = False
        self._header_bytes = 0
        self._in_headers = True
        self._body_bytes = 0
        self._refused = False
        self._refusing_request = False
        self._deadline: Any = None

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._address = self.client[0] if self.client else ""
        self.per_address[self._address] += 1
        if self.per_address[self._address] > self.limits.connections_per_address:
            self._over_address_limit = True
            if self.throttle.ready(f"address {self._address}"):
                log.warning(
                    "%s holds %d connections, over %d: refusing its new ones",
                    self._address,
                    self.per_address[self._address],
                    self.limits.connections_per_address,
                )
        near = len(self.connections) >= NEAR_LIMIT * self.limits.connections
        if near and self.throttle.ready("near"):
            log.warning(
                "%d connections open of the %d allowed (open-files limit): "
                "past it, new ones get 503",
                len(self.connections),
                self.limits.connections,
            )
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.per_address[self._address] -= 1
        if self.per_address[self._address] <= 0:
            del self.per_address[self._address]
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_headers:
            self._header_bytes += len(data)
            # The chunk may hold the end of the headers and some body: parse it first.
            if self._header_bytes > self.limits.header_bytes:
                self._parse_then_check_headers(data)
                return
        super().data_received(data)

    def _parse_then_check_headers(self, data: bytes) -> None:
        cut = data.find(b"\r\n\r\n")
        if cut < 0 or self._header_bytes - len(data) + cut > self.limits.header_bytes:
            self._refuse(
                431, f"send at most {self.limits.header_bytes} bytes of request line and headers"
            )
            return
        super().data_received(data)

    def on_message_begin(self) -> None:
        if self._refused:
            return
        super().on_message_begin()
        self._in_headers = True
        self._body_bytes = 0
        self._arm()

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._in_headers = False
        self._header_bytes = 0
        refusal = self._refusal()
        if refusal is None:
            super().on_headers_complete()
            return
        self._refusing_request = True
        app, self.app = self.app, refusal
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def _refusal(self) -> Any:
        if self._over_address_limit:
            return _problem_app(
                429,
                f"too many connections from {self._address}: close some and retry",
                RETRY_AFTER_SECONDS,
            )
        length = dict(self.headers).get(b"content-length", b"0")
        if length.isdigit() and int(length) > self.limits.body_bytes:
            return _problem_app(
                413, f"the body may be {self.limits.body_bytes} bytes at most; nothing was read"
            )
        return None

    def on_body(self, body: bytes) -> None:
        if self._refused or self._refusing_request:
            return  # dropped, not buffered: the answer is already a refusal
        self._body_bytes += len(body)
        if self._body_bytes > self.limits.body_bytes and not self.cycle.response_started:
            self._refuse(413, f"the body may be {self.limits.body_bytes} bytes at most")
            return
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        if not self._refused:
            super().on_message_complete()

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.limits.request_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            if self.throttle.ready(f"slow {self._address}"):
                log.warning(
                    "%s did not send a whole request within %g s: closed",
                    self._address,
                    self.limits.request_seconds,
                )
            self._refuse(
                408, f"send the whole request within {self.limits.request_seconds:g} seconds"
            )

    def _refuse(self, status: int, detail: str) -> None:
        """Answer with a problem and close, parsing nothing more."""
        self._refused = True
        self._disarm()
        if self.cycle is not None and not self.cycle.response_complete:
            # As if the client had gone: the app's receive says so, its sends go nowhere.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        if status == 431 and self.throttle.ready(f"header {self._address}"):
            log.warning("%s sent headers over %d bytes", self._address, self.limits.header_bytes)
        self.transport.write(problem_response(status, detail))
        # A lingering close, as web servers do: closing with the client's bytes unread would
        # reset the connection, and a reset can discard this answer before the client reads
        # it. So nothing more is written, what still comes is dropped (data_received), and
        # the connection closes when the client closes it, or after a moment.
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
