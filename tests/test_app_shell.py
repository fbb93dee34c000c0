"""The terminal apps as systemd runs them: a real process on a pseudo-terminal, then SIGTERM."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.server_process import TOKENS, ServerProcess

ENTER_ALT_SCREEN = b"\x1b[?1049h"
LEAVE_ALT_SCREEN = b"\x1b[?1049l"

DEVICES = {
    "kiosk": ("kiosk", "Licencias"),
    "counter": ("counter1", "Ventanilla 1"),
    "display": ("display", "Oficina Centro"),
}
"""Per app: its token, and a text that is on its first screen once it talked to the server."""


def device_file(folder: Path, app: str, url: str) -> Path:
    token, _ = DEVICES[app]
    lines = ["[server]", f'url = "{url}"', f'token = "{TOKENS[token]}"', 'branch = "centro"']
    if app == "counter":
        lines += ['counter = "1"', "[counter]", 'clerk = "Ana"']
    if app == "display":
        lines += ["[display]", "chime = false"]
    path = folder / f"{app}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_until(fd: int, seen: bytearray, wanted: bytes, within: float) -> bool:
    """Append what the app writes to ``seen`` until ``wanted`` is in it (or the end)."""
    deadline = time.monotonic() + within
    while wanted not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: every end of the terminal is closed, the process is gone
            return wanted in seen
        if not chunk:
            return wanted in seen
        seen += chunk
    return True


@pytest.mark.parametrize("app", sorted(DEVICES))
def test_sigterm_restores_the_terminal_and_exits_0(app: str, server: ServerProcess, tmp_path):
    config = device_file(tmp_path, app, server.url)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "turnero", app, "--config", str(config)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,  # the pty becomes its controlling terminal, as under systemd
    )
    os.close(slave)
    output = bytearray()
    try:
        assert read_until(master, output, ENTER_ALT_SCREEN, 30), output[-500:]
        # Drawn with what the server said: the app is fully up, not still starting.
        _, text = DEVICES[app]
        assert read_until(master, output, text.encode(), 30), output[-2000:]
        process.send_signal(signal.SIGTERM)
        after = bytearray()
        read_until(master, after, LEAVE_ALT_SCREEN, 20)
        # Read on to the end: a process writing to a full terminal would block.
        read_until(master, after, b"\0the end\0", 5)
        assert process.wait(10) == 0
        assert LEAVE_ALT_SCREEN in after, bytes(after[-500:])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
