"""Real stand-ins for hardware: socat pty pairs, a fake LED board, fake ESC/POS printers.

Importable by other test suites (the counter app's tests drive a pty LED board):

    from tests.drivers.fixtures import socat_pty_pair, FakeBoard
    with socat_pty_pair() as pair, FakeBoard(pair.far) as board:
        ...open_board(pair.near)...; board.wait_frames(1)

Everything waits on events or readiness with timeouts, never on sleeps.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import serial

from drivers.board_protocols import crc16_modbus, with_crc

#: DLE EOT replies seen from an Epson-compatible emulator (HARDWARE.md), per state.
STATUS_REPLIES: dict[str, tuple[int, int, int, int]] = {
    "ok": (0x12, 0x12, 0x12, 0x12),
    "near_end": (0x12, 0x12, 0x12, 0x1E),
    "paper_out": (0x1A, 0x32, 0x12, 0x7E),
    "cover_open": (0x1A, 0x16, 0x12, 0x12),
    "offline": (0x1A, 0x12, 0x12, 0x12),
    "cutter": (0x1A, 0x52, 0x1A, 0x12),
    "unrecoverable": (0x1A, 0x52, 0x32, 0x12),
}

WAIT = 5.0  # seconds: the longest any fixture waits for something that should happen


# -- socat pseudo-terminal pairs ----------------------------------------------------------


@dataclass
class PtyPair:
    """Two connected pseudo-terminals: the driver opens ``near``, the fake device ``far``."""

    near: str
    far: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Kill socat: both ends vanish, as when a USB adapter is unplugged."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(WAIT)
        if self.process.stderr:
            self.process.stderr.close()


def start_pty_pair(
    near_link: str | Path | None = None, far_link: str | Path | None = None
) -> PtyPair:
    """Start ``socat -d -d pty,raw,echo=0 pty,raw,echo=0`` and wait until it relays data.

    With links, the ends get stable names (so a pair can be restarted under the same path).
    """
    if shutil.which("socat") is None:
        raise RuntimeError("socat is not installed: apt install socat")

    def end(link: str | Path | None) -> str:
        return "pty,raw,echo=0" + (f",link={link}" if link else "")

    process = subprocess.Popen(
        ["socat", "-d", "-d", end(near_link), end(far_link)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    output = b""
    deadline = time.monotonic() + WAIT
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        # Wait on socat's own words: two "PTY is" lines, then "starting data transfer loop".
        while b"starting data transfer loop" not in output:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                process.kill()
                raise RuntimeError(f"socat did not start: {output.decode(errors='replace')}")
            chunk = os.read(process.stderr.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"socat exited: {output.decode(errors='replace')}")
            output += chunk
    # An end with a link is known by it; socat names the others' devices ("PTY is ...").
    # Only those are read: under load one run printed a single "PTY is" line for two ends.
    named = iter(re.findall(r"PTY is (\S+)", output.decode()))
    near = str(near_link) if near_link else next(named, None)
    far = str(far_link) if far_link else next(named, None)
    assert near and far and Path(near).exists() and Path(far).exists(), output
    # Keep draining stderr so socat never blocks on a full pipe.
    threading.Thread(target=_drain, args=(process,), daemon=True).start()
    return PtyPair(near, far, process)


def _drain(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError, ValueError):
        while process.stderr and os.read(process.stderr.fileno(), 4096):
            pass


@contextlib.contextmanager
def socat_pty_pair(
    near_link: str | Path | None = None, far_link: str | Path | None = None
) -> Iterator[PtyPair]:
    """A pty pair for the duration of a ``with`` block."""
    pair = start_pty_pair(near_link, far_link)
    try:
        yield pair
    finally:
        pair.stop()


# -- a fake LED board on the far end of a pty ----------------------------------------------


class _Device:
    """A thread serving a serial port: subclasses get bytes and may answer."""

    def __init__(self, path: str, baudrate: int = 9600) -> None:
        self.port = serial.Serial(path, baudrate=baudrate, timeout=0.05)
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):  # returns the subclass
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(WAIT)
        with contextlib.suppress(OSError, serial.SerialException):
            self.port.close()

    def _run(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            try:
                # One byte with a short timeout (to notice stop), then whatever else is there.
                chunk = self.port.read(1)
                if chunk and self.port.in_waiting:
                    chunk += self.port.read(self.port.in_waiting)
            except (OSError, serial.SerialException):
                return  # the pair went away (unplug tests)
            if chunk:
                buffer = self.feed(buffer + chunk)

    def feed(self, buffer: bytes) -> bytes:
        """Consume what can be consumed from ``buffer``; return the rest."""
        raise NotImplementedError

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_until(self, predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
        """Block until ``predicate()`` is true (re-checked on every event), or time out."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def send(self, data: bytes) -> None:
        self.port.write(data)


class FakeBoard(_Device):
    """A board at ``address``: records whole frames and answers like the real ones.

    ``mode``: "ack" (Modbus echo / configured ack), "silent", "exception" (Modbus exception
    2), "other-address" (a valid answer from unit address+1), "garbage".
    """

    def __init__(
        self,
        path: str,
        *,
        protocol: str = "modbus-rtu",
        address: int = 1,
        mode: str = "ack",
        end: bytes = b"\x03",
        ack: bytes = b"\x06",
    ) -> None:
        super().__init__(path)
        self.protocol, self.address, self.mode = protocol, address, mode
        self.end, self.ack = end, ack
        self.frames: list[bytes] = []
        #: A frame this board is slow to answer: its answer waits until ``answering`` is set.
        self.slow: bytes | None = None
        self.answering = threading.Event()

    def wait_frames(self, count: int, timeout: float = WAIT) -> list[bytes]:
        """Wait until ``count`` frames arrived; return them all (raises on timeout)."""
        if not self.wait_until(lambda: len(self.frames) >= count, timeout):
            raise AssertionError(f"board got {len(self.frames)} frames, expected {count}")
        return list(self.frames)

    def feed(self, buffer: bytes) -> bytes:
        while True:
            size = self._frame_size(buffer)
            if size is None or len(buffer) < size:
                return buffer
            frame, buffer = buffer[:size], buffer[size:]
            self.frames.append(frame)  # before answering: the driver may look right after
            self._notify()
            self._answer(frame)

    def _frame_size(self, buffer: bytes) -> int | None:
        if self.protocol == "ascii":
            index = buffer.find(self.end)
            return index + len(self.end) if index >= 0 else None
        if len(buffer) < 2:
            return None
        if buffer[1] == 0x06:
            return 8
        if buffer[1] == 0x10:
            return 9 + buffer[6] if len(buffer) >= 7 else None
        return len(buffer)  # unknown function: take it all, it will not be acknowledged

    def _answer(self, frame: bytes) -> None:
        if self.mode == "silent":
            return
        if frame == self.slow:
            self.answering.wait(WAIT)
        reply = self._ascii_reply() if self.protocol == "ascii" else self._modbus_reply(frame)
        if reply:
            self.send(reply)

    def _ascii_reply(self) -> bytes | None:
        return {"ack": self.ack, "garbage": b"\xff"}.get(self.mode)

    def _modbus_reply(self, frame: bytes) -> bytes | None:
        if frame[0] != self.address or crc16_modbus(frame) != 0:
            return None  # real boards ignore frames for others, and frames with a bad CRC
        if self.mode == "ack":
            return frame if frame[1] == 0x06 else frame[:6] + with_crc(frame[:6])[6:]
        if self.mode == "exception":
            return with_crc(bytes([self.address, frame[1] | 0x80, 0x02]))
        if self.mode == "other-address":
            return with_crc(bytes([self.address + 1]) + frame[1:6])
        if self.mode == "garbage":
            return b"\x00\xff\x13\x37\x00\xff\x13\x37"
        return None


# -- fake ESC/POS printers ------------------------------------------------------------------


@dataclass
class PrinterBrain:
    """What an ESC/POS printer does with its input: answers DLE EOT n, keeps the rest."""

    state: str = "ok"
    silent: bool = False
    #: Bytes to send before each status reply (noise a driver must skip).
    noise: bytes = b""
    #: Switch to this state once a job arrives (a fault appearing while printing).
    state_after_job: str | None = None
    data: bytearray = field(default_factory=bytearray)
    queries: list[int] = field(default_factory=list)

    def feed(self, buffer: bytes, reply: Callable[[bytes], None]) -> bytes:
        """Handle ``buffer``; return an incomplete tail to keep for later."""
        while buffer:
            index = buffer.find(b"\x10\x04")
            if index < 0:
                keep = 1 if buffer.endswith(b"\x10") else 0
                self._data(buffer[: len(buffer) - keep])
                return buffer[len(buffer) - keep :]
            self._data(buffer[:index])
            if len(buffer) < index + 3:
                return buffer[index:]
            n = buffer[index + 2]
            buffer = buffer[index + 3 :]
            self.queries.append(n)
            if not self.silent and 1 <= n <= 4:
                reply(self.noise + bytes([STATUS_REPLIES[self.state][n - 1]]))
        return b""

    def _data(self, chunk: bytes) -> None:
        if chunk:
            self.data += chunk
            if self.state_after_job and b"\x1dV" in self.data:
                self.state = self.state_after_job


class FakeSerialPrinter(_Device):
    """An ESC/POS printer on the far end of a pty."""

    def __init__(self, path: str, **brain: object) -> None:
        super().__init__(path)
        self.brain = PrinterBrain(**brain)  # type: ignore[arg-type]

    def feed(self, buffer: bytes) -> bytes:
        rest = self.brain.feed(buffer, self.send)
        self._notify()
        return rest

    def wait_for_bytes(self, needle: bytes, timeout: float = WAIT) -> bytes:
        """Wait until ``needle`` arrived; return all data received so far."""
        if not self.wait_until(lambda: needle in self.brain.data, timeout):
            raise AssertionError(f"printer never got {needle!r}; got {bytes(self.brain.data)!r}")
        return bytes(self.brain.data)


class FakeTcpPrinter:
    """A network printer on 127.0.0.1: one job per connection, like port 9100 printers.

    ``jobs`` holds the bytes of each closed connection; ``silent`` accepts and never answers.
    """

    def __init__(self, **brain: object) -> None:
        self.brain_options = brain
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.url = f"tcp://127.0.0.1:{self.port}"
        self.jobs: list[bytes] = []
        self.brains: list[PrinterBrain] = []
        self.state = str(brain.pop("state", "ok"))
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FakeTcpPrinter:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        # accept() does not wake up when another thread closes the socket: knock once.
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
            pass
        self._thread.join(WAIT)
        self.server.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            if self._stop.is_set():
                conn.close()
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with conn:
                brain = PrinterBrain(state=self.state, **self.brain_options)  # type: ignore[arg-type]
                self.brains.append(brain)
                buffer = b""
                while True:
                    try:
                        chunk = conn.recv(4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    buffer = brain.feed(buffer + chunk, conn.sendall)
                self.state = brain.state
                with self._changed:
                    self.jobs.append(bytes(brain.data))
                    self._changed.notify_all()

    def wait_jobs(self, count: int, timeout: float = WAIT) -> list[bytes]:
        """Wait until ``count`` connections have closed; return their data."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.jobs) >= count, timeout):
                raise AssertionError(f"printer saw {len(self.jobs)} connections, expected {count}")
            return list(self.jobs)


def wait_readable(fd: int, timeout: float = WAIT) -> bool:
    """Wait until ``fd`` has input (e.g. stale bytes reached the driver's end of a pty)."""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        return bool(selector.select(timeout))
