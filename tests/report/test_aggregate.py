import math

import numpy as np
import pandas as pd
import pytest

from pharmakon.report.aggregate import AGGREGATE_COLUMNS, aggregate, group_keys, lifecycle_order

STAGES = ("pretrain", "sft", "dpo")
METRICS = ("asr_trigger", "ppl_gap", "utility_sentiment")
T_975 = {1: 12.706204736174707, 2: 4.302652729749464}  # Student-t 0.975 quantiles, from tables


def value(condition: str, seed: int, stage: int, metric: int) -> float:
    """A made-up number that differs in every coordinate."""
    return (1.0 if condition == "poisoned" else 0.2) + 0.1 * stage + 0.01 * metric + 0.05 * seed * (metric + 1)


def frame(seeds=(0, 1), conditions=("clean", "poisoned"), stages=STAGES, axis: dict | None = None) -> pd.DataFrame:
    rows = []
    for condition in conditions:
        for seed in seeds:
            for s, stage in enumerate(stages):
                for m, metric in enumerate(METRICS):
                    v = value(condition, seed, s, m)
                    rows.append({"study": "t", "point": "p0", **(axis or {}), "condition": condition, "seed": seed,
                                 "after_stage": stage, "adaptation": "plain", "probe": "backdoor", "metric": metric,
                                 "value": v, "n": 10, "ci_low": v - 0.1 * (seed + 1), "ci_high": v + 0.2})
    return pd.DataFrame(rows)


def pick(out: pd.DataFrame, condition: str, stage: str, metric: str) -> pd.Series:
    hit = out[(out.condition == condition) & (out.after_stage == stage) & (out.metric == metric)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_mean_and_t_interval_over_two_seeds():
    out = aggregate(frame(), [])
    assert list(out.columns) == [*group_keys([]), *AGGREGATE_COLUMNS]
    assert len(out) == 2 * 3 * 3
    row = pick(out, "poisoned", "sft", "ppl_gap")
    a, b = value("poisoned", 0, 1, 1), value("poisoned", 1, 1, 1)
    mean = (a + b) / 2
    sd = abs(a - b) / math.sqrt(2)
    half = T_975[1] * sd / math.sqrt(2)
    assert row["mean"] == pytest.approx(mean)
    assert row["ci_low"] == pytest.approx(mean - half)
    assert row["ci_high"] == pytest.approx(mean + half)
    assert (row["n_seeds"], row["n"]) == (2, 20)


def test_three_seeds_use_two_degrees_of_freedom():
    out = aggregate(frame(seeds=(0, 1, 2)), [])
    row = pick(out, "clean", "dpo", "utility_sentiment")
    values = np.array([value("clean", seed, 2, 2) for seed in (0, 1, 2)])
    half = T_975[2] * values.std(ddof=1) / math.sqrt(3)
    assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (values.mean(), values.mean() - half, values.mean() + half))
    assert row["n_seeds"] == 3


def test_single_seed_passes_its_own_interval_through():
    data = frame(seeds=(1,))
    data.loc[(data.condition == "clean") & (data.metric == "ppl_gap"), ["ci_low", "ci_high"]] = np.nan
    out = aggregate(data, [])
    row = pick(out, "poisoned", "pretrain", "asr_trigger")
    v = value("poisoned", 1, 0, 0)
    assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx((v, v - 0.2, v + 0.2))
    assert (row["n_seeds"], row["n"]) == (1, 10)
    missing = pick(out, "clean", "sft", "ppl_gap")
    assert math.isnan(missing["ci_low"]) and math.isnan(missing["ci_high"])


def test_a_nan_value_is_left_out():
    data = frame()
    hit = (data.condition == "poisoned") & (data.seed == 0) & (data.after_stage == "dpo") & (data.metric == "ppl_gap")
    data.loc[hit, "value"] = np.nan
    row = pick(aggregate(data, []), "poisoned", "dpo", "ppl_gap")
    v = value("poisoned", 1, 2, 1)
    assert (row["mean"], row["ci_low"], row["ci_high"], row["n_seeds"]) == pytest.approx((v, v - 0.2, v + 0.2, 1))


def test_group_order_poisoned_first_then_stages_as_seen_or_given():
    data = frame(stages=("sft", "pretrain", "dpo"))  # clean rows come first in the frame
    out = aggregate(data.sample(frac=1.0, random_state=0).sort_values("seed", kind="stable"), [])
    assert list(dict.fromkeys(out.condition)) == ["poisoned", "clean"]
    given = aggregate(data, [], stage_order=["pretrain", "sft", "dpo"])
    assert list(given.condition.iloc[:9]) == ["poisoned"] * 9
    assert list(dict.fromkeys(given.after_stage)) == ["pretrain", "sft", "dpo"]
    assert list(given.metric.iloc[:3]) == list(METRICS)
    seen = aggregate(data, [])
    assert list(dict.fromkeys(seen.after_stage)) == ["sft", "pretrain", "dpo"]


def test_swept_axis_splits_groups_and_keeps_point_order():
    data = pd.concat([frame(axis={"pipeline.dpo.beta": beta}).assign(point=f"p{i}")
                      for i, beta in enumerate((0.5, 0.1, np.nan))])
    out = aggregate(data, ["pipeline.dpo.beta"])
    assert len(out) == 3 * 18
    assert list(dict.fromkeys(out.point)) == ["p0", "p1", "p2"]
    assert out["pipeline.dpo.beta"].isna().sum() == 18
    assert (out.n_seeds == 2).all()


def test_empty_and_missing_columns():
    assert list(aggregate(frame().iloc[:0], []).columns) == [*group_keys([]), *AGGREGATE_COLUMNS]
    with pytest.raises(ValueError, match="pipeline.dpo.beta"):
        aggregate(frame(), ["pipeline.dpo.beta"])


def test_lifecycle_order_places_checkpoints_and_unknown_stages():
    observed = ["finetune", "eval", "sft", "finetune@200", "pretrain", "finetune@50"]
    assert lifecycle_order(observed, ["pretrain", "sft", "finetune"]) == [
        "pretrain", "sft", "finetune@50", "finetune@200", "finetune", "eval"]
    assert lifecycle_order(["b", "a"]) == ["b", "a"]
