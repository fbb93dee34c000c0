"""``turnero demo``: the queue server plus kiosk, counter and lobby display on virtual hardware.

The server runs as a child process on a temporary SQLite file with the example office; it dies
with the demo (even on kill -9, through the parent-death signal), and the files go with it.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from turnero.local_server import ServerProcess, free_port, office_file

DEMO_DEVICES = {
    "kiosk": ("demo-kiosk-centro", None),
    # Counter 3 serves pagos and registro: registro issues with one touch at the kiosk.
    "counter": ("demo-counter-centro-3", "3"),
    "display": ("demo-display-centro", None),
}


@contextlib.contextmanager
def demo_server(
    folder: Path, port: int = 0, *, kiosk_tickets_per_minute: int | None = None
) -> Iterator[str]:
    """Start the example office's server on a SQLite file in ``folder``; yield its URL."""
    config = office_file(
        folder, folder / "turnero.db", kiosk_tickets_per_minute=kiosk_tickets_per_minute
    )
    server = ServerProcess(config, port=port or free_port(), die_with_parent=True)
    server.start(timeout=30.0)
    try:
        yield server.url
    finally:
        server.stop()


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
    from device.config import load_device_config
    from device.shell import run_app
    from turnero.demo_app import DemoApp

    with tempfile.TemporaryDirectory(prefix="turnero-demo-") as tmp:
        folder = Path(tmp)
        with demo_server(folder, port) as url:
            devices = {
                role: load_device_config(device_file(folder, role, url)) for role in DEMO_DEVICES
            }
            run_app(DemoApp(devices))
