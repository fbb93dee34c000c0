"""The supervisor's use cases (API.md v1 additions): KPIs, KPI alerts, staffing and devices.

Each reads (or, for a KPI crossing, writes) through the office's store in one transaction and
leaves the rules to ``queue_api.stats`` and ``queue_api.staffing``. Kept beside ``office``
rather than in it: the office's calls are the queue's; these are operations' reads.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import fmean

from queue_api import engine, estimate, staffing, stats
from queue_api.config import BranchConfig
from queue_api.office import Office
from queue_api.schema import (
    CounterKpi,
    CounterState,
    Devices,
    DeviceStatus,
    EventData,
    EventType,
    KpiAlert,
    KpiCharts,
    Kpis,
    ServiceKpi,
    ServiceQueue,
    Staffing,
    StaffingHour,
    TicketStatus,
)
from queue_api.slots import BookingStatus
from queue_api.stats import KpiState
from queue_api.store import DeviceSeen, ReadTx, StoredEvent, WriteTx

log = logging.getLogger("turnero.operations")

SLOT = timedelta(minutes=15)
SLOTS = 96
CHART_WEEKS = 4
"""The charts' "usual day" is the mean of the same weekday over this many weeks."""
STAFFING_WEEKS = 8
"""The staffing plan learns from the same weekday over this many weeks."""
SILENT_AFTER_MINUTES = 5
"""A kiosk, counter or display not heard from for this long is a fault (``silent``)."""
ALWAYS_ON_ROLES = ("kiosk", "counter", "display")
NO_BRANCH = "*"
"""The presence key of devices that belong to no one branch (supervisors, admins)."""


@dataclass(frozen=True, slots=True)
class Presence:
    """What the server knows of one device now: its last call and whether it streams."""

    seen: DeviceSeen | None
    streaming: bool


def _kpi_alert(state: KpiState) -> KpiAlert:
    return KpiAlert(
        service=state.service,
        kpi=state.kpi,
        value=state.value,
        threshold=state.threshold,
        since=state.since,
    )


class Operations:
    """The supervisor's calls over one office."""

    def __init__(self, office: Office) -> None:
        self.office = office

    # KPIs --------------------------------------------------------------------------------

    def kpis(self, branch_id: str, charts: bool = False) -> Kpis:
        """The branch now: per service and counter, the alerts that stand, today's advice;
        with ``charts``, today in 15-minute slots against the usual same weekday."""
        office = self.office
        branch = office.branch_config(branch_id)
        now = office._now()
        with office.store.read() as tx:
            today = office._day(tx, branch.id, now)
            queue = office._queue(tx, branch)
            tickets = tx.tickets_of_day(branch.id, today)
            counters = self._counters(tx, branch, tickets, now)
            alerts = [_kpi_alert(s) for s in tx.kpi_alerts(branch.id)]
            last = tx.last_event_id(branch.id)
            detail = self._charts(tx, branch, today, tickets, now) if charts else None
        return Kpis(
            branch=branch.id,
            name=branch.name,
            day=today,
            at=now,
            services=self._services(branch, queue, tickets),
            counters=counters,
            alerts=alerts,
            advice=self._advice(branch, queue),
            last_event_id=last,
            charts=detail,
        )

    @staticmethod
    def _services(
        branch: BranchConfig, queue: Sequence[ServiceQueue], tickets: Sequence[engine.TicketRecord]
    ) -> list[ServiceKpi]:
        by_service = {q.service: q for q in queue}
        result = []
        for service in branch.services:
            line = by_service[service.id]
            mine = [t for t in tickets if t.service == service.id]
            result.append(
                ServiceKpi(
                    service=service.id,
                    name=dict(service.name),
                    waiting=line.waiting,
                    longest_wait_seconds=line.longest_wait_seconds,
                    ewt_seconds=line.ewt_seconds if line.waiting else None,
                    ewt_range_seconds=line.ewt_range_seconds if line.waiting else None,
                    target_wait_minutes=service.target_wait_minutes,
                    level=stats.wait_level(line.longest_wait_seconds, service.target_wait_minutes),
                    within_target_share=stats.within_target_share(
                        mine, service.target_wait_minutes
                    ),
                    issued=len(mine),
                    served=sum(t.status is TicketStatus.DONE for t in mine),
                    no_shows=sum(t.status is TicketStatus.NO_SHOW for t in mine),
                )
            )
        return result

    def _counters(
        self,
        tx: ReadTx,
        branch: BranchConfig,
        tickets: Sequence[engine.TicketRecord],
        now: datetime,
    ) -> list[CounterKpi]:
        office = self.office
        records = tx.counters(branch.id)
        today = office._day(tx, branch.id, now)
        result = []
        for counter in branch.counters:
            record = records.get(counter.id, engine.CounterRecord(branch.id, counter.id))
            state = engine.counter_state(record, today)
            mine = [t for t in tickets if t.counter == counter.id]
            current = next((t for t in mine if t.status in engine.ACTIVE), None)
            ended = [t.finished_at for t in mine if t.finished_at is not None]
            idle = None
            if state is CounterState.OPEN and current is None and ended:
                idle = int(max((now - max(ended)).total_seconds(), 0))
            since = current.called_at if current else None
            result.append(
                CounterKpi(
                    counter=counter.id,
                    label=counter.label,
                    state=state,
                    clerk=record.clerk,
                    current=current.number if current else None,
                    current_status=current.status if current else None,
                    current_since=since,
                    current_seconds=int(max((now - since).total_seconds(), 0)) if since else None,
                    idle_seconds=idle,
                )
            )
        return result

    @staticmethod
    def _advice(branch: BranchConfig, queue: Sequence[ServiceQueue]) -> list[str]:
        lines = []
        for line in queue:
            service = branch.service(line.service)
            if service is None:
                continue
            said = staffing.advice(
                service.name["es"], line.waiting, line.ewt_seconds, service.target_wait_minutes
            )
            if said:
                lines.append(said)
        return lines

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.office.config.zone)

    def _charts(
        self,
        tx: ReadTx,
        branch: BranchConfig,
        today: date,
        tickets: Sequence[engine.TicketRecord],
        now: datetime,
    ) -> KpiCharts:
        past = [today - timedelta(weeks=k) for k in range(1, CHART_WEEKS + 1)]
        history = tx.tickets_of_days(branch.id, past)
        by_day: dict[date, list[engine.TicketRecord]] = defaultdict(list)
        for ticket in history:
            by_day[ticket.day].append(ticket)
        days = sorted(by_day, reverse=True)
        usual_arrivals = _mean_slots([_arrivals(by_day[d], self._midnight(d)) for d in days])
        usual_served = _mean_slots([_served(by_day[d], self._midnight(d)) for d in days])
        start = self._midnight(today)
        waits: dict[str, list[int]] = {}
        for service in branch.services:
            waits[service.id] = stats.wait_histogram(
                engine.wait_seconds(t, t.called_at)
                for t in tickets
                if t.service == service.id and t.called_at
            )
        return KpiCharts(
            slot_minutes=int(SLOT.total_seconds() // 60),
            start=start,
            arrivals=_arrivals(tickets, start),
            served=_served(tickets, start),
            usual_arrivals=usual_arrivals,
            usual_served=usual_served,
            counters_busy=_busy(tickets, start, now),
            history_days=days,
            wait_buckets=list(stats.WAIT_BUCKET_MINUTES),
            waits=waits,
        )

    # KPI alerts --------------------------------------------------------------------------

    def _changes(
        self, tx: ReadTx, branch: BranchConfig, now: datetime
    ) -> tuple[list[KpiState], list[KpiState]]:
        standing = tx.kpi_alerts(branch.id)
        if not standing and not any(
            s.alert_wait_minutes or s.alert_waiting for s in branch.services
        ):
            return [], []
        readings: list[stats.KpiReading] = []
        for line in self.office._queue(tx, branch):
            service = branch.service(line.service)
            if service is not None:
                readings += stats.kpi_readings(service, line.waiting, line.longest_wait_seconds)
        return stats.kpi_changes(branch.id, readings, standing, now)

    def check_kpis(self, branch_id: str) -> list[StoredEvent]:
        """Raise the KPI alerts that crossed their threshold and clear those back under it:
        one ``kpi.alert`` / ``kpi.cleared`` each. Read first, and written only on a change;
        the write decides again under the branch's lock, so two servers (or two checks)
        never send one crossing twice."""
        office = self.office
        branch = office.branch_config(branch_id)
        now = office._now()
        with office.store.read() as tx:
            raised, cleared = self._changes(tx, branch, now)
        if not raised and not cleared:
            return []
        events: list[StoredEvent] = []
        with office.store.write() as wtx:
            wtx.on_commit(lambda: office._publish(events))
            raised, cleared = self._changes(wtx, branch, now)
            for state in raised:
                wtx.save_kpi_alert(state)
                events.append(self._kpi_event(wtx, EventType.KPI_ALERT, state, now))
            for state in cleared:
                wtx.drop_kpi_alert(branch.id, state.service, state.kpi)
                events.append(self._kpi_event(wtx, EventType.KPI_CLEARED, state, now))
        for event in events:
            log.info("%s %s: %s", event.type.value, branch.id, event.data)
        return events

    @staticmethod
    def _kpi_event(tx: WriteTx, type: EventType, state: KpiState, now: datetime) -> StoredEvent:
        data = EventData(
            at=now,
            service=state.service,
            kpi=state.kpi,
            value=state.value,
            threshold=state.threshold,
        )
        return tx.append_event(state.branch, type, data.wire())

    # Staffing ----------------------------------------------------------------------------

    def staffing(self, branch_id: str, day: date) -> Staffing:
        """The desks ``day`` needs per hour and service, from the same weekday's history."""
        office = self.office
        branch = office.branch_config(branch_id)
        with office.store.read() as tx:
            today = office._day(tx, branch.id)
            queue = office._queue(tx, branch)
            # The same weekday before today: the plan of a later week learns from the past only.
            earlier = (day - timedelta(weeks=k) for k in range(1, STAFFING_WEEKS + 60))
            past = [d for d in earlier if d < today][:STAFFING_WEEKS]
            history = tx.tickets_of_days(branch.id, past)
            zone = office.config.zone
            begin = datetime.combine(day, time(), tzinfo=zone)
            end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
            bookings = tx.appointments_between(
                branch.id, begin.astimezone(UTC), end.astimezone(UTC)
            )
        days = sorted({t.day for t in history}, reverse=True)
        holding = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN)
        hours: list[StaffingHour] = []
        per_hour = [0] * 24
        for service in branch.services:
            mine = [t for t in history if t.service == service.id]
            counts = {d: [0] * 24 for d in days}
            for ticket in mine:
                # Past appointment tickets are not walk-ins: the day's own bookings stand for them.
                if ticket.channel != "appointment":
                    counts[ticket.day][ticket.issued_at.astimezone(zone).hour] += 1
            booked = staffing.booked_per_hour(
                (a.start for a in bookings if a.service == service.id and a.status in holding),
                zone,
            )
            means = staffing.expected_arrivals(staffing.hourly_means(list(counts.values())), booked)
            desk = [s for t in mine if (s := engine.service_seconds(t)) is not None]
            seconds = _desk_seconds(desk, service.typical_service_minutes)
            for hour, arrivals in enumerate(means):
                if arrivals <= 0:
                    continue
                planned = staffing.plan_hour(
                    hour,
                    service.id,
                    arrivals,
                    seconds,
                    service.target_wait_minutes * 60,
                    booked=booked[hour],
                )
                per_hour[hour] += planned.counters
                hours.append(StaffingHour.model_validate(planned, from_attributes=True))
        return Staffing(
            branch=branch.id,
            date=day,
            history_days=days,
            target_level=staffing.SERVICE_LEVEL,
            hours=sorted(hours, key=lambda h: (h.hour, h.service)),
            counters_per_hour=per_hour,
            advice=self._advice(branch, queue),
        )

    # Devices -----------------------------------------------------------------------------

    def devices(self, branch_id: str, presence: Mapping[str, Presence]) -> Devices:
        """Every configured device of the branch (and the supervisors that see it): when it
        last called, what it runs, and its standing faults (its own reports, and silence)."""
        office = self.office
        branch = office.branch_config(branch_id)
        now = office._now()
        standing = office.standing_alerts(branch.id).alerts
        faults: dict[str, list[str]] = defaultdict(list)
        for alert in standing:
            faults[alert.device].append(alert.kind)
        result = []
        for device in office.config.devices:
            mine = device.branch == branch.id or (
                device.role == "supervisor"
                and ("*" in (device.branches or []) or branch.id in (device.branches or []))
            )
            if not mine:
                continue
            here = presence.get(device.name, Presence(None, False))
            seen = here.seen
            found = list(faults.get(device.name, []))
            if device.role in ALWAYS_ON_ROLES and not here.streaming:
                if seen is None:
                    found.append("never_seen")
                elif now - seen.seen_at > timedelta(minutes=SILENT_AFTER_MINUTES):
                    found.append("silent")
            result.append(
                DeviceStatus(
                    name=device.name,
                    role=device.role,
                    counter=device.counter,
                    last_seen=seen.seen_at if seen else None,
                    app=seen.app if seen else None,
                    version=seen.version if seen else None,
                    streaming=here.streaming,
                    faults=found,
                )
            )
        return Devices(
            branch=branch.id,
            at=now,
            silent_after_minutes=SILENT_AFTER_MINUTES,
            devices=result,
        )

    def stored_presence(self, branch_id: str) -> list[DeviceSeen]:
        """Last calls as the store keeps them, of ``branch_id`` and of branchless devices."""
        with self.office.store.read() as tx:
            return tx.devices_seen(branch_id) + tx.devices_seen(NO_BRANCH)


def _desk_seconds(seconds: Sequence[float], typical_minutes: float | None) -> float:
    if seconds:
        return fmean(seconds)
    if typical_minutes:
        return typical_minutes * 60
    return estimate.DEFAULT_DESK_SECONDS


def _arrivals(tickets: Iterable[engine.TicketRecord], start: datetime) -> list[int]:
    return stats.slot_counts((t.issued_at for t in tickets), start, SLOT, SLOTS)


def _served(tickets: Iterable[engine.TicketRecord], start: datetime) -> list[int]:
    done = (t.finished_at for t in tickets if t.status is TicketStatus.DONE and t.finished_at)
    return stats.slot_counts(done, start, SLOT, SLOTS)


def _mean_slots(days: Sequence[Sequence[int]]) -> list[float]:
    if not days:
        return [0.0] * SLOTS
    return [round(sum(day[i] for day in days) / len(days), 2) for i in range(SLOTS)]


def _busy(tickets: Iterable[engine.TicketRecord], start: datetime, now: datetime) -> list[int]:
    """Per slot, the desks that held a ticket (called or being served) at some time in it."""
    desks: list[set[str]] = [set() for _ in range(SLOTS)]
    for ticket in tickets:
        if ticket.called_at is None or ticket.counter is None:
            continue
        end = ticket.finished_at or now
        first = max(int((ticket.called_at - start) / SLOT), 0)
        last = min(int((end - start) / SLOT), SLOTS - 1)
        for index in range(first, last + 1):
            desks[index].add(ticket.counter)
    return [len(d) for d in desks]
