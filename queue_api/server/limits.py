"""What one client may hold of the server: request size and time, connections and streams.

Anyone on the office network can reach the server without a token. Unbounded, one client
stalled everyone: a 256 MB header took 85 s of CPU, a 1 GB body grew the server to 3 GB, a
request sent by half was held forever, and ~1,000 idle sockets used up the open-files limit.
The bounds live in uvicorn's HTTP protocol (``guarded_protocol``), before any request reaches
the app, except the event streams per address, which the events route counts (``StreamQuota``).
The defaults fit an office: dozens of displays and counters behind one NAT address.
"""

from __future__ import annotations

import logging
import resource
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from queue_api.config import ServerSection
from queue_api.schema import Problem

if TYPE_CHECKING:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("turnero.server")

MAX_HEADER_BYTES = 64 * 1024
"""Request line and headers; the apps send well under 2 KB."""
MAX_BODY_BYTES = 64 * 1024
"""The largest body the API takes (an alert) is under 1 KB."""
REQUEST_SECONDS = 10.0
"""From connecting (or the first byte of a request) to its last byte."""
CONNECTIONS_PER_ADDRESS: int = ServerSection.model_fields["connections_per_address"].default
"""Open connections from one client address (``[server] connections_per_address``): each
app holds two or three."""
STREAMS_PER_ADDRESS: int = ServerSection.model_fields["streams_per_address"].default
"""Open event streams from one client address (``[server] streams_per_address``): one per
display, counter or kiosk."""
FILES_RESERVED = 64
"""Open files kept back from connections: the database, logs, the thread pool's sockets."""
NEAR_LIMIT = 0.8
"""Open connections, as a share of the most allowed, from which the log warns."""
RETRY_AFTER_SECONDS = 5
LOG_EVERY_SECONDS = 60.0

PROBLEM_TITLES = {
    408: "Request Timeout",
    413: "Content Too Large",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
}


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds one server applies; ``connections`` is the most open at once in total."""

    connections: int
    header_bytes: int = MAX_HEADER_BYTES
    body_bytes: int = MAX_BODY_BYTES
    request_seconds: float = REQUEST_SECONDS
    connections_per_address: int = CONNECTIONS_PER_ADDRESS


def raise_open_files_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit; return the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # RLIM_INFINITY is refused for files (the kernel caps at nr_open): ask for a finite number.
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-files limit from %d to %d: %s", soft, wanted, exc)
    return soft


def connection_budget(open_files: int) -> int:
    """How many connections may be open at once with ``open_files`` files allowed."""
    return max(16, open_files - FILES_RESERVED)


def problem_response(status: int, detail: str, retry_after: int | None = None) -> bytes:
    """A whole HTTP/1.1 problem+json answer that closes the connection."""
    body = _problem_body(status, detail)
    head = [
        f"HTTP/1.1 {status} {PROBLEM_TITLES[status]}",
        "content-type: application/problem+json",
        f"content-length: {len(body)}",
        "connection: close",
    ]
    if retry_after is not None:
        head.append(f"retry-after: {retry_after}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _problem_body(status: int, detail: str) -> bytes:
    return (
        Problem(title=PROBLEM_TITLES[status], status=status, detail=detail)
        .model_dump_json()
        .encode()
    )


class _Throttle:
    """Say a thing in the log at most once a minute per key (a flood must not flood the log)."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}

    def ready(self, key: str) -> bool:
        now = time.monotonic()
        if now - self._last.get(key, -LOG_EVERY_SECONDS) < LOG_EVERY_SECONDS:
            return False
        self._last[key] = now
        return True


def guarded_protocol(limits: Limits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol, bounded by ``limits`` (pass it as ``http=``)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    per_address: Counter[str] = Counter()
    throttle = _Throttle()

    class GuardedProtocol(HttpToolsProtocol):
        """One connection: refused with a problem, and closed, past any of ``limits``."""

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
            per_address[self._address] += 1
            if per_address[self._address] > limits.connections_per_address:
                self._over_address_limit = True
                if throttle.ready(f"address {self._address}"):
                    log.warning(
                        "%s holds %d connections, over %d: refusing its new ones",
                        self._address,
                        per_address[self._address],
                        limits.connections_per_address,
                    )
            if len(self.connections) >= NEAR_LIMIT * limits.connections and throttle.ready("near"):
                log.warning(
                    "%d connections open of the %d allowed (open-files limit): "
                    "past it, new ones get 503",
                    len(self.connections),
                    limits.connections,
                )
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            per_address[self._address] -= 1
            if per_address[self._address] <= 0:
                del per_address[self._address]
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            if self._in_headers:
                self._header_bytes += len(data)
                # The chunk may hold the end of the headers and some body: parse it first.
                if self._header_bytes > limits.header_bytes:
                    self._parse_then_check_headers(data)
                    return
            super().data_received(data)

        def _parse_then_check_headers(self, data: bytes) -> None:
            cut = data.find(b"\r\n\r\n")
            if cut < 0 or self._header_bytes - len(data) + cut > limits.header_bytes:
                self._refuse(
                    431, f"send at most {limits.header_bytes} bytes of request line and headers"
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
            if length.isdigit() and int(length) > limits.body_bytes:
                return _problem_app(
                    413, f"the body may be {limits.body_bytes} bytes at most; nothing was read"
                )
            return None

        def on_body(self, body: bytes) -> None:
            if self._refused or self._refusing_request:
                return  # dropped, not buffered: the answer is already a refusal
            self._body_bytes += len(body)
            if self._body_bytes > limits.body_bytes and not self.cycle.response_started:
                self._refuse(413, f"the body may be {limits.body_bytes} bytes at most")
                return
            super().on_body(body)

        def on_message_complete(self) -> None:
            self._disarm()
            if not self._refused:
                super().on_message_complete()

        def _arm(self) -> None:
            if self._deadline is None:
                self._deadline = self.loop.call_later(limits.request_seconds, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            if self.cycle is None or not self.cycle.response_started:
                if throttle.ready(f"slow {self._address}"):
                    log.warning(
                        "%s did not send a whole request within %g s: closed",
                        self._address,
                        limits.request_seconds,
                    )
                self._refuse(
                    408, f"send the whole request within {limits.request_seconds:g} seconds"
                )

        def _refuse(self, status: int, detail: str) -> None:
            """Answer with a problem and close, reading nothing more."""
            self._refused = True
            self._disarm()
            if self.cycle is not None and not self.cycle.response_complete:
                # As if the client had gone: the app's receive says so, its sends go nowhere.
                self.cycle.disconnected = True
                self.cycle.message_event.set()
            if status == 431 and throttle.ready(f"header {self._address}"):
                log.warning("%s sent headers over %d bytes", self._address, limits.header_bytes)
            self.transport.write(problem_response(status, detail))
            self.transport.close()

    return GuardedProtocol


def _problem_app(status: int, detail: str, retry_after: int | None = None) -> Any:
    """An ASGI app answering every request with one problem (the body is never read)."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"connection", b"close"),
        ]
        if retry_after is not None:
            headers.append((b"retry-after", str(retry_after).encode()))
        body = _problem_body(status, detail)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


class StreamQuota:
    """Open event streams per client address; used on the event loop only."""

    def __init__(self, per_address: int = STREAMS_PER_ADDRESS) -> None:
        self.per_address = per_address
        self._open: Counter[str] = Counter()

    def take(self, address: str) -> bool:
        """Count one more stream from ``address``; False (nothing counted) past the limit."""
        if self._open[address] >= self.per_address:
            return False
        self._open[address] += 1
        return True

    def give_back(self, address: str) -> None:
        """A stream from ``address`` ended."""
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]
