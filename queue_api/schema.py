"""Wire models of the v1 queue API, shared by the server and the client (API.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_serializer,
    model_validator,
)

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
    #: Transferred to one counter: the label of the counter that will call it.
    for_counter_label: str | None = None
    #: Times it was called again at its counter (a phone alerts the citizen each time).
    recalls: int = 0

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
    """Where a ``transfer`` sends the current ticket: a service, a counter, or both (v1
    additions); with a counter alone, the ticket keeps its service if that counter serves it,
    else it takes the counter's first service."""

    service: Slug | None = None
    counter: Slug | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> Transfer:
        if self.service is None and self.counter is None:
            raise ValueError(
                'name where to send the ticket: {"service": id} and/or {"counter": id}'
            )
        return self


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
    #: The KPI alerts that stand too (``kpi.alert`` not yet cleared), oldest first.
    kpi_alerts: list[KpiAlert] = []


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
    #: A ``kpi.alert`` / ``kpi.cleared``: the service, the KPI (``wait_minutes``, ``waiting``),
    #: its value now and the threshold it crossed (API.md v1 additions).
    service: str | None = None
    kpi: str | None = None
    value: float | None = None
    threshold: float | None = None

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
    #: Finished tickets per outcome code (API.md v1 additions), those with one.
    outcomes: dict[str, int] = {}
    #: Tickets brought back after a no-show (``return``).
    returned: int = 0


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


class CallTicket(RequestBody):
    """The body of ``call``: the waiting ticket the clerk calls out of order."""

    ticket: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class FinishTicket(RequestBody):
    """The optional body of ``finish``: how the visit ended, one of the service's ``outcomes``."""

    outcome: Slug | None = None


class WaitingTicket(Ticket):
    """A waiting ticket as a counter's line shows it: with the queue time it ranks by and when
    it came back after a no-show (null if it did not)."""

    queue_at: datetime
    returned_at: datetime | None = None


class CounterLine(WireModel):
    """``GET .../counters/{c}/waiting``: the tickets this counter may call, in the order the
    branch policy calls them, each with its ``why``; and today's no-shows (for ``return``)."""

    branch: str
    counter: str
    tickets: list[WaitingTicket]
    #: Today's no-shows of the branch, the latest first: those a late citizen can come back to.
    no_shows: list[Ticket] = []


class ReportRow(WireModel):
    """One group of a report (``GET /api/v1/reports``): tickets of one branch with one value of
    the grouping. Seconds to a tenth; percentiles are nearest rank; null when nothing counts."""

    #: The branch; null in the report's total.
    branch: str | None
    #: The group's value (a service or counter id, a clerk, ``HH:00``, an ISO day, a channel,
    #: an outcome code); null for tickets without one (no clerk, no outcome) and in the total.
    key: str | None
    issued: int
    served: int
    no_shows: int
    cancelled: int
    mean_wait_seconds: float | None
    p50_wait_seconds: float | None
    p90_wait_seconds: float | None
    mean_service_seconds: float | None
    p90_service_seconds: float | None
    #: Of the tickets called, the share called within their service's target wait (0-1).
    within_target_share: float | None
    #: Citizens' scores (1-5) of the group's tickets: their mean and how many.
    feedback_mean: float | None
    feedback_count: int


class Report(WireModel):
    """KPIs over business days ``from_day`` to ``to_day`` (inclusive, ISO dates), grouped by
    branch and ``by``; ``hour`` is the hour of issue in the office's ``timezone``."""

    branches: list[str]
    from_day: str
    to_day: str
    by: str
    timezone: str
    rows: list[ReportRow]
    total: ReportRow


# The supervisor (API.md v1 additions: /kpis, /staffing, /devices) ---------------------------

Day = date
"""A calendar day; an alias, so that a field named ``date`` can still say its type."""


class KpiAlert(WireModel):
    """A KPI alert that stands: raised by ``kpi.alert``, not yet cleared by ``kpi.cleared``."""

    service: str
    #: ``wait_minutes`` (the longest wait) or ``waiting`` (how many wait).
    kpi: str
    value: float
    threshold: float
    since: datetime


class ServiceKpi(WireModel):
    service: str
    name: LocalizedText
    waiting: int
    longest_wait_seconds: int | None
    ewt_seconds: int | None
    #: The estimate's range for a ticket issued now, as tickets carry it; null with none waiting.
    ewt_range_seconds: tuple[int, int] | None = None
    target_wait_minutes: int
    #: The longest wait against the target: ``fine``, ``close`` (75% of it) or ``over``.
    level: Literal["fine", "close", "over"]
    #: Today's called tickets called within the target; null before the first call.
    within_target_share: float | None
    issued: int
    served: int
    no_shows: int


class CounterKpi(WireModel):
    counter: str
    label: str
    state: CounterState
    clerk: str | None
    #: The number of the ticket at the desk, its status and since when (its call).
    current: str | None = None
    current_status: TicketStatus | None = None
    current_since: datetime | None = None
    current_seconds: int | None = None
    #: Open with nobody at the desk: seconds since its last ticket ended (null if none today).
    idle_seconds: int | None = None


class KpiCharts(WireModel):
    """``?detail=charts``: today in ``slot_minutes`` slots from ``start`` (the business day's
    midnight), against the mean of the same weekday in the ``history_days``."""

    slot_minutes: int
    start: datetime
    arrivals: list[int]
    served: list[int]
    usual_arrivals: list[float]
    usual_served: list[float]
    #: Desks with a ticket called or being served during each slot.
    counters_busy: list[int]
    history_days: list[date]
    #: Upper bounds (minutes) of the wait buckets; one more bucket holds longer waits.
    wait_buckets: list[int]
    #: Per service: today's called tickets per wait bucket.
    waits: dict[str, list[int]]


class Kpis(WireModel):
    """``GET /branches/{b}/kpis``: the branch's operations now."""

    branch: str
    name: str
    day: date
    at: datetime
    services: list[ServiceKpi]
    counters: list[CounterKpi]
    alerts: list[KpiAlert]
    #: One line per service whose EWT passes its target ("open one more desk for ...").
    advice: list[str]
    last_event_id: int
    charts: KpiCharts | None = None


class StaffingHour(WireModel):
    hour: int
    service: str
    #: Expected arrivals in the hour and mean desk time, from the same weekday's history.
    arrivals: float
    service_seconds: float
    erlangs: float
    #: Desks this service needs (Erlang C) so that ``target_level`` are called within target.
    counters: int
    service_level: float
    #: Of ``arrivals``, the bookings (booked or checked in) starting that hour; the rest is the
    #: walk-in mean of history.
    booked: int = 0


class Staffing(WireModel):
    """``GET /branches/{b}/staffing?date=``: the desks each hour needs, by Erlang C."""

    branch: str
    date: Day
    #: The same weekdays the plan learnt from (those with tickets), newest first.
    history_days: list[Day]
    target_level: float
    hours: list[StaffingHour]
    #: Per hour of the day (0-23): the desks all services need, if none shared its desks.
    counters_per_hour: list[int]
    #: Today's advice ("open one more desk for Licencias: EWT 42 min, target 20").
    advice: list[str]


class DeviceStatus(WireModel):
    name: str
    role: str
    counter: str | None = None
    last_seen: datetime | None
    #: From the ``User-Agent`` it sent (``turnero-kiosk/0.1.0``); null if it sent none.
    app: str | None
    version: str | None
    #: An event stream of this device is open on this server now.
    streaming: bool
    #: Standing faults: its unresolved ``device.alert`` kinds, and ``silent`` when it has not
    #: called for ``silent_after_minutes`` (or ``never_seen``).
    faults: list[str]


class Devices(WireModel):
    branch: str
    at: datetime
    silent_after_minutes: int
    devices: list[DeviceStatus]


# Appointments (API.md v1 additions) ------------------------------------------------------

BookingState = Literal["booked", "checked_in", "cancelled", "no_show"]


class Appointment(WireModel):
    """A booking: ``POST .../appointments`` answers it (201), ``GET /api/v1/appointments/{id}``
    shows it. ``code`` is what the citizen types or scans at the kiosk; the day's list
    (``GET .../appointments?date=``) leaves it out, so codes cannot be listed. ``status`` is
    as of now: a booking not checked in by the end of its late window is a ``no_show``."""

    id: str
    code: str | None
    branch: str
    service: str
    start: datetime
    status: BookingState
    end: datetime | None = None
    language: str = FALLBACK_LANGUAGE
    branch_name: str | None = None
    service_name: LocalizedText = {}
    #: The ticket check-in made; null before.
    ticket_id: str | None = None
    #: Check-in opens and closes (the branch policy's early and late windows).
    check_in_from: datetime | None = None
    check_in_until: datetime | None = None
    #: Still ``booked`` after its start: the citizen is late (within the late window).
    late: bool = False


class BookAppointment(RequestBody):
    """Body of ``POST .../appointments``: a slot as ``/slots`` lists it (with its offset)."""

    service: Slug
    start: datetime
    language: Language = "es"


class Slot(WireModel):
    start: datetime
    end: datetime
    #: Places left in the slot.
    free: int


class Slots(WireModel):
    """``GET .../slots?service=&date=``: the slots of that day that can still be booked."""

    branch: str
    service: str
    date: str
    slot_minutes: int
    slots: list[Slot]


class CheckIn(RequestBody):
    """Body of ``POST .../check-in``: the booking code (any case; spaces and dashes ignored)."""

    code: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=LINE)]


class CheckedIn(Ticket):
    """The answer of ``check-in`` (201): the ticket, plus ``late``: true when the booked time's
    late window had passed, so the ticket is an ordinary walk-in one (``channel`` ``kiosk``),
    and ``notice`` saying so (es/en)."""

    late: bool = False
    notice: LocalizedText | None = None
    appointment_id: str | None = None


class RemoteTicketIn(RequestBody):
    """``POST /api/v1/branches/{b}/remote-tickets``: a ticket taken from a phone."""

    service: Slug
    language: Language = "es"


class RemoteTicket(PublicTicket):
    """The answer to a remote ticket: its public view, with the id to follow it by
    (``/api/v1/tickets/{id}/events``) and its page (``status_url``, ``/t/{id}``)."""

    id: str
    status_url: str


class FeedbackIn(RequestBody):
    """``POST /api/v1/tickets/{id}/feedback``: how it went, 1 (bad) to 5 (very good)."""

    score: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, StringConstraints(max_length=500, pattern=TEXT)] = ""


class Feedback(WireModel):
    """Feedback as received: the ticket's number, the score, the comment, when."""

    number: str
    score: int
    comment: str
    at: datetime


class TicketUpdate(WireModel):
    """The ``data:`` of a ``ticket.updated`` event on a ticket's public stream: its public
    view, the estimated wait as the page words it per language (null when not waiting), and
    when the view was read."""

    ticket: PublicTicket
    wait_text: LocalizedText | None = None
    at: datetime
