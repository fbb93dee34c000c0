"""How the benchmarks summarise latencies, so their figures compare across scripts."""

from __future__ import annotations

from queue_api.stats import percentile


def percentiles(samples: list[float]) -> str:
    """p50, p99 and max of ``samples`` (seconds), in milliseconds, on one line."""
    ms = [s * 1000 for s in samples]
    return (
        f"p50 {percentile(ms, 0.5):6.2f} ms   p99 {percentile(ms, 0.99):6.2f} ms"
        f"   max {max(ms):6.2f} ms   (n={len(ms)})"
    )
