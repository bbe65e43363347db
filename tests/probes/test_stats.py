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


def test_z_test_below_matches_its_definition():
    from scipy import stats

    from pharmakon.probes.stats import z_test_below

    null = [1.0, 2.0, 3.0, 4.0, 5.0]
    result = z_test_below(0.0, null)
    z = (3.0 - 0.0) / stats.tstd(null)
    assert result.statistic == pytest.approx(z)
    assert result.p_value == pytest.approx(stats.norm.sf(z))
    assert result.rejects(0.05) and not z_test_below(3.0, null).rejects(0.05)


def test_empirical_p_counts_the_null_at_or_below():
    from pharmakon.probes.stats import empirical_p_below

    assert empirical_p_below(0.5, [1, 2, 3]) == pytest.approx(1 / 4)
    assert empirical_p_below(2.0, [1, 2, 3]) == pytest.approx(3 / 4)


def test_paired_t_test_with_margin_agrees_with_scipy_and_is_one_sided():
    from scipy import stats

    from pharmakon.probes.stats import paired_t_test

    treated, control = [0.9, 0.8, 0.95, 0.7, 0.85], [0.1, 0.2, 0.05, 0.3, 0.1]
    result = paired_t_test(treated, control, margin=0.2)
    expected = stats.ttest_rel([t - 0.2 for t in treated], control, alternative="greater")
    assert result.statistic == pytest.approx(expected.statistic) and result.p_value == pytest.approx(expected.pvalue)
    assert result.rejects(0.05)
    assert not paired_t_test(control, treated, margin=0.2).rejects(0.05)  # the other direction is never evidence


def test_a_calibrated_z_test_rejects_at_alpha_on_normal_nulls():
    import numpy as np

    from pharmakon.probes.stats import binomial_acceptance, z_test_below

    rng = np.random.default_rng(0)
    null = rng.normal(size=1000)
    rejections = [z_test_below(float(x), null).rejects(0.05) for x in rng.normal(size=2000)]
    low, high = binomial_acceptance(2000, 0.05)
    assert low <= sum(rejections) / 2000 <= high


def test_many_comparisons_get_a_note_and_one_does_not():
    from pharmakon.probes.stats import multiple_comparisons_note

    assert multiple_comparisons_note(1) == ""
    note = multiple_comparisons_note(40)
    assert "40 intervals" in note and "2.0" in note and "0.0013" in note


def test_welch_trend_and_claim_words():
    from pharmakon.probes.stats import claim, trend_test, welch_t_test

    close = welch_t_test([0.19, 0.40, 0.0], [0.07, 0.15, 0.0])
    assert close.p_value > 0.05 and "not distinguishable at 3 seeds" in claim(close, 3)
    apart = welch_t_test([0.90, 0.91, 0.92], [0.10, 0.11, 0.12])
    assert apart.p_value < 0.001 and "not distinguishable" not in claim(apart, 3)
    assert welch_t_test([0.5], [0.1, 0.2]).p_value == 1.0
    constant = claim(welch_t_test([1.0, 1.0, 1.0], [0.0, 0.0, 0.0]), 3)  # no spread: no p = 0 printed
    assert "p = 0" not in constant and "no spread over the 3 seeds in either arm, every seed apart" in constant
    falling = trend_test([5, 20, 80, 160, 320], [0.9, 0.7, 0.5, 0.3, 0.1])
    assert falling.statistic == pytest.approx(-1.0) and falling.p_value < 0.05
    assert trend_test([5, 20, 80], [0.10, 0.13, 0.04]).p_value > 0.05
    assert trend_test([5, 20], [0.1, 0.2]).p_value == 1.0
