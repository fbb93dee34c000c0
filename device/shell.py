"""What every terminal app (kiosk, counter, display) shares around Textual's own ``run``."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import TypeVar

from textual.app import App

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
