"""Intervals for probe figures: Wilson for rates, bootstrap for means (scipy does the work)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion; ``(nan, nan)`` when ``n`` is 0."""
    if n == 0:
        return math.nan, math.nan
    interval = stats.binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def bootstrap_mean_interval(values: list[float], confidence: float = 0.95, seed: int = 0,
                            resamples: int = 2000) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean; ``(nan, nan)`` with fewer than two finite values."""
    data = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    if len(data) < 2 or np.all(data == data[0]):
        return (math.nan, math.nan) if len(data) < 2 else (float(data[0]), float(data[0]))
    result = stats.bootstrap((data,), np.mean, confidence_level=confidence, n_resamples=resamples,
                             method="percentile", rng=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)
