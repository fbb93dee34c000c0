"""A device's ``turnero.toml``: which server, which token, which branch and counter, which hardware.

Loaded once at start and validated; a wrong file stops the app before it draws (DESIGN.md).
Any key can come from the environment instead, ``TURNERO_<SECTION>__<KEY>`` (e.g.
``TURNERO_SERVER__TOKEN``), so a token can stay out of the file; the environment wins.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from queue_api.config_errors import ConfigError, describe, read_toml
from queue_api.schema import TokenInfo

#: The environment variables that override the file: ``TURNERO_SERVER__TOKEN`` is server.token.
ENV_PREFIX, ENV_NESTING = "TURNERO_", "__"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerSection(Section):
    url: HttpUrl = Field(description="Base URL of the queue API, e.g. http://10.0.0.2:8000")
    token: Annotated[str, Field(min_length=8)]
    branch: str
    counter: str | None = None


class DeviceSection(Section):
    name: str = Field(default="", description="How alerts from this device are labelled")
    languages: list[Literal["es", "en"]] = ["es", "en"]


class PrinterSection(Section):
    url: str = "virtual"
    profile: str | None = None
    timeout: Annotated[float, Field(gt=0, le=30)] = 3.0


class BoardSection(Section):
    url: str = "virtual"
    protocol: str = Field(
        default="modbus-rtu",
        description='"modbus-rtu", or "ascii" with options: "ascii:checksum=xor,ack=06,end=0d"',
    )
    address: Annotated[int, Field(ge=0, le=247)] = 1
    baudrate: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = 9600
    parity: Literal["N", "E", "O"] = "N"
    bytesize: Literal[7, 8] = 8
    timeout: Annotated[float, Field(gt=0, le=10)] = 0.5
    digits: Annotated[int, Field(ge=1, le=16)] = 4

    @model_validator(mode="after")
    def _known_protocol(self) -> BoardSection:
        from drivers.board_protocols import make_protocol

        make_protocol(self.protocol, self.address)  # raises ValueError naming the bad option
        return self


class KioskSection(Section):
    pin: Annotated[str, Field(pattern=r"^[0-9]{4,8}$")] = "0000"
    idle_seconds: Annotated[int, Field(ge=5, le=600)] = 30
    ticket_seconds: Annotated[int, Field(ge=2, le=120)] = 8


class CounterSection(Section):
    clerk: str = ""


class DisplaySection(Section):
    ticker: str = ""
    chime: bool = True
    speech: bool = False
    calls_shown: Annotated[int, Field(ge=1, le=10)] = 8


class DeviceConfig(BaseSettings):
    """The whole device file; built from keyword arguments (the file) and the environment."""

    model_config = SettingsConfigDict(
        extra="forbid", env_prefix=ENV_PREFIX, env_nested_delimiter=ENV_NESTING
    )

    server: ServerSection
    device: DeviceSection = DeviceSection()
    printer: PrinterSection = PrinterSection()
    board: BoardSection = BoardSection()
    kiosk: KioskSection = KioskSection()
    counter: CounterSection = CounterSection()
    display: DisplaySection = DisplaySection()

    @property
    def base_url(self) -> str:
        return str(self.server.url).rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment over the file: a service unit or a secret store sets the token
        # without editing the file the technician copies around. No .env and no secrets dir.
        return env_settings, init_settings


def _from_environment(error: ValidationError) -> list[str]:
    """The ``TURNERO_...`` variables behind the wrong keys of ``error``, to name them too."""
    names = []
    for item in error.errors():
        name = ENV_PREFIX + ENV_NESTING.join(str(part) for part in item["loc"]).upper()
        if name in {key.upper() for key in os.environ}:
            names.append(name)
    return names


def load_device_config(path: Path) -> DeviceConfig:
    """Read and validate a device file, with the environment's overrides; raise ConfigError
    naming the file (and any variable) and the key."""
    raw = read_toml(path, " (pass --config or set TURNERO_CONFIG)")
    try:
        return DeviceConfig(**raw)
    except ValidationError as exc:
        error = describe(path, exc)
        names = _from_environment(exc)
        if names:
            error = ConfigError(f"{error}\n  (set in the environment: {', '.join(names)})")
        raise error from None


def token_acts_on(who: TokenInfo, branch: str, counter: str) -> bool:
    """Whether the token ``/whoami`` describes may act on ``counter`` of ``branch`` (API.md:
    a counter token acts on its own counter only; an admin token on any)."""
    if who.role == "admin":
        return True
    return who.role == "counter" and who.branch == branch and who.counter == counter


def token_scope(who: TokenInfo) -> str:
    """A token's role and scope in a few words: ``counter @ centro/2``."""
    scope = who.branch or "*"
    if who.counter:
        scope += f"/{who.counter}"
    return f"{who.role} @ {scope}"


def require_counter(config: DeviceConfig, path: Path) -> str:
    """The counter id a counter terminal needs, or a ConfigError saying where to put it."""
    if not config.server.counter:
        raise ConfigError(f"{path}: server.counter: missing: a counter terminal needs its id")
    return config.server.counter
