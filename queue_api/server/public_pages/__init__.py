"""The office's public pages (``/b/{b}``, ``/b/{b}/lobby``) and the lobby's public stream."""

from __future__ import annotations

from fastapi import FastAPI

from queue_api.server.public_pages.lobby_feed import LobbyFeeds
from queue_api.server.public_pages.routes import router


def install(app: FastAPI) -> None:
    """Add the public pages to ``app`` (made by ``create_app``: its office and hub are set)."""
    app.state.lobby_feeds = LobbyFeeds(app.state.office, app.state.hub)
    # Each route documents its 503 (a database out of reach) itself.
    app.include_router(router)
