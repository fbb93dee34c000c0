"""The HTTP + SSE server (FastAPI on uvicorn): routers by resource, auth by device token."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from queue_api import __version__
from queue_api.config import OfficeConfig
from queue_api.office import Office
from queue_api.server import problems
from queue_api.server.auth import TokenBook
from queue_api.server.hub import EventHub
from queue_api.server.log_follower import LogFollower
from queue_api.server.routes import branches, counters, events, health, tickets
from queue_api.server.ticket_allowance import TicketAllowance
from queue_api.store import SharedStore, Store, open_store

log = logging.getLogger("turnero.server")

PRUNE_EVERY_SECONDS = 3600
HOUSEKEEPING_EVERY_SECONDS = 60


def create_app(config: OfficeConfig, store: Store | None = None) -> FastAPI:
    """The API for one office configuration; opens the configured store unless given one."""
    store = store or open_store(config.server.database)
    hub = EventHub()
    # Servers sharing a database learn every event, their own too, from the log.
    follower = (
        LogFollower(store, hub, [b.id for b in config.branches])
        if isinstance(store, SharedStore)
        else None
    )
    office = Office(config, store, follower or hub)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub.bind(asyncio.get_running_loop())
        if follower is not None:
            await asyncio.to_thread(follower.start)
        pruner = asyncio.create_task(_housekeeping(office))
        try:
            yield
        finally:
            hub.close()
            if follower is not None:
                await asyncio.to_thread(follower.stop)
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
    app.state.ticket_allowance = TicketAllowance(config.server.kiosk_tickets_per_minute)
    app.state.heartbeat_seconds = events.heartbeat_seconds()
    problems.install(app)
    for module in (health, branches, tickets, counters, events):
        # Any call may meet an unreachable database.
        app.include_router(module.router, responses=problems.responses(503))
    return app


async def _housekeeping(office: Office) -> None:
    """Close past business days soon after midnight; prune old events and keys hourly."""
    last_prune = -PRUNE_EVERY_SECONDS
    loop = asyncio.get_running_loop()
    while True:
        try:
            due = loop.time() - last_prune >= PRUNE_EVERY_SECONDS
            if await asyncio.to_thread(_housekeep_once, office, due) and due:
                last_prune = loop.time()
        except Exception:
            log.exception("housekeeping failed; will try again")
        await asyncio.sleep(HOUSEKEEPING_EVERY_SECONDS)


def _housekeep_once(office: Office, prune: bool) -> bool:
    """One round of housekeeping, unless another server sharing the database does it now."""
    if isinstance(office.store, SharedStore):
        # Each step is its own transaction: whichever server takes the lock next finishes
        # the work of one that died mid-way.
        with office.store.housekeeping_lock() as mine:
            if mine:
                _housekeep(office, prune)
            return mine
    _housekeep(office, prune)
    return True


def _housekeep(office: Office, prune: bool) -> None:
    cancelled = office.close_past_days()
    if cancelled:
        log.info("cancelled %d tickets left over from a past business day", cancelled)
    if prune:
        office.prune()


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


CONFIG_ENV = "TURNERO_SERVER_CONFIG"
"""Where ``serve_workers`` tells its worker processes the office's config file."""


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``serve_workers``."""
    from queue_api.config import load_office_config

    return create_app(load_office_config(Path(os.environ[CONFIG_ENV])))


def serve_workers(config: Path, host: str, port: int, workers: int) -> None:
    """Run ``workers`` server processes on one port (needs a store they can share)."""
    import uvicorn

    os.environ[CONFIG_ENV] = str(config.resolve())
    log.info("Turnero %s: %d server processes on http://%s:%d", __version__, workers, host, port)
    uvicorn.run(
        "queue_api.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=5,
        lifespan="on",
    )
