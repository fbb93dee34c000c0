"""``turnero display --web`` in a real headless Chromium: load the page, see the called number."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from device.glyphs import render
from tests.display.browser import CAPTURE_TERMINAL, CHROMIUM, chromium
from tests.display.conftest import Office
from tests.server_process import TOKENS, free_port

TURNERO = [sys.executable, "-m", "turnero"]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed"
)

ESCAPES = re.compile(
    r"\x1b(\[[0-9;?<=>$]*[ -/]*[@-~]"  # CSI: cursor moves, colours, modes
    r"|\][^\x07\x1b]*(\x07|\x1b\\)"  # OSC: titles and the like
    r"|[()][0-9A-Za-z]|[=>78])"
)
"""Terminal control sequences, removed to leave the characters the terminal draws."""


def drawn_big(text: str, screen: str) -> bool:
    """Whether every row of ``text`` in big glyphs, at some scale, is in ``screen``."""
    return any(all(row in screen for row in render(text, scale)) for scale in range(1, 13))


async def two_calls(url: str) -> list[str]:
    office = Office(url)
    try:
        await office.issue("licencias", 2)
        return [(await office.next("1")).number, (await office.next("2")).number]
    finally:
        await office.aclose()


def wait_listening(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("turnero display --web exited:\n" + process.stdout.read())
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)  # a child process's port: nothing to wait on but the port itself
    raise RuntimeError("turnero display --web did not listen")


def test_the_browser_shows_the_called_number(server, tmp_path: Path):
    first, newest = asyncio.run(two_calls(server.url))
    config = tmp_path / "display.toml"
    config.write_text(
        f'[server]\nurl = "{server.url}"\ntoken = "{TOKENS["display"]}"\nbranch = "centro"\n',
        encoding="utf-8",
    )
    port = free_port()
    listen = ["--host", "127.0.0.1", "--port", str(port)]
    web = subprocess.Popen(
        [*TURNERO, "display", "--web", "--config", str(config), *listen],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its per-browser display processes go with it
    )
    try:
        wait_listening(port, web)
        with chromium() as page:
            page.send("Page.addScriptToEvaluateOnNewDocument", source=CAPTURE_TERMINAL)
            page.send("Page.navigate", url=f"http://127.0.0.1:{port}/")
            page.wait_for("document.body.classList.contains('-first-byte')")
            page.wait_for("window.__terminal.includes('Oficina Centro')")
            received = page.wait_for(f"window.__terminal.includes('{first}') && window.__terminal")
            screen = ESCAPES.sub("", received)
        # The newest call is drawn in big glyphs (at whatever scale the page's size allows).
        assert drawn_big(newest, screen), f"{newest} in big glyphs is not on the page"
        assert not drawn_big("C999", screen)
        assert "Oficina Centro" in screen
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        try:
            web.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(web.pid, signal.SIGKILL)
            web.wait()
