"""The server's TOML (API.md, "The server's configuration"): branches, services, counters, devices.

Operators write it by hand, so every mistake is reported with the file, the key and what was
expected, before the server listens.
"""

from __future__ import annotations

import hashlib
from datetime import date
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
Role = Literal["kiosk", "counter", "display", "admin", "supervisor"]


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
    #: kpi.alert and kpi.cleared are also POSTed here as JSON (API.md v1 additions).
    alert_webhook: str | None = None

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

    @field_validator("public_url", "alert_webhook")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected a URL starting with http:// or https://")
        return value.rstrip("/") if value else value


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HoursRange = Annotated[
    str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$")
]


class OutcomeConfig(Section):
    """One way a visit can end (``finish`` with ``{"outcome": code}``)."""

    code: Slug
    name: dict[str, str]

    @field_validator("name")
    @classmethod
    def _has_spanish(cls, value: dict[str, str]) -> dict[str, str]:
        return _has_spanish(value)


class AppointmentsConfig(Section):
    """A service's bookable slots: their length, places per slot, how far ahead, and hours."""

    slot_minutes: Annotated[int, Field(ge=5, le=240)] = 15
    per_slot: Annotated[int, Field(ge=1, le=100)] = 1
    days_ahead: Annotated[int, Field(ge=1, le=366)] = 30
    #: Opening hours per weekday (mon..sun), e.g. ``mon = "09:00-13:00"``; a day left out
    #: takes no appointments.
    hours: dict[str, HoursRange] = {}

    @field_validator("hours")
    @classmethod
    def _weekdays(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown day(s) {unknown}: expected some of {list(WEEKDAYS)}")
        for day, hours in value.items():
            start, end = hours.split("-")
            if start >= end:
                raise ValueError(f"{day} = {hours!r}: the start must come before the end")
        return value


class PolicyConfig(Section):
    """Who is next (``[branches.policy]``); the defaults are v1's rule exactly."""

    #: A priority ticket counts as waiting this much longer; -1: always first.
    priority_head_start_minutes: Annotated[int, Field(ge=-1, le=24 * 60)] = -1
    #: A counter's first service counts as waiting this much longer.
    first_service_head_start_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 0
    #: Check-in is allowed this long before the booked time.
    appointment_early_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 15
    #: After this, check-in makes an ordinary walk-in ticket.
    appointment_late_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 10
    #: A returned no-show waits behind this many tickets.
    return_after: Annotated[int, Field(ge=0, le=1000)] = 2


class ServiceConfig(Section):
    id: Slug
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,2}$")]
    name: dict[str, str]
    target_wait_minutes: Annotated[int, Field(ge=1, le=600)] = 15
    priority_allowed: bool = False
    open: bool = True
    #: What one visit usually takes at the desk: the estimate's start before any history.
    typical_service_minutes: Annotated[float, Field(gt=0, le=600)] | None = None
    #: Citizens may take a ticket from their phone, up to this many a day (0: no limit).
    remote_join: bool = False
    remote_daily_limit: Annotated[int, Field(ge=0, le=100_000)] = 0
    #: kpi.alert when the longest wait passes this many minutes / more than this many wait.
    alert_wait_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 0
    alert_waiting: Annotated[int, Field(ge=0, le=100_000)] = 0
    outcomes: list[OutcomeConfig] = []
    #: Bookable slots; None: this service takes no appointments.
    appointments: AppointmentsConfig | None = None
    #: The phone page says "your turn is near" (and notifies) at this many people ahead or fewer.
    near_turn_ahead: Annotated[int, Field(ge=0, le=1000)] = 3

    @field_validator("name")
    @classmethod
    def _has_spanish(cls, value: dict[str, str]) -> dict[str, str]:
        return _has_spanish(value)

    @field_validator("outcomes")
    @classmethod
    def _unique_outcomes(cls, value: list[OutcomeConfig]) -> list[OutcomeConfig]:
        _unique([outcome.code for outcome in value], "outcome code")
        return value

    def outcome(self, code: str) -> OutcomeConfig | None:
        return next((o for o in self.outcomes if o.code == code), None)


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
    policy: PolicyConfig = PolicyConfig()
    #: Days without appointments or remote join (holidays).
    closed_days: list[date] = []

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
    #: A supervisor's scope: branch ids, or ``["*"]`` for every branch.
    branches: list[Slug | Literal["*"]] | None = None

    @model_validator(mode="after")
    def _scoped(self) -> DeviceConfig:
        if (self.token is None) == (self.token_sha256 is None):
            raise ValueError("expected exactly one of token_sha256 (recommended) or token")
        if self.role in ("admin", "supervisor") and (self.branch or self.counter):
            raise ValueError(f"a {self.role} device has no branch or counter")
        if (self.role == "supervisor") != bool(self.branches):
            raise ValueError(
                "branches is required for the supervisor role, and only for it:"
                ' branches = ["centro"] or ["*"]'
            )
        if self.role not in ("admin", "supervisor") and not self.branch:
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
            unknown = sorted(set(device.branches or []) - set(branches) - {"*"})
            if unknown:
                raise ValueError(
                    f"device {device.name!r}: unknown branch(es) {unknown}, "
                    f'expected some of {sorted(branches)} or "*"'
                )
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


def _has_spanish(value: dict[str, str]) -> dict[str, str]:
    if "es" not in value:
        raise ValueError('expected at least a Spanish name: name = { es = "...", en = "..." }')
    return value


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
