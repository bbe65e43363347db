"""Metric rows: what every probe emits, one row per measured number."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pharmakon.probes.stats import bootstrap_mean_interval, wilson_interval


@dataclass(frozen=True)
class MetricRow:
    probe: str
    metric: str
    value: float
    n: int
    ci_low: float
    ci_high: float

    def as_dict(self) -> dict:
        return asdict(self)


def rate_row(probe: str, metric: str, hits: list[bool]) -> MetricRow:
    """A share of successes with its Wilson 95% interval."""
    k, n = sum(hits), len(hits)
    low, high = wilson_interval(k, n)
    return MetricRow(probe, metric, k / n if n else float("nan"), n, low, high)


def mean_row(probe: str, metric: str, values: list[float], seed: int = 0) -> MetricRow:
    """A mean with its bootstrap 95% interval."""
    n = len(values)
    low, high = bootstrap_mean_interval(values, seed=seed)
    return MetricRow(probe, metric, sum(values) / n if n else float("nan"), n, low, high)


def point_row(probe: str, metric: str, value: float, n: int) -> MetricRow:
    """A single number with no interval (e.g. a corpus-level perplexity)."""
    return MetricRow(probe, metric, value, n, float("nan"), float("nan"))
