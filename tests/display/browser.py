"""Headless Chromium driven over the DevTools protocol: enough to load a page and read what
textual-serve's terminal receives."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

CAPTURE_TERMINAL = """
(() => {
  // Keep a text copy of every byte the page's terminal receives from textual-serve.
  window.__terminal = "";
  const decoder = new TextDecoder();
  const add = WebSocket.prototype.addEventListener;
  WebSocket.prototype.addEventListener = function (type, listener, options) {
    if (type === "message") {
      add.call(this, type, (event) => {
        if (typeof event.data !== "string") {
          window.__terminal += decoder.decode(new Uint8Array(event.data), {stream: true});
        }
      });
    }
    return add.call(this, type, listener, options);
  };
})();
"""


class Page:
    """One tab of headless Chromium, spoken to over its DevTools websocket."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._ids = itertools.count(1)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.socket.recv(timeout=30))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        """Evaluate ``expression`` until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)  # polling a browser: there is no event to wait on from here
        raise AssertionError(f"the page never satisfied {expression!r}")


@contextlib.contextmanager
def chromium(width: int = 1280, height: int = 720) -> Iterator[Page]:
    """A fresh headless Chromium with one blank page."""
    assert CHROMIUM, "chromium is not installed (apt-get install -y chromium)"
    # Chromium's zygote outlives the browser process for a moment and still writes into the
    # profile, so the whole process group is killed before the profile goes; should one write
    # still be in flight, a leftover folder in /tmp is no reason to fail a test.
    with tempfile.TemporaryDirectory(
        prefix="turnero-chromium-", ignore_cleanup_errors=True
    ) as profile:
        process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            # Chromium says where its DevTools listen as soon as they do: wait on that line.
            assert process.stderr is not None
            for line in process.stderr:
                if found := re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line):
                    port = found[1]
                    break
            else:
                raise RuntimeError("chromium ended before its DevTools listened")
            # Keep reading its chatter so a full pipe never blocks it.
            threading.Thread(target=process.stderr.read, daemon=True).start()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as response:
                targets = json.load(response)
            page_url = next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"]
            with connect(page_url, max_size=None) as socket:
                page = Page(socket)
                page.send("Page.enable")
                yield page
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
