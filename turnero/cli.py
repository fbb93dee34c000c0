"""The ``turnero`` command: one subcommand per program (API.md, "Command line").

Heavy imports (Textual, uvicorn, FastAPI) happen inside the commands so ``--help`` is instant.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from queue_api.config_errors import ConfigError
from turnero import policy_explain
from turnero.poster import poster_command
from turnero.report import report as report_command

if TYPE_CHECKING:
    from device.config import DeviceConfig

app = typer.Typer(
    name="turnero",
    help="Queue management for public offices: server, kiosk, counter, lobby display.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Where a device's file is looked for when neither --config nor TURNERO_CONFIG names one.
DEFAULT_DEVICE_FILE = Path("turnero.toml")
ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        envvar="TURNERO_CONFIG",
        help="Device file (default: $TURNERO_CONFIG, else ./turnero.toml).",
        show_default=False,
    ),
]


def fail(message: str) -> typer.Exit:
    """Print a message for a person (no traceback) and exit with status 2."""
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(2)


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _log_to_stderr(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT, force=True)


def _log_to_file(program: str) -> Path:
    """Screen programs log to a file: the terminal is theirs to draw on."""
    folder = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "turnero"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{program}.log"
    logging.basicConfig(filename=path, level=logging.INFO, format=LOG_FORMAT, force=True)
    # Request lines carry no token, but they would drown the faults a technician looks for.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return path


@app.command()
def server(
    config: Annotated[Path, typer.Option("--config", "-c", help="The office's TOML file.")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help="Server processes on this port (PostgreSQL only).", min=1)
    ] = 1,
) -> None:
    """Run the central queue API for the office described in CONFIG."""
    from queue_api.config import load_office_config
    from queue_api.store import StoreUnavailable

    _log_to_stderr()
    try:
        office = load_office_config(config)
        from queue_api.server import CannotListen, serve, serve_workers

        if workers > 1 and office.server.database.startswith("sqlite:"):
            raise fail(
                f"--workers {workers}: a SQLite database serves one server process."
                ' Set database = "postgresql://..." in [server] of the config for more,'
                " or leave --workers out."
            )
        try:
            if workers == 1:
                serve(office, host, port)
            else:
                serve_workers(office, config, host, port, workers)
        except CannotListen as exc:
            raise fail(str(exc)) from None
    except (ConfigError, StoreUnavailable) as exc:
        raise fail(str(exc)) from None


db_app = typer.Typer(help="The server's database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(
    config: Annotated[Path, typer.Option("--config", "-c", help="The office's TOML file.")],
) -> None:
    """Create or upgrade the database schema of CONFIG, then exit (servers also do it at start)."""
    from queue_api.config import load_office_config
    from queue_api.store import StoreUnavailable, open_store

    _log_to_stderr()
    try:
        database = load_office_config(config).server.database
        open_store(database).close()
    except (ConfigError, StoreUnavailable) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"The database {database.split('@')[-1]} is up to date.")


def _device(path: Path) -> tuple[Path, DeviceConfig]:
    from device.config import load_device_config

    try:
        return path, load_device_config(path)
    except ConfigError as exc:
        raise fail(str(exc)) from None


@app.command()
def kiosk(config: ConfigOption = DEFAULT_DEVICE_FILE) -> None:
    """Run the citizens' ticket kiosk."""
    path, device = _device(config)
    _log_to_file("kiosk")
    from kiosk.app import KioskApp

    try:
        kiosk_app = KioskApp(device)
    except ConfigError as exc:
        raise fail(f"{path}: {exc}") from None
    from device.shell import run_app

    run_app(kiosk_app)


@app.command()
def counter(config: ConfigOption = DEFAULT_DEVICE_FILE) -> None:
    """Run a clerk's counter terminal (and its LED board)."""
    from device.config import require_counter

    path, device = _device(config)
    try:
        require_counter(device, path)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    _log_to_file("counter")
    from counter.app import CounterApp
    from device.shell import run_app

    run_app(CounterApp(device))


@app.command()
def display(
    config: ConfigOption = DEFAULT_DEVICE_FILE,
    web: Annotated[bool, typer.Option(help="Serve the display to browsers instead.")] = False,
    host: Annotated[str, typer.Option(help="With --web: address to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="With --web: port to listen on.")] = 8080,
) -> None:
    """Run the lobby display (in this terminal, or with --web for a TV's browser)."""
    path, device = _device(config)
    if web:
        from display.web import serve_display

        serve_display(path, host, port)
        return
    _log_to_file("display")
    from device.shell import run_app
    from display.app import DisplayApp

    run_app(DisplayApp(device))


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port for the demo server (0: pick a free one).")] = 0,
) -> None:
    """Run everything on virtual hardware: server, kiosk, counter and display in one window."""
    _log_to_file("demo")
    from turnero.demo import run_demo

    run_demo(port)


app.command("poster")(poster_command)
app.command(name="report")(report_command)


@app.command()
def supervisor(config: ConfigOption = DEFAULT_DEVICE_FILE) -> None:
    """Run the branch manager's live view: KPIs, alerts, charts, devices and staffing."""
    _path, device = _device(config)
    _log_to_file("supervisor")
    from device.shell import run_app
    from supervisor.app import SupervisorApp

    run_app(SupervisorApp(device))


def _mount_diagnostics() -> None:
    try:
        from turnero.diag import app as diag_app
    except ImportError:  # pragma: no cover - only while the diagnostics are being built
        return
    app.add_typer(diag_app, name="diag", help="Check printers, LED boards and the API.")


_mount_diagnostics()
app.command("policy")(policy_explain.policy)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
