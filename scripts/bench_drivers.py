"""Benchmark the drivers on real ptys: ticket to last byte at the printer, LED frame to ack.

Run: .venv/bin/python -m scripts.bench_drivers [--runs 300]
Needs socat. Prints p50/p99/max in milliseconds.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.drivers.fixtures

from drivers.board import open_board
from drivers.printer import TicketView, open_printer
from scripts.latency import percentiles
from tests.drivers.fixtures import FakeBoard, FakeSerialPrinter, socat_pty_pair

CUT = b"\x1dV"


class TimedPrinter(FakeSerialPrinter):
    """The fake pty printer, noting when the cut (the ticket's last command) arrives."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.cut_at: list[float] = []
        self.cut_seen = threading.Event()

    def feed(self, buffer: bytes) -> bytes:
        before = self.brain.data.count(CUT)
        rest = super().feed(buffer)
        if self.brain.data.count(CUT) > before:
            self.cut_at.append(time.perf_counter())
            self.cut_seen.set()
        return rest


def bench_ticket(runs: int, status: bool) -> tuple[list[float], list[float]]:
    """(view -> last byte at the far end, whole print_ticket call incl. status after)."""
    to_last_byte, whole_call = [], []
    with socat_pty_pair() as pair, TimedPrinter(pair.far) as fake:
        url = f"serial://{pair.near}?baudrate=115200" + ("" if status else "&status=off")
        printer = open_printer(url, profile="TM-T20II", timeout=2)
        for n in range(runs):
            view = TicketView(
                office="Oficina de Atención Ciudadana",
                service="Trámites y Señales",
                number=f"A{n % 1000:03d}",
                issued_at="23/11/2026 09:41",
                ahead_line="Personas delante: 3",
                wait_line="Espera estimada: 12 min",
                footer="¿Dudas? ¡Pregunte! Conserve su ticket",
                url=f"https://turnero.example/t/A{n:03d}?b=centro",
            )
            fake.cut_seen.clear()
            started = time.perf_counter()
            printer.print_ticket(view)
            ended = time.perf_counter()
            if not fake.cut_seen.wait(5):
                raise RuntimeError("the printer never got the ticket's cut")
            to_last_byte.append(fake.cut_at[-1] - started)
            whole_call.append(ended - started)
        printer.close()
    return to_last_byte, whole_call


def bench_led(runs: int) -> list[float]:
    """show() on a Modbus board: frame written, echoed by the board, ack read and checked."""
    samples = []
    with socat_pty_pair() as pair, FakeBoard(pair.far):
        board = open_board(pair.near, timeout=0.5)
        for n in range(runs):
            started = time.perf_counter()
            board.show(str(n % 10000))
            samples.append(time.perf_counter() - started)
        board.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    runs = parser.parse_args().runs
    last, call = bench_ticket(runs, status=True)
    print(f"ticket view -> last byte at pty printer (status checked): {percentiles(last)}")
    print(f"print_ticket() whole call (status before and after):     {percentiles(call)}")
    last, _ = bench_ticket(runs, status=False)
    print(f"ticket view -> last byte at pty printer (status=off):     {percentiles(last)}")
    print(
        f"LED frame write -> ack read (modbus-rtu on a pty):        {percentiles(bench_led(runs))}"
    )


if __name__ == "__main__":
    main()
