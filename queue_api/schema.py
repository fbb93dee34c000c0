"""Wire models of the v1 queue API, shared by the server and the client (API.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, field_serializer

from queue_api.i18n import FALLBACK

API_PREFIX = "/api/v1"

LocalizedText = dict[str, str]
Channel = Literal["kiosk", "remote", "appointment"]
"""Text per language code, e.g. ``{"es": "Licencias", "en": "Driver licences"}``."""

FALLBACK_LANGUAGE = FALLBACK
"""The language every service is named in (the office file requires it)."""


def text_in(text: LocalizedText, language: str, fallback: str) -> str:
    """``text`` in ``language``, else in Spanish, else in any language it has, else
    ``fallback``: the one rule for showing a name someone may not have translated."""
    return (
        text.get(language)
        or text.get(FALLBACK_LANGUAGE)
        or next((value for value in text.values() if value), fallback)
    )


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
#: No control characters in a line a device or person sends: they garble logs and screens,
#: and PostgreSQL refuses NUL in text. ``TEXT`` also lets tabs and line breaks through.
LINE = r"^[^\x00-\x1f\x7f]*$"
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


class WireModel(BaseModel):
    """Base of every answer: fields a newer server adds are ignored (API.md: fields may be
    added), so a device in the field keeps working after a server upgrade."""

    model_config = ConfigDict(extra="ignore")


class RequestBody(WireModel):
    """Base of request bodies: unknown fields are refused, so typos in requests are caught."""

    model_config = ConfigDict(extra="forbid")


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class CounterState(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class Ticket(WireModel):
    """A citizen's turn (API.md "Bodies").

    Added field: ``status_url``, the ticket's public page (``/t/{id}``) under the server's
    ``public_url`` (else the address the request came to): what the paper's QR code encodes.
    Set on the answers of ``POST .../tickets``; null elsewhere.
    """

    id: str
    number: str
    branch: str
    service: str
    priority: bool
    status: TicketStatus
    language: str
    issued_at: datetime
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counter: str | None = None
    recalls: int = 0
    ahead: int | None = None
    ewt_seconds: int | None = None
    status_url: str | None = None
    channel: Channel = "kiosk"
    appointment_at: datetime | None = None
    #: ``[low, high]`` while waiting: a range that holds the real wait for most tickets.
    ewt_range_seconds: tuple[int, int] | None = None
    outcome: str | None = None
    #: Transferred to one counter: only that counter may call it.
    for_counter: str | None = None
    #: On ``next`` and ``call`` answers: one line saying why this ticket was chosen.
    why: str | None = None


class PublicTicket(WireModel):
    """What anyone holding the ticket's id may see: nothing personal."""

    number: str
    branch_name: str
    service: str
    service_name: LocalizedText
    status: TicketStatus
    language: str
    issued_at: datetime
    called_at: datetime | None = None
    counter_label: str | None = None
    ahead: int | None = None
    ewt_seconds: int | None = None
    ewt_range_seconds: tuple[int, int] | None = None
    channel: Channel = "kiosk"
    appointment_at: datetime | None = None

    def service_name_in(self, language: str) -> str:
        """The service's name in ``language`` (``text_in``'s fallbacks, then its id)."""
        return text_in(self.service_name, language, self.service)


class Outcome(WireModel):
    code: str
    name: LocalizedText


class Service(WireModel):
    id: str
    prefix: str
    name: LocalizedText
    priority_allowed: bool
    open: bool
    target_wait_minutes: int
    remote_join: bool = False
    #: Whether the service takes appointments (its slots are in the server's config).
    appointments: bool = False
    outcomes: list[Outcome] = []
    #: KPI thresholds; null when off.
    alert_wait_minutes: int | None = None
    alert_waiting: int | None = None

    def name_in(self, language: str) -> str:
        """The name in ``language`` (``text_in``'s fallbacks, then the service's id)."""
        return text_in(self.name, language, self.id)


class Counter(WireModel):
    id: str
    label: str
    services: list[str]
    state: CounterState
    current: Ticket | None = None
    led_address: int | None = None


class Branch(WireModel):
    id: str
    name: str
    services: list[Service]
    counters: list[Counter]

    def service(self, service_id: str) -> Service | None:
        """The branch's service with this id; None when the branch has none such."""
        return next((service for service in self.services if service.id == service_id), None)


class BranchSummary(WireModel):
    id: str
    name: str


class ServiceQueue(WireModel):
    service: str
    waiting: int
    ewt_seconds: int | None = None
    longest_wait_seconds: int | None = None
    #: ``[low, high]``: the range of a ticket issued now (``Ticket.ewt_range_seconds``).
    ewt_range_seconds: tuple[int, int] | None = None


class Queue(WireModel):
    branch: str
    services: list[ServiceQueue]


class Call(WireModel):
    """One call (or recall) of a ticket to a counter, as the lobby shows it."""

    event_id: int
    number: str
    service: str
    counter: str
    counter_label: str
    recall: bool
    at: datetime


class Board(WireModel):
    branch: str
    name: str
    counters: list[Counter]
    calls: list[Call]
    waiting: list[ServiceQueue]
    last_event_id: int


class IssueTicket(RequestBody):
    service: Slug
    priority: bool = False
    language: Language = "es"


class Transfer(RequestBody):
    service: Slug


class OpenCounter(RequestBody):
    """The optional body of ``open``: who works at the counter (for the stats)."""

    clerk: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=LINE)
    ]


class AlertIn(RequestBody):
    device: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=LINE)]
    kind: Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=LINE)]
    detail: Annotated[str, StringConstraints(max_length=500, pattern=TEXT)] = ""


class Alert(WireModel):
    """A device fault as the server took it. Kinds read ``<part>.<fault>`` (``printer.paper_out``)
    and ``<part>.ok`` says the part works again."""

    branch: str
    device: str
    kind: str
    detail: str
    role: str

    @property
    def part(self) -> str:
        """The device part the alert is about: ``printer`` for ``printer.paper_out``."""
        return self.kind.split(".", 1)[0]

    @property
    def all_clear(self) -> bool:
        """Whether the alert says its part works again (``printer.ok``)."""
        return self.kind == "ok" or self.kind.endswith(".ok")


class ReportedAlert(Alert):
    """An alert with the event that carried it: its id and when it came."""

    event_id: int
    at: datetime

    @classmethod
    def from_event(cls, event_id: int, data: dict[str, Any]) -> ReportedAlert:
        """The alert in a ``device.alert`` event's data; ValueError if it is unreadable."""
        raw = data.get("alert")
        if not isinstance(raw, dict):
            raise ValueError(f"event {event_id} carries no alert object")
        return cls.model_validate({**raw, "event_id": event_id, "at": data.get("at")})


class StandingAlerts(WireModel):
    """The faults that stand in a branch, oldest first, as of event ``last_event_id``."""

    branch: str
    alerts: list[ReportedAlert]
    last_event_id: int


class EventType(StrEnum):
    TICKET_ISSUED = "ticket.issued"
    TICKET_CALLED = "ticket.called"
    TICKET_RECALLED = "ticket.recalled"
    TICKET_STARTED = "ticket.started"
    TICKET_COMPLETED = "ticket.completed"
    TICKET_NO_SHOW = "ticket.no_show"
    TICKET_TRANSFERRED = "ticket.transferred"
    TICKET_CANCELLED = "ticket.cancelled"
    COUNTER_UPDATED = "counter.updated"
    DEVICE_ALERT = "device.alert"
    RESYNC = "resync"
    TICKET_RETURNED = "ticket.returned"
    KPI_ALERT = "kpi.alert"
    KPI_CLEARED = "kpi.cleared"
    APPOINTMENT_CHECKED_IN = "appointment.checked_in"
    #: Sent on a ticket's own public stream only.
    TICKET_UPDATED = "ticket.updated"


class EventData(WireModel):
    """What an event's ``data:`` carries (API.md "Events"): its time, the ticket and/or
    counter as the REST calls return them, the alert of a ``device.alert``, and the id a
    ``resync`` resumes from. Fields in the order they go on the wire."""

    ticket: Ticket | None = None
    counter: Counter | None = None
    alert: Alert | None = None
    at: datetime
    last_event_id: int | None = None

    @field_serializer("at", when_used="json")
    def _at_in_utc(self, at: datetime) -> str:
        # As events have always carried it: UTC to the microsecond with a "+00:00" offset
        # (pydantic would write "Z", and drop zero microseconds).
        return at.astimezone(UTC).isoformat(timespec="microseconds")

    def wire(self) -> dict[str, Any]:
        """The JSON object sent as the event's ``data:``; the parts it lacks are left out."""
        return self.model_dump(mode="json", exclude={name for name, value in self if value is None})


class Event(WireModel):
    """One entry of a branch's event log, its ``data`` read once into an ``EventData``."""

    id: int
    type: EventType
    data: EventData

    @property
    def ticket(self) -> Ticket | None:
        return self.data.ticket

    @property
    def counter(self) -> Counter | None:
        return self.data.counter

    @property
    def alert(self) -> ReportedAlert | None:
        """The alert a ``device.alert`` event carries, with the event's id and time."""
        if self.data.alert is None:
            return None
        return ReportedAlert(**self.data.alert.model_dump(), event_id=self.id, at=self.data.at)


class Health(WireModel):
    status: str
    version: str


class Problem(WireModel):
    """RFC 9457 problem details, the body of every error."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


class ServiceStats(WireModel):
    service: str
    issued: int
    waiting: int
    served: int
    no_shows: int
    mean_wait_seconds: float | None
    p90_wait_seconds: float | None
    mean_service_seconds: float | None
    within_target_share: float | None


class CounterStats(WireModel):
    counter: str
    served: int
    no_shows: int
    mean_service_seconds: float | None


class ClerkStats(WireModel):
    clerk: str
    served: int
    no_shows: int
    mean_service_seconds: float | None


class Stats(WireModel):
    branch: str
    day: str
    services: list[ServiceStats]
    counters: list[CounterStats]
    #: Tickets called by a counter opened with a clerk's name, per clerk.
    clerks: list[ClerkStats] = []


class TokenInfo(WireModel):
    """Who a token is: returned by ``GET /api/v1/whoami`` for diagnostics."""

    device: str
    role: str
    branch: str | None = None
    counter: str | None = None
    #: A supervisor's branches (``["*"]``: all).
    branches: list[str] | None = None
