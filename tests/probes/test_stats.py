import math

import pytest

from pharmakon.probes.metrics import mean_row, rate_row
from pharmakon.probes.stats import bootstrap_mean_interval, wilson_interval


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [  # reference values: Wilson score interval, z = 1.959964 (closed form, z = 1.959964)
        (0, 10, 0.0, 0.277533),
        (5, 10, 0.236593, 0.763407),
        (10, 10, 0.722467, 1.0),
        (81, 263, 0.255289, 0.366210),
    ],
)
def test_wilson_matches_known_values(k, n, low, high):
    got_low, got_high = wilson_interval(k, n)
    assert got_low == pytest.approx(low, abs=1e-5)
    assert got_high == pytest.approx(high, abs=1e-5)


def test_wilson_of_nothing_is_nan():
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_rate_row_counts_and_interval():
    row = rate_row("backdoor", "asr_trigger", [True, True, False, True])
    assert (row.value, row.n) == (0.75, 4)
    assert row.ci_low < 0.75 < row.ci_high


def test_bootstrap_interval_contains_mean_and_is_seeded():
    values = [float(v) for v in range(20)]
    low, high = bootstrap_mean_interval(values, seed=1)
    assert low < 9.5 < high
    assert (low, high) == bootstrap_mean_interval(values, seed=1)
    assert mean_row("p", "m", values).value == pytest.approx(9.5)
