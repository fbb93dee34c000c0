"""``turnero demo``: the queue server plus kiosk, counter and lobby display on virtual hardware.

The server runs as a child process on a temporary SQLite file with the example office; it dies
with the demo (even on kill -9, through the parent-death signal), and the files go with it.
"""

from __future__ import annotations

import contextlib
import ctypes
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

EXAMPLE_OFFICE = Path(__file__).resolve().parent.parent / "examples" / "office.toml"
READY = re.compile(r"Uvicorn running on (http://\S+)")

DEMO_DEVICES = {
    "kiosk": ("demo-kiosk-centro", None),
    # Counter 3 serves pagos and registro: registro issues with one touch at the kiosk.
    "counter": ("demo-counter-centro-3", "3"),
    "display": ("demo-display-centro", None),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """Linux: SIGTERM the server when the demo process ends, however it ends."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def demo_server(folder: Path, port: int = 0, timeout: float = 30.0) -> Iterator[str]:
    """Start the example office's server on a SQLite file in ``folder``; yield its URL."""
    office = EXAMPLE_OFFICE.read_text(encoding="utf-8")
    office = re.sub(
        r'database = ".*"', f'database = "sqlite:///{folder / "turnero.db"}"', office, count=1
    )
    config = folder / "office.toml"
    config.write_text(office, encoding="utf-8")
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "turnero", "server", "--config", str(config), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_die_with_parent,  # safe: no other thread runs yet
    )
    ready = threading.Event()
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if READY.search(line):
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        if not ready.wait(timeout) or process.poll() is not None:
            raise RuntimeError("the demo server did not start:\n" + "".join(output[-20:]))
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def device_file(folder: Path, role: str, url: str) -> Path:
    """A ``turnero.toml`` for one demo device, on virtual hardware."""
    token, counter = DEMO_DEVICES[role]
    lines = [
        "[server]",
        f'url = "{url}"',
        f'token = "{token}"',
        'branch = "centro"',
        *([f'counter = "{counter}"'] if counter else []),
        "",
        "[device]",
        f'name = "demo-{role}"',
        "",
        "[printer]",
        'url = "virtual"',
        "",
        "[board]",
        'url = "virtual"',
        "",
        "[counter]",
        'clerk = "Demo"',
        "",
        "[display]",
        "speech = false",
    ]
    path = folder / f"{role}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_demo(port: int = 0) -> None:
    """Start the server, then the one-window demo app; clean everything up on exit."""
    from scripts.demo_app import DemoApp
    from turnero.device import load_device_config

    with tempfile.TemporaryDirectory(prefix="turnero-demo-") as tmp:
        folder = Path(tmp)
        with demo_server(folder, port) as url:
            devices = {
                role: load_device_config(device_file(folder, role, url)) for role in DEMO_DEVICES
            }
            DemoApp(devices).run()
