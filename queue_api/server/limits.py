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
    from queue_api.server.guarded import GuardedProtocol

    # A class per server: its connections per address are counted apart from any other's.
    attributes = {"limits": limits, "per_address": Counter(), "throttle": _Throttle()}
    return type("GuardedProtocol", (GuardedProtocol,), attributes)


def server_limits(server: ServerSection, open_files: int) -> Limits:
    """The limits of a server with the ``[server]`` section ``server`` and ``open_files``."""
    return Limits(
        connections=connection_budget(open_files),
        request_seconds=server.request_timeout_seconds,
        connections_per_address=server.connections_per_address,
    )


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
