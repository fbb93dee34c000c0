"""scripts/simulate_day.py on a tiny day: the real server on an office clock, every ticket
measured against the range it was printed with."""

from __future__ import annotations

from scripts.simulate_day import simulate, table


def test_a_tiny_simulated_day_measures_every_ticket() -> None:
    records = simulate(seed=3, speed=30, length=40)
    assert len(records) >= 5
    # The day runs until the queue is empty: every ticket was called, so has a real wait.
    assert all(record.wait is not None and record.wait >= 0 for record in records)
    # What the server printed: the expected wait inside its range.
    assert all(record.low <= record.printed <= record.high for record in records)
    rows, overall = table(records)
    assert overall["new"].n == len(records) and overall["new"].coverage is not None
    assert rows[-1].startswith("| **all** | ")
