"""The HTTP + SSE server (FastAPI on uvicorn): routers by resource, auth by device token."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from queue_api import __version__
from queue_api.config import OfficeConfig
from queue_api.office import Office
from queue_api.server import problems
from queue_api.server.auth import TokenBook
from queue_api.server.hub import EventHub
from queue_api.server.routes import branches, counters, events, health, tickets
from queue_api.store import Store, open_store

log = logging.getLogger("turnero.server")

PRUNE_EVERY_SECONDS = 3600


def create_app(config: OfficeConfig, store: Store | None = None) -> FastAPI:
    """The API for one office configuration; opens the configured store unless given one."""
    store = store or open_store(config.server.database)
    hub = EventHub()
    office = Office(config, store, hub)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub.bind(asyncio.get_running_loop())
        pruner = asyncio.create_task(_prune_forever(office))
        try:
            yield
        finally:
            hub.close()
            pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pruner
            store.close()

    app = FastAPI(
        title="Turnero queue API",
        version=__version__,
        summary="The central queue of a public office: tickets, counters, lobby board, events.",
        lifespan=lifespan,
    )
    app.state.office = office
    app.state.hub = hub
    app.state.tokens = TokenBook(config)
    problems.install(app)
    for module in (health, branches, tickets, counters, events):
        app.include_router(module.router)
    return app


async def _prune_forever(office: Office) -> None:
    while True:
        try:
            await asyncio.to_thread(office.prune)
        except Exception:
            log.exception("pruning old events failed; will try again")
        await asyncio.sleep(PRUNE_EVERY_SECONDS)


def serve(config: OfficeConfig, host: str, port: int) -> None:
    """Run the server until SIGINT/SIGTERM; open event streams are ended, not waited for."""
    import uvicorn

    app = create_app(config)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: object) -> None:
            app.state.hub.close()
            super().handle_exit(sig, frame)

    server = Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="info",
            access_log=False,
            timeout_graceful_shutdown=5,
            lifespan="on",
        )
    )
    log.info("Turnero %s listening on http://%s:%d", __version__, host, port)
    server.run()
