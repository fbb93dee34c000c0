"""The HTTP + SSE server (FastAPI on uvicorn): routers by resource, auth by device token."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from fastapi import FastAPI

from queue_api import __version__
from queue_api.bookings import Bookings
from queue_api.config import OfficeConfig
from queue_api.office import Office
from queue_api.operations import Operations
from queue_api.phone import Phone
from queue_api.server import problems
from queue_api.server.auth import TokenBook
from queue_api.server.hub import EventHub
from queue_api.server.kpi_watch import KpiWatch, flush_presence
from queue_api.server.limits import (
    Limits,
    StreamQuota,
    guarded_protocol,
    raise_open_files_limit,
    server_limits,
)
from queue_api.server.log_follower import LogFollower
from queue_api.server.presence import PresenceBook
from queue_api.server.public_pages import install as install_public_pages
from queue_api.server.routes import (
    appointments,
    branches,
    counters,
    desk_actions,
    events,
    health,
    operations,
    phone,
    reports,
    tickets,
)
from queue_api.server.ticket_allowance import TicketAllowance
from queue_api.server.webhook import Webhook
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
    supervising = Operations(office)
    webhook = Webhook(config.server.alert_webhook) if config.server.alert_webhook else None
    # Every committed change marks its branch for a KPI check, off the request path.
    watch = KpiWatch(supervising, office.events, webhook)
    office.events = watch
    presence = PresenceBook()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub.bind(asyncio.get_running_loop(), app.state.heartbeat_seconds)
        if follower is not None:
            await asyncio.to_thread(follower.start)
        pruner = asyncio.create_task(_housekeeping(office))
        if webhook is not None:
            webhook.bind(asyncio.get_running_loop())
        watchers = [
            asyncio.create_task(watch.run()),
            asyncio.create_task(flush_presence(presence, supervising)),
            *([asyncio.create_task(webhook.run())] if webhook is not None else []),
        ]
        try:
            yield
        finally:
            for task in watchers:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*watchers)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(presence.flush, store)
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
    app.state.operations = supervising
    app.state.presence = presence
    app.state.hub = hub
    app.state.tokens = TokenBook(config)
    app.state.ticket_allowance = TicketAllowance(config.server.kiosk_tickets_per_minute)
    # The same token bucket per device, for alerts.
    app.state.alert_allowance = TicketAllowance(branches.ALERTS_PER_MINUTE)
    app.state.heartbeat_seconds = events.heartbeat_seconds()
    app.state.stream_quota = StreamQuota(config.server.streams_per_address)
    phone.install(app.state, hub, Phone(office))
    problems.install(app)
    for module in (
        health,
        branches,
        tickets,
        counters,
        events,
        reports,
        operations,
        appointments,
        phone,
    ):
        # Any call may meet an unreachable database.
        app.include_router(module.router, responses=problems.responses(503))
    install_public_pages(app)
    app.include_router(desk_actions.router, responses=problems.responses(503))
    return app


async def _housekeeping(office: Office) -> None:
    """Close past business days soon after midnight; prune old events and keys hourly."""
    last_prune: float = -PRUNE_EVERY_SECONDS
    loop = asyncio.get_running_loop()
    while True:
        try:
            due = loop.time() - last_prune >= PRUNE_EVERY_SECONDS
            if await asyncio.to_thread(_housekeep_once, office, due) and due:
                last_prune = loop.time()
        except Exception:
            log.exception("housekeeping failed; will try again")
        await asyncio.sleep(HOUSEKEEPING_EVERY_SECONDS)


class CannotListen(Exception):
    """The address or port cannot be listened on (in use, not this machine's, privileged)."""


def _listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound and listening, or CannotListen with one sentence."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CannotListen(
                f"cannot listen on {host}:{port}: the port is in use by another program;"
                " stop it or choose another --port"
            ) from None
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


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
    if no_shows := Bookings(office).mark_no_shows():
        log.info("%d bookings passed their late window unused: marked no_show", no_shows)


def _uvicorn_options(limits: Limits) -> dict[str, Any]:
    """The uvicorn settings one server and each worker of ``serve_workers`` share."""
    return {
        "log_level": "info",
        "access_log": False,
        "timeout_graceful_shutdown": 5,
        "lifespan": "on",
        "limit_concurrency": limits.connections,
    }


def serve(config: OfficeConfig, host: str, port: int) -> None:
    """Run the server until SIGINT/SIGTERM; open event streams are ended, not waited for."""
    import uvicorn

    address = f"http://{host}:{port}"
    store = open_store(config.server.database, owner=f"pid {os.getpid()}, {address}")
    try:
        sock = _listen(host, port)
    except BaseException:
        store.close()
        raise
    app = create_app(config, store)
    open_files = raise_open_files_limit()
    limits = server_limits(config.server, open_files)
    log.info("open-files limit %d: at most %d connections at once", open_files, limits.connections)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            app.state.hub.close()
            super().handle_exit(sig, frame)

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                # Only now: the socket is bound and the app has started.
                log.info("Turnero %s listening on %s", __version__, address)

    server = Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            http=guarded_protocol(limits),
            **_uvicorn_options(limits),
        )
    )
    with sock:
        server.run(sockets=[sock])


CONFIG_ENV = "TURNERO_SERVER_CONFIG"
"""Where ``serve_workers`` tells its worker processes the office's config file."""


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``serve_workers``."""
    from queue_api.config import load_office_config

    return create_app(load_office_config(Path(os.environ[CONFIG_ENV])))


def serve_workers(config: OfficeConfig, path: Path, host: str, port: int, workers: int) -> None:
    """Run ``workers`` server processes on one port (needs a store they can share); each worker
    loads ``path`` itself, ``config`` being what it holds."""
    import uvicorn

    os.environ[CONFIG_ENV] = str(path.resolve())
    log.info("Turnero %s: %d server processes on http://%s:%d", __version__, workers, host, port)
    # Raised here, inherited by every worker: each worker bounds itself by it as serve() does.
    limits = server_limits(config.server, raise_open_files_limit())
    uvicorn.run(
        "queue_api.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # Workers get the config by pickling: a class made here would not survive that, so
        # each worker builds the bounded protocol from the config file (server.worker).
        http="queue_api.server.worker:GuardedProtocol",
        **_uvicorn_options(limits),
    )
