"""``turnero display --web``: the lobby board served to a smart TV's browser (textual-serve).

textual-serve starts one ``turnero display`` process per browser tab and streams its screen
over a websocket; nothing runs in the browser but a terminal emulator.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from aiohttp import web
from textual_serve.server import Server


def display_command(config_path: Path) -> str:
    """The shell command textual-serve runs for each browser: this display, in this Python."""
    config = shlex.quote(str(config_path.resolve()))
    return f"{shlex.quote(sys.executable)} -m turnero display --config {config}"


class LobbyServer(Server):
    """textual-serve, with links built from the address the TV used to reach us.

    textual-serve writes its own host into the page's websocket URL; listening on 0.0.0.0
    would send the TV to ws://0.0.0.0, which it cannot reach.
    """

    def __init__(self, command: str, host: str, port: int, public_url: str | None) -> None:
        super().__init__(command, host=host, port=port, title="Turnero", public_url=public_url)
        self.fixed_url = public_url

    async def handle_index(self, request: web.Request) -> Any:
        self.public_url = self.fixed_url or f"{request.scheme}://{request.host}"
        return await super().handle_index(request)


def serve_display(
    config_path: Path, host: str, port: int, *, public_url: str | None = None
) -> None:
    """Serve the display of ``config_path`` on http://host:port until interrupted."""
    LobbyServer(display_command(config_path), host, port, public_url).serve()
