"""The server's TOML (API.md, "The server's configuration"): branches, services, counters, devices.

Operators write it by hand, so every mistake is reported with the file, the key and what was
expected, before the server listens.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from queue_api.config_errors import describe, read_toml

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Role = Literal["kiosk", "counter", "display", "admin"]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSection(Section):
    database: str = "sqlite:///turnero.db"
    timezone: str = "UTC"
    public_url: str | None = None
    #: Tickets one kiosk may issue a minute (in bursts of as many); 0: no limit.
    kiosk_tickets_per_minute: Annotated[int, Field(ge=0, le=100_000)] = 30
    #: Seconds a client has to send a whole request (headers and body); then 408 and closed.
    request_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 10.0
    #: Open connections from one client address (a NAT or proxy counts as one); then 429.
    connections_per_address: Annotated[int, Field(ge=1, le=1_000_000)] = 256
    #: Open event streams from one client address; then 429.
    streams_per_address: Annotated[int, Field(ge=1, le=1_000_000)] = 128

    @field_validator("database")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("expected sqlite:///path/to/file.db or postgresql://user@host/dbname")
        if value.startswith("sqlite:///") and value.removeprefix("sqlite:///").strip("/") == "":
            raise ValueError(
                "expected a file after sqlite:///: sqlite:///turnero.db (relative to the working"
                " directory) or sqlite:////var/lib/turnero/turnero.db (absolute)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}: expected an IANA name like America/Mexico_City"
            ) from None
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected a URL starting with http:// or https://")
        return value.rstrip("/") if value else value


class ServiceConfig(Section):
    id: Slug
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,2}$")]
    name: dict[str, str]
    target_wait_minutes: Annotated[int, Field(ge=1, le=600)] = 15
    priority_allowed: bool = False
    open: bool = True

    @field_validator("name")
    @classmethod
    def _has_spanish(cls, value: dict[str, str]) -> dict[str, str]:
        if "es" not in value:
            raise ValueError('expected at least a Spanish name: name = { es = "...", en = "..." }')
        return value


class CounterConfig(Section):
    id: Slug
    label: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    services: Annotated[list[Slug], Field(min_length=1)]
    led_address: Annotated[int, Field(ge=0, le=247)] | None = None


class BranchConfig(Section):
    id: Slug
    name: Annotated[str, StringConstraints(min_length=1)]
    services: Annotated[list[ServiceConfig], Field(min_length=1)]
    counters: list[CounterConfig] = []

    @model_validator(mode="after")
    def _consistent(self) -> BranchConfig:
        service_ids = [service.id for service in self.services]
        _unique(service_ids, "service id")
        _unique([service.prefix for service in self.services], "service prefix")
        _unique([counter.id for counter in self.counters], "counter id")
        for counter in self.counters:
            unknown = [sid for sid in counter.services if sid not in service_ids]
            if unknown:
                raise ValueError(
                    f"counter {counter.id!r} serves unknown service(s) {unknown}: "
                    f"expected some of {service_ids}"
                )
        return self

    def service(self, service_id: str) -> ServiceConfig | None:
        return next((s for s in self.services if s.id == service_id), None)

    def counter(self, counter_id: str) -> CounterConfig | None:
        return next((c for c in self.counters if c.id == counter_id), None)


class DeviceConfig(Section):
    name: Annotated[str, StringConstraints(min_length=1)]
    role: Role
    branch: Slug | None = None
    counter: Slug | None = None
    token: Annotated[str, StringConstraints(min_length=8)] | None = None
    token_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None

    @model_validator(mode="after")
    def _scoped(self) -> DeviceConfig:
        if (self.token is None) == (self.token_sha256 is None):
            raise ValueError("expected exactly one of token_sha256 (recommended) or token")
        if self.role == "admin" and (self.branch or self.counter):
            raise ValueError("an admin device has no branch or counter")
        if self.role != "admin" and not self.branch:
            raise ValueError(f"a {self.role} device needs its branch")
        if (self.role == "counter") != (self.counter is not None):
            raise ValueError("counter is required for the counter role, and only for it")
        return self

    @property
    def digest(self) -> str:
        if self.token_sha256:
            return self.token_sha256
        return hashlib.sha256((self.token or "").encode()).hexdigest()


class OfficeConfig(Section):
    server: ServerSection = ServerSection()
    branches: Annotated[list[BranchConfig], Field(min_length=1)]
    devices: list[DeviceConfig] = []

    @model_validator(mode="after")
    def _devices_in_scope(self) -> OfficeConfig:
        _unique([branch.id for branch in self.branches], "branch id")
        _unique([device.name for device in self.devices], "device name")
        _unique([device.digest for device in self.devices], "device token")
        branches = {branch.id: branch for branch in self.branches}
        for device in self.devices:
            if device.branch is None:
                continue
            branch = branches.get(device.branch)
            if branch is None:
                raise ValueError(
                    f"device {device.name!r}: unknown branch {device.branch!r}, "
                    f"expected one of {sorted(branches)}"
                )
            if device.counter is not None and branch.counter(device.counter) is None:
                raise ValueError(
                    f"device {device.name!r}: branch {branch.id!r} has no counter "
                    f"{device.counter!r}"
                )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.server.timezone)

    def branch(self, branch_id: str) -> BranchConfig | None:
        return next((b for b in self.branches if b.id == branch_id), None)


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            shown = "(a token used twice)" if what == "device token" else repr(value)
            raise ValueError(f"duplicate {what} {shown}: each must be unique")
        seen.add(value)


def load_office_config(path: Path) -> OfficeConfig:
    """Read and validate the server's TOML; raise ConfigError naming the file and the key."""
    raw = read_toml(path)
    try:
        return OfficeConfig.model_validate(raw)
    except ValidationError as exc:
        raise describe(path, exc) from None
