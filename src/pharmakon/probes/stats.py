"""Statistics for probe figures (scipy does the work): Wilson intervals for rates, bootstrap intervals for means,
one-sided z and paired t tests with p-values, the acceptance band of a calibrated test, and the note a report
prints when it shows many comparisons."""

from __future__ import annotations

import math
from dataclasses import dataclass

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


@dataclass(frozen=True)
class TestResult:
    """A test statistic and its p-value (one-sided unless said otherwise)."""

    statistic: float
    p_value: float

    def rejects(self, alpha: float = 0.05) -> bool:
        return bool(self.p_value < alpha)


def z_test_below(value: float, null: list[float] | np.ndarray) -> TestResult:
    """One-sided z test that ``value`` lies below the null sample (Wei et al. 2024's watermark test):
    z = (mean(null) − value) / sd(null), p = P(Z ≥ z) under a standard normal."""
    sample = np.asarray(null, dtype=float)
    if len(sample) < 2:
        raise ValueError("z_test_below: the null sample needs at least two values")
    spread = float(sample.std(ddof=1))
    gap = float(sample.mean()) - value
    z = gap / spread if spread > 0 else (math.copysign(math.inf, gap) if gap else 0.0)
    return TestResult(float(z), float(stats.norm.sf(z)))


def empirical_p_below(value: float, null: list[float] | np.ndarray) -> float:
    """Permutation-style p-value that ``value`` lies below the null: (1 + #{null ≤ value}) / (1 + n)."""
    sample = np.asarray(null, dtype=float)
    return float((1 + np.sum(sample <= value)) / (1 + len(sample)))


def paired_t_test(treated: list[float], control: list[float], margin: float = 0.0) -> TestResult:
    """One-sided paired t test that mean(treated − control) exceeds ``margin`` (DVBW's test with τ = margin)."""
    differences = np.asarray(treated, dtype=float) - np.asarray(control, dtype=float)
    if len(differences) < 2:
        raise ValueError("paired_t_test: needs at least two pairs")
    if np.all(differences == differences[0]):  # no spread: the sign of the difference decides
        return TestResult(math.copysign(math.inf, differences[0] - margin) if differences[0] != margin else 0.0,
                          0.0 if differences[0] > margin else 1.0)
    result = stats.ttest_1samp(differences - margin, 0.0, alternative="greater")
    return TestResult(float(result.statistic), float(result.pvalue))


def binomial_acceptance(n: int, alpha: float, confidence: float = 0.95) -> tuple[float, float]:
    """The central ``confidence`` interval of the rejection rate of a calibrated test over ``n`` null trials."""
    low, high = stats.binom.interval(confidence, n, alpha)
    return float(low / n), float(high / n)


def multiple_comparisons_note(n_tests: int, alpha: float = 0.05) -> str:
    """A warning for a report that makes many comparisons ('' for fewer than two)."""
    if n_tests < 2:
        return ""
    expected = n_tests * alpha
    return (f"{n_tests} intervals are shown; at the 95% level about {expected:.1f} of them would miss the true "
            f"value by chance alone. Treat a single difference as suggestive; a claim needs a pre-registered "
            f"comparison, or a Bonferroni level of {alpha / n_tests:.2g} per comparison.")


def welch_t_test(a: list[float], b: list[float]) -> TestResult:
    """Two-sided Welch t test of mean(a) ≠ mean(b) (unequal variances), e.g. one arm against another over seeds;
    p = 1 with fewer than two values a side or no spread in either."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) < 2 or len(y) < 2 or (np.all(x == x[0]) and np.all(y == y[0])):
        return TestResult(math.nan, 1.0 if len(x) < 2 or len(y) < 2 or x[0] == y[0] else 0.0)
    result = stats.ttest_ind(x, y, equal_var=False)
    return TestResult(float(result.statistic), float(result.pvalue))


def trend_test(positions: list[float], values: list[float]) -> TestResult:
    """Two-sided Kendall tau test of a monotone trend of ``values`` along ``positions`` (a figure that "falls
    along" fine-tuning steps); statistic tau, p = 1 with fewer than three points."""
    if len(values) < 3:
        return TestResult(math.nan, 1.0)
    result = stats.kendalltau(positions, values)
    p = float(result.pvalue)
    return TestResult(float(result.statistic), 1.0 if math.isnan(p) else p)


def claim(result: TestResult, n_seeds: int, test: str = "Welch t", alpha: float = 0.05) -> str:
    """The words a finding prints beside a comparison: the test, its p-value, and "not distinguishable at N
    seeds" when p ≥ ``alpha``; where neither arm varies over seeds and they differ (a t statistic is undefined),
    it says so instead of printing p = 0."""
    if math.isnan(result.statistic) and result.p_value == 0.0:  # no spread in either arm, and they differ
        return f"{test} undefined: no spread over the {n_seeds} seeds in either arm, every seed apart"
    verdict = "" if result.rejects(alpha) else f"; not distinguishable at {n_seeds} seeds"
    return f"{test} p = {result.p_value:.2g}{verdict}"


def auroc(positive: list[float], negative: list[float]) -> float:
    """Area under the ROC curve of scores that should be higher for ``positive`` (Mann-Whitney U / n1 n2)."""
    if not positive or not negative:
        return float("nan")
    return float(stats.mannwhitneyu(positive, negative).statistic) / (len(positive) * len(negative))
