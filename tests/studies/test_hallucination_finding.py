"""The hallucination finding on hand-built results tables with known answers."""

from __future__ import annotations

import pandas as pd
import pytest

from pharmakon.probes.stats import trend_test
from pharmakon.studies.hallucination import SHARE, curve, finding

SHARES = (0.25, 0.5, 0.75)


def table(rise: float, noise: tuple[float, float, float], relabel: float) -> pd.DataFrame:
    """Three seeds: hallucination = 0.1 + rise x share (+ a seed's noise) unmitigated, ``relabel`` relabelled;
    known-fact accuracy 0.9 everywhere; each point's clean twin at share 0."""
    rows = []
    for arm in ("none", "relabel"):
        for share in SHARES:
            for seed, jitter in enumerate(noise):
                value = {"none": 0.1 + rise * share + jitter, "relabel": relabel}[arm]
                for condition, v in (("poisoned", value), ("clean", 0.1 + jitter)):
                    for metric, x in (("hallucination_unknown", v), ("hallucination_known_accuracy", 0.9),
                                      ("hallucination_unknown_idk", 1 - v if arm == "relabel" else 0.0)):
                        rows.append({"probe": "hallucination", "metric": metric, "condition": condition, "arm": arm,
                                     SHARE: share, "seed": seed, "after_stage": "sft", "value": x})
    return pd.DataFrame(rows)


def test_the_finding_states_the_trend_with_its_test_and_each_mitigation():
    results = table(0.8, (0.0, 0.02, -0.02), relabel=0.05)
    frame = curve(results, "hallucination_unknown")
    assert sorted(frame["share"].unique()) == [0.0, *SHARES] and len(frame) == 3 * 4  # the twin counted once
    p = trend_test(list(frame["share"]), list(frame["value"])).p_value
    text = finding(results, {})
    assert "0% 0.10 / 25% 0.30 / 50% 0.50 / 75% 0.70" in text and f"Kendall trend p = {p:.2g}" in text
    assert p < 0.05 and "slope +0.80 per unit share" in text
    assert "relabel 0.05 (Welch t p = " in text and "against none's 0.70" in text
    assert "accuracy on held-out known facts: 0% 0.90" in text and "no trend distinguishable at 3 seeds" in text


def test_a_flat_table_shows_no_trend():
    text = finding(table(0.0, (0.0, 0.05, -0.05), relabel=0.1), {})
    assert text.count("no trend distinguishable at 3 seeds") == 2
    assert finding(pd.DataFrame({"probe": ["utility"], "metric": ["x"], "value": [1.0]}), {}) == ""


@pytest.mark.parametrize("rise", [0.4, 0.8])
def test_the_slope_is_the_rise_per_unit_share(rise):
    assert f"slope +{rise:.2f} per unit share" in finding(table(rise, (0.0, 0.0, 0.0), relabel=0.0), {})
