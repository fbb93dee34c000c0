"""What every terminal app (kiosk, counter, display) shares: its App base and its ``run``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import App
from textual.screen import Screen

from device.config import DeviceConfig
from queue_api import __version__
from queue_api.client import QueueClient

log = logging.getLogger(__name__)

ReturnType = TypeVar("ReturnType")


def run_app(app: App[ReturnType]) -> ReturnType | None:
    """Run ``app`` as ``App.run()`` does, and end it on SIGTERM as ``ctrl+q`` would.

    systemd stops a service with SIGTERM, whose default action kills the process at once:
    the terminal stayed in the alternate screen with the cursor hidden. Handled here, the
    app exits normally, restores the terminal and the process ends with status 0.
    """

    async def run() -> ReturnType | None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):  # no POSIX signals (Windows)
            loop.add_signal_handler(signal.SIGTERM, app.exit)
        try:
            return await app.run_async()
        finally:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signal.SIGTERM)

    return asyncio.run(run())


class DeviceApp(App[None]):
    """What every terminal app is around its one screen: it owns the QueueClient (unless given
    one) and the hardware it opened, pushes :meth:`make_screen` on mount, freezes the garbage
    collector after the first frame, and closes what it owns on unmount."""

    def __init__(self, device: DeviceConfig, *, client: QueueClient | None = None) -> None:
        super().__init__()
        self.device = device
        self._owns_client = client is None
        # "turnero-kiosk/0.1.0": the app is the package this App subclass lives in.
        agent = f"turnero-{type(self).__module__.split('.')[0]}/{__version__}"
        self.client = client or QueueClient(device.base_url, device.server.token, user_agent=agent)
        self._closers: list[Callable[[], object]] = []

    def own(self, close: Callable[[], object]) -> None:
        """Have ``close`` (a blocking call: a port, a sound device) run on unmount, in a thread;
        the last owned is closed first."""
        self._closers.append(close)

    def make_screen(self) -> Screen[Any]:
        """The app's screen, built once mounted (``is_web`` and the like are known by then)."""
        raise NotImplementedError

    def on_mount(self) -> None:
        # Pushed rather than returned by get_default_screen: only pushed screens get their
        # CSS_PATH loaded.
        self.push_screen(self.make_screen())
        # A full garbage collection walks every Textual object (60-100 ms measured on kiosk,
        # counter and display): long enough to delay a call on screen or a citizen at the
        # slot. Objects alive once the first frame is up live as long as the process: frozen,
        # they are skipped.
        self.call_after_refresh(gc.freeze)

    async def on_unmount(self) -> None:
        while self._closers:
            close = self._closers.pop()
            try:
                await asyncio.to_thread(close)
            except Exception:
                # One part failing to close must not keep the others (or the client) open.
                log.exception("closing %r failed", close)
        if self._owns_client:
            await self.client.aclose()
