"""An office day through the real server, to measure its waiting-time estimates (issue #13).

    .venv/bin/python -m scripts.simulate_day [--seeds 1,2,3,4,5] [--speed 4] [--day 360]

A discrete-event simulation of one branch's day, driven over HTTP against ``turnero``'s real
server (FastAPI under uvicorn on a SQLite file, as ``turnero server`` runs it) in compressed
time: the server runs in a child process whose clock runs ``--speed`` office minutes per real
second (``Office.clock``, set before it serves), so every time it stores and every duration its
estimate learns are office time. The day: Poisson arrivals rising to a late-morning peak,
dipping at lunch and rising again; lognormal desk times per service; five counters with
different service lists, one opening late, two taking a break; walk-up time, no-shows,
priority tickets and transfers; everything drawn from ``--seed``.

Each ticket's printed estimate (``ewt_seconds``) and range (``ewt_range_seconds``) are kept
with its real wait (called_at - issued_at, as the server stored them), next to two estimates
computed from the same history: the server's OLD formula, ``(ahead + 1/2) x mean of the last 20
service times / open counters``, and the naive ``ahead x mean service time / open counters``.
Printed per service and overall: MAE, p90 absolute error, bias (estimate - real) in minutes,
and the share of real waits inside the printed range. The targets (docs/estimates.md): MAE at
least 30 % under the naive one on every seed, range coverage between 75 % and 90 %.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from itertools import pairwise
from pathlib import Path
from statistics import fmean
from zoneinfo import ZoneInfo

import httpx

from queue_api.stats import percentile
from turnero.local_server import free_port

BRANCH = "sim"
ZONE = ZoneInfo("America/Mexico_City")
OPENING = datetime(2026, 3, 10, 8, 0, tzinfo=ZONE)
KIOSK_TOKEN = "sim-kiosk"
ADMIN_TOKEN = "sim-admin"


@dataclass(frozen=True)
class ServiceSpec:
    id: str
    prefix: str
    minutes: float
    """Mean desk time (office minutes) of a visit, walk-up excluded."""
    sigma: float
    """Spread of the lognormal (sd of the logarithm)."""
    share: float
    """Share of the arrivals."""
    priority: float
    """Share of its tickets that are priority ones (0: no priority line)."""
    transfer_to: str


SERVICES = (
    ServiceSpec("licencias", "A", 8.0, 0.5, 0.40, 0.08, "pagos"),
    ServiceSpec("pagos", "B", 3.0, 0.45, 0.35, 0.08, "registro"),
    ServiceSpec("registro", "C", 12.0, 0.6, 0.25, 0.0, "licencias"),
)
COUNTERS = {
    "1": ("licencias", "pagos"),
    "2": ("licencias",),
    "3": ("pagos", "registro"),
    "4": ("registro", "licencias"),
    "5": ("pagos",),
}
LATE_OPENING = {"5": 150.0}
"""Counter -> office minute it opens (10:30); the others open at 8:00."""
BREAKS = {"2": (240.0, 30.0), "4": (300.0, 30.0)}
"""Counter -> (office minute its break is due, its length in minutes)."""
NO_SHOW_SHARE = 0.06
NO_SHOW_WAIT = 2.0
"""Minutes a clerk waits for a called citizen before marking a no-show."""
TRANSFER_SHARE = 0.05
WALK_UP_MINUTES = 0.6
PEAK_PER_HOUR = 52.0


def arrivals_per_hour(minute: float, day: float) -> float:
    """The arrival rate over the day (``day`` office minutes): rising from 8:00 to a peak at
    10:00-11:00, a dip at lunch, a second smaller peak, then fading out."""
    x = minute / day  # 0..1 over the day
    points = [(0.0, 18), (0.25, 40), (0.45, 38), (0.6, 24), (0.75, 34), (0.9, 22), (1.0, 12)]
    for (x0, y0), (x1, y1) in pairwise(points):
        if x0 <= x <= x1:
            return (y0 + (y1 - y0) * (x - x0) / (x1 - x0)) * PEAK_PER_HOUR / 40
    return 0.0


def office_toml(database: Path) -> str:
    """The simulated branch: the services (``typical_service_minutes`` as configured by someone
    who knows the office roughly: rounded), the counters, a kiosk and an admin."""
    lines = [
        "[server]",
        f'database = "sqlite:///{database}"',
        "kiosk_tickets_per_minute = 0",
        f'timezone = "{ZONE.key}"',
        "[[branches]]",
        f'id = "{BRANCH}"',
        'name = "Oficina simulada"',
    ]
    for spec in SERVICES:
        lines += [
            "[[branches.services]]",
            f'id = "{spec.id}"',
            f'prefix = "{spec.prefix}"',
            f'name = {{ es = "{spec.id}" }}',
            f"priority_allowed = {str(spec.priority > 0).lower()}",
            f"typical_service_minutes = {round(spec.minutes + WALK_UP_MINUTES)}",
        ]
    for counter, services in COUNTERS.items():
        lines += ["[[branches.counters]]", f'id = "{counter}"', f'label = "Ventanilla {counter}"']
        lines += [f"services = {json.dumps(list(services))}"]
    for name, role, token in (("kiosk", "kiosk", KIOSK_TOKEN), ("admin", "admin", ADMIN_TOKEN)):
        lines += ["[[devices]]", f'name = "{name}"', f'role = "{role}"']
        if role == "kiosk":
            lines += [f'branch = "{BRANCH}"']
        lines += [f'token = "{token}"']
    return "\n".join(lines) + "\n"


# The server, on an office clock ------------------------------------------------------------


def office_clock(epoch: float, speed: float) -> Callable[[], datetime]:
    """Office time: ``OPENING`` at real time ``epoch``, ``speed`` office minutes a real second."""

    def now() -> datetime:
        return OPENING + timedelta(minutes=(time.time() - epoch) * speed)

    return now


def serve(config: Path, port: int, epoch: float, speed: float) -> None:
    """The real server (``create_app`` under uvicorn, as ``turnero server`` runs it) with its
    office on the compressed clock; monotonic time runs as fast, so no clock step is seen."""
    import uvicorn

    from queue_api.config import load_office_config
    from queue_api.server import create_app

    app = create_app(load_office_config(config))
    office = app.state.office
    office.clock = office_clock(epoch, speed)
    office.monotonic = lambda: time.time() * speed * 60
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextmanager
def server(folder: Path, epoch: float, speed: float) -> Iterator[str]:
    """A server of the simulated office in a child process; its base URL."""
    config = folder / "office.toml"
    config.write_text(office_toml(folder / "sim.db"), encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-m", "scripts.simulate_day", "--serve", str(config)]
    command += ["--port", str(port), "--epoch", repr(epoch), "--speed", str(speed)]
    process = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the simulated office's server did not start")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(15)


# The day ------------------------------------------------------------------------------------


@dataclass
class Record:
    """One ticket: what was printed, what the other formulas said, and what happened."""

    service: str
    priority: bool
    issued_minute: float
    ahead: int
    printed: float
    low: float
    high: float
    old: float
    naive: float
    wait: float | None = None


@dataclass
class Desk:
    """A counter as the simulation drives it."""

    id: str
    services: tuple[str, ...]
    open: bool = False
    idle: bool = True
    holding: str | None = None
    service: str | None = None
    started: float | None = None
    break_taken: bool = False


@dataclass
class Day:
    """One simulated day against a running server: a clock of office minutes and a queue of
    things to do, each done over HTTP at its time."""

    url: str
    epoch: float
    speed: float
    seed: int
    length: float
    rng: random.Random = field(init=False)
    http: httpx.Client = field(init=False)
    events: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    order: int = 0
    desks: dict[str, Desk] = field(default_factory=dict)
    records: dict[str, Record] = field(default_factory=dict)
    served: dict[str, list[float]] = field(default_factory=dict)
    waiting: int = 0
    arrivals_over: bool = False

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.http = httpx.Client(base_url=self.url, timeout=30)
        self.desks = {c: Desk(c, services) for c, services in COUNTERS.items()}

    # Time and HTTP

    def minute(self) -> float:
        return (time.time() - self.epoch) * self.speed

    def at(self, minute: float, action: Callable[[], None]) -> None:
        self.order += 1
        heapq.heappush(self.events, (minute, self.order, action))

    def post(self, path: str, token: str = ADMIN_TOKEN, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        response = self.http.post(f"/api/v1/branches/{BRANCH}{path}", headers=headers, **kwargs)  # type: ignore[arg-type]
        if response.status_code >= 400:
            raise RuntimeError(f"{path}: {response.status_code} {response.text}")
        return response

    def run(self) -> list[Record]:
        """Play the day; the records of every ticket issued."""
        for counter in self.desks.values():
            self.at(LATE_OPENING.get(counter.id, 0.0), partial(self.open, counter))
        self.at(self.next_arrival(0.0), self.arrive)
        while self.events:
            minute, _, action = heapq.heappop(self.events)
            delay = minute / self.speed - (time.time() - self.epoch)
            if delay > 0:
                time.sleep(delay)
            action()
            if self.arrivals_over and not self.waiting and all(d.idle for d in self.desks.values()):
                break
        self.http.close()
        return list(self.records.values())

    # Citizens

    def next_arrival(self, after: float) -> float:
        """Thinning: the next arrival of the day's Poisson process after ``after``."""
        peak = PEAK_PER_HOUR / 60
        minute = after
        while True:
            minute += self.rng.expovariate(peak)
            if minute >= self.length:
                return math.inf
            if self.rng.random() * peak <= arrivals_per_hour(minute, self.length) / 60:
                return minute

    def arrive(self) -> None:
        spec = self.rng.choices(SERVICES, [s.share for s in SERVICES])[0]
        priority = self.rng.random() < spec.priority
        body = {"service": spec.id, "priority": priority, "language": "es"}
        key = {"Idempotency-Key": f"sim-{self.seed}-{self.order}"}
        ticket = self.post("/tickets", KIOSK_TOKEN, json=body, headers=key).json()
        ahead = ticket["ahead"]
        history = self.served.get(spec.id, [])[-20:]
        opened = sum(1 for d in self.desks.values() if d.open and spec.id in d.services)
        old_mean = fmean(history) if history else 5.0  # the old server's 300 s
        naive_mean = fmean(history) if history else spec.minutes + WALK_UP_MINUTES
        low, high = ticket["ewt_range_seconds"]
        self.records[ticket["id"]] = Record(
            service=spec.id,
            priority=priority,
            issued_minute=self.minute(),
            ahead=ahead,
            printed=ticket["ewt_seconds"] / 60,
            low=low / 60,
            high=high / 60,
            old=(ahead + 0.5) * old_mean / max(opened, 1),
            naive=ahead * naive_mean / max(opened, 1),
        )
        self.waiting += 1
        self.wake(spec.id)
        following = self.next_arrival(self.minute())
        if math.isfinite(following):
            self.at(following, self.arrive)
        else:
            self.arrivals_over = True

    def wake(self, service: str) -> None:
        for desk in self.desks.values():
            if desk.open and desk.idle and service in desk.services:
                desk.idle = False
                self.at(self.minute(), partial(self.free, desk))

    # Clerks

    def open(self, desk: Desk) -> None:
        self.post(f"/counters/{desk.id}/open")
        desk.open, desk.idle = True, False
        self.free(desk)

    def served_until_now(self, desk: Desk) -> None:
        """The ticket at ``desk`` is done now (``next`` or ``finish`` just ended it)."""
        if desk.service is not None and desk.started is not None:
            self.served.setdefault(desk.service, []).append(self.minute() - desk.started)
        desk.holding, desk.started = None, None

    def free(self, desk: Desk) -> None:
        """The clerk is ready for the next citizen (the current one, if any, is done)."""
        due = BREAKS.get(desk.id)
        if due is not None and not desk.break_taken and self.minute() >= due[0]:
            if desk.holding is not None:
                self.post(f"/counters/{desk.id}/finish")
                self.served_until_now(desk)
            self.post(f"/counters/{desk.id}/pause")
            desk.break_taken, desk.open, desk.idle = True, False, True
            self.at(self.minute() + due[1], lambda: self.open(desk))
            return
        response = self.post(f"/counters/{desk.id}/next")
        self.served_until_now(desk)
        if response.status_code == 204:
            desk.idle = True
            return
        ticket = response.json()
        self.waiting -= 1
        record = self.records[ticket["id"]]
        if record.wait is None:  # a transferred ticket keeps its first call
            called = datetime.fromisoformat(ticket["called_at"])
            issued = datetime.fromisoformat(ticket["issued_at"])
            record.wait = (called - issued).total_seconds() / 60
        desk.holding, desk.service = ticket["id"], ticket["service"]
        # Each visit draws from its own stream: what happens at the desk is the seed's, whatever
        # order the clerks' calls reach the server in.
        rng = random.Random(f"{self.seed}:{ticket['number']}:{ticket['service']}")
        walk = WALK_UP_MINUTES * rng.lognormvariate(0, 0.4)
        if rng.random() < NO_SHOW_SHARE:
            self.at(self.minute() + NO_SHOW_WAIT, lambda: self.no_show(desk))
            return
        spec = next(s for s in SERVICES if s.id == ticket["service"])
        visit = spec.minutes * math.exp(rng.gauss(-(spec.sigma**2) / 2, spec.sigma))
        self.at(self.minute() + walk, lambda: self.start(desk))
        if rng.random() < TRANSFER_SHARE and record.service == spec.id:
            target = spec.transfer_to
            self.at(self.minute() + walk + 0.4 * visit, lambda: self.transfer(desk, target))
        else:
            self.at(self.minute() + walk + visit, lambda: self.free(desk))

    def start(self, desk: Desk) -> None:
        self.post(f"/counters/{desk.id}/start")
        desk.started = self.minute()

    def no_show(self, desk: Desk) -> None:
        self.post(f"/counters/{desk.id}/no-show")
        desk.holding, desk.started = None, None
        self.free(desk)

    def transfer(self, desk: Desk, service: str) -> None:
        self.post(f"/counters/{desk.id}/transfer", json={"service": service})
        assert desk.holding is not None
        desk.holding, desk.started = None, None
        self.waiting += 1
        self.wake(service)
        self.free(desk)


def simulate(seed: int, speed: float, length: float) -> list[Record]:
    """One day with ``seed``, against a fresh server; the records of its tickets."""
    with tempfile.TemporaryDirectory() as folder:
        epoch = time.time() + 3.0  # the server starts before 8:00
        with server(Path(folder), epoch, speed) as url:
            time.sleep(max(epoch - time.time(), 0))
            return Day(url, epoch, speed, seed, length).run()


# Figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    n: int
    mae: float
    p90: float
    bias: float
    coverage: float | None


def figures(records: list[Record], estimate: Callable[[Record], float], ranged: bool) -> Figures:
    done = [r for r in records if r.wait is not None]
    errors = [estimate(r) - r.wait for r in done if r.wait is not None]
    inside = [r.low <= r.wait <= r.high for r in done if r.wait is not None]
    return Figures(
        n=len(errors),
        mae=fmean(abs(e) for e in errors) if errors else math.nan,
        p90=percentile([abs(e) for e in errors], 0.9) if errors else math.nan,
        bias=fmean(errors) if errors else math.nan,
        coverage=fmean(inside) if ranged and inside else None,
    )


FORMULAS: dict[str, Callable[[Record], float]] = {
    "new": lambda r: r.printed,
    "old": lambda r: r.old,
    "naive": lambda r: r.naive,
}


def table(records: list[Record]) -> tuple[list[str], dict[str, Figures]]:
    """Markdown rows per service and overall; the overall figures per formula."""
    rows = [
        "| service | tickets | mean wait | MAE new / old / naive | p90 abs err new / old / naive"
        " | bias new / old / naive | in range |",
        "|---|---|---|---|---|---|---|",
    ]
    overall: dict[str, Figures] = {}
    groups = [(s.id, [r for r in records if r.service == s.id]) for s in SERVICES]
    for name, group in [*groups, ("**all**", records)]:
        found = {f: figures(group, estimate, f == "new") for f, estimate in FORMULAS.items()}
        waits = [r.wait for r in group if r.wait is not None]
        coverage = found["new"].coverage
        rows.append(
            f"| {name} | {found['new'].n} | {fmean(waits) if waits else math.nan:.1f}"
            f" | {' / '.join(f'{found[f].mae:.1f}' for f in FORMULAS)}"
            f" | {' / '.join(f'{found[f].p90:.1f}' for f in FORMULAS)}"
            f" | {' / '.join(f'{found[f].bias:+.1f}' for f in FORMULAS)}"
            f" | {coverage * 100 if coverage is not None else math.nan:.0f} % |"
        )
        if name == "**all**":
            overall = found
    return rows, overall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1,2,3,4,5", help="comma-separated seeds")
    parser.add_argument("--speed", type=float, default=4.0, help="office minutes a real second")
    parser.add_argument("--day", type=float, default=360.0, help="office minutes of arrivals")
    parser.add_argument("--dump", type=Path, help="write every ticket's record here (JSON)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--epoch", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.port, args.epoch, args.speed)
        return
    # Stopped with SIGTERM, still stop the server (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(
        f"simulated day: arrivals over {args.day:.0f} office minutes, {args.speed:g} office "
        "minutes a real second; minutes; new = printed estimate, old = (ahead + 1/2) x mean of "
        "the last 20 service times / open counters, naive = ahead x mean service time / open "
        "counters"
    )
    ok = True
    summary = ["| seed | tickets | MAE new | MAE naive | new vs naive | MAE old | in range |"]
    summary.append("|---|---|---|---|---|---|---|")
    for seed in [int(s) for s in args.seeds.split(",") if s.strip()]:
        records = simulate(seed, args.speed, args.day)
        rows, overall = table(records)
        if args.dump is not None:
            dump = args.dump.with_suffix(f".{seed}.json")
            dump.write_text(json.dumps([vars(r) for r in records], indent=0), encoding="utf-8")
        print(f"\nseed {seed}\n" + "\n".join(rows))
        new, naive, old = overall["new"], overall["naive"], overall["old"]
        gain = 1 - new.mae / naive.mae if naive.mae else math.nan
        coverage = new.coverage or 0.0
        summary.append(
            f"| {seed} | {new.n} | {new.mae:.1f} | {naive.mae:.1f} | {-gain * 100:+.0f} %"
            f" | {old.mae:.1f} | {coverage * 100:.0f} % |"
        )
        ok = ok and gain >= 0.30 and 0.75 <= coverage <= 0.90
    print("\n" + "\n".join(summary))
    print("\nPASS" if ok else "\nFAIL", "MAE >= 30 % under naive on every seed, 75-90 % in range")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
