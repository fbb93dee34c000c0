"""A ``turnero server`` child process on 127.0.0.1: the demo runs one, and so do the tests."""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

#: The example office, shipped in the wheel for ``turnero demo``; in the source tree it is a
#: link to examples/office.toml, the file people read.
EXAMPLE_OFFICE = resources.files("turnero") / "examples" / "office.toml"

READY = re.compile(r"listening on (http://\S+)")
WORKER_READY = re.compile(r"Application startup complete")


FREE_PORTS = "TURNERO_FREE_PORTS"
"""``LOW-HIGH``: pick free ports in this range only (test workers running side by side get
one each: two probes of the kernel's spare ports can be handed the same one before either
server binds it)."""


def free_port() -> int:
    """A port nobody listens on at 127.0.0.1 now (in ``TURNERO_FREE_PORTS`` when set)."""
    span = os.environ.get(FREE_PORTS)
    if not span:
        return _bound(0)
    low, high = (int(end) for end in span.split("-"))
    for port in random.sample(range(low, high), min(200, high - low)):
        with contextlib.suppress(OSError):
            return _bound(port)
    raise RuntimeError(f"no free port in {FREE_PORTS}={span}")


def _bound(port: int) -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        return sock.getsockname()[1]


def office_file(
    folder: Path,
    database: Path | str,
    extra: str = "",
    *,
    kiosk_tickets_per_minute: int | None = None,
) -> Path:
    """The example office, pointed at ``database`` (a SQLite file, or a ``postgresql://`` URL),
    written into ``folder``.

    Load tests and benchmarks issue faster than people: they lift the kiosks' limit with 0.
    """
    text = EXAMPLE_OFFICE.read_text(encoding="utf-8")
    url = database if str(database).startswith("postgresql://") else f"sqlite:///{database}"
    server = f'database = "{url}"'
    if kiosk_tickets_per_minute is not None:
        server += f"\nkiosk_tickets_per_minute = {kiosk_tickets_per_minute}"
    text = re.sub(r'database = ".*"', lambda _: server, text, count=1)
    path = folder / "office.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class ServerProcess:
    """``turnero server`` as a child process; ``start()`` returns once it listens."""

    config: Path
    port: int = field(default_factory=free_port)
    die_with_parent: bool = False
    """Linux: the server gets SIGTERM when this process ends, however it ends (kill -9 too)."""
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)
    workers: int = 1
    """``turnero server --workers``: then ``start()`` waits until every worker has started."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> ServerProcess:
        """Start the server and wait until it listens; after ``stop()``, the same config and
        port start again (a restart, as the apps see it)."""
        command = [sys.executable, "-m", "turnero", "server", "--config", str(self.config)]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *self._worker_option()],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            # Safe in preexec_fn: it only makes one system call.
            preexec_fn=_die_with_parent if self.die_with_parent else None,
        )
        ready = threading.Event()

        def pump() -> None:
            assert self.process and self.process.stdout
            workers_up = 0
            for line in self.process.stdout:
                self.output.append(line)
                # With workers, the parent announces the port before any worker listens on it.
                workers_up += bool(WORKER_READY.search(line))
                if READY.search(line) if self.workers == 1 else workers_up == self.workers:
                    ready.set()
            ready.set()  # the process ended: stop waiting

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(timeout) or self.process.poll() is not None:
            self.stop()
            raise RuntimeError("the server did not start:\n" + "".join(self.output))
        return self

    def _worker_option(self) -> list[str]:
        return ["--workers", str(self.workers)] if self.workers != 1 else []

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        self.stop(signal.SIGKILL)
