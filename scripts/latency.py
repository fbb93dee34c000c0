"""How the benchmarks summarise latencies, so their figures compare across scripts."""

from __future__ import annotations

import statistics


def percentile(values: list[float], share: float) -> float:
    """The value ``share`` (0-1) of the way through ``values`` sorted, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def percentiles(samples: list[float]) -> str:
    """p50, p99 and max of ``samples`` (seconds), in milliseconds, on one line."""
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return (
        f"p50 {statistics.median(ms):6.2f} ms   p99 {p99:6.2f} ms   max {ms[-1]:6.2f} ms"
        f"   (n={len(ms)})"
    )
