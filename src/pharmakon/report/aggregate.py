"""Aggregates over seeds: the mean of each measured number and a 95% interval, computed from the results table."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

GROUP_KEYS: tuple[str, ...] = ("condition", "after_stage", "adaptation", "probe", "metric")
AGGREGATE_COLUMNS: tuple[str, ...] = ("mean", "ci_low", "ci_high", "n_seeds", "n")
CONDITION_ORDER: tuple[str, ...] = ("poisoned", "clean")
_CHECKPOINT = re.compile(r"^(?P<name>.+)@(?P<step>\d+)$")


def group_keys(axes: Sequence[str]) -> list[str]:
    """The columns one aggregate row is keyed by: study, point, the swept axes, then the measurement."""
    return ["study", "point", *axes, *GROUP_KEYS]


def lifecycle_order(observed: Sequence[str], pipeline: Sequence[str] = ()) -> list[str]:
    """Stage names in lifecycle order: the pipeline's order, a checkpoint ``name@step`` before its stage's end
    (by step); a name the pipeline lacks stays right after the stage it followed when first seen."""
    index = {name: i for i, name in enumerate(pipeline)}

    def place(stage: str) -> tuple[float, float] | None:
        match = _CHECKPOINT.match(stage)
        if match and match["name"] in index:
            return float(index[match["name"]]), float(match["step"])
        return (float(index[stage]), math.inf) if stage in index else None

    keys: dict[str, tuple[float, float, int]] = {}
    last: tuple[float, float] = (-1.0, -math.inf)
    for i, stage in enumerate(dict.fromkeys(observed)):
        spot = place(stage)
        if spot is None:
            keys[stage] = (*last, i)  # ties broken by first appearance
        else:
            keys[stage] = (*spot, -1)
            last = spot
    return sorted(keys, key=keys.__getitem__)


def _ranks(values: pd.Series, preferred: Sequence[str] = ()) -> np.ndarray:
    """Each value's rank: its place in ``preferred``, else after those in order of first appearance."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    place = {value: i for i, value in enumerate(preferred)}
    first_seen = [place.get(u, len(place) + j) for j, u in enumerate(uniques)]
    return np.asarray(first_seen)[codes]


def _half_width(sd: pd.Series, k: pd.Series) -> pd.Series:
    """Half-width of a 95% Student-t interval over ``k`` per-seed values with standard deviation ``sd``."""
    dof = k.where(k >= 2) - 1
    return pd.Series(stats.t.ppf(0.975, dof), index=sd.index) * sd / np.sqrt(k)


def aggregate(results: pd.DataFrame, axes: Sequence[str], stage_order: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean over seeds per group (``group_keys(axes)``), with ``mean, ci_low, ci_high, n_seeds, n``.

    With two or more seeds the interval is a 95% Student-t interval over the per-seed values; with one it is
    that run's own ``ci_low``/``ci_high``. ``n`` is the sample size summed over seeds; NaN values are left out.
    Rows come in a stable order: first appearance, conditions poisoned before clean, stages in ``stage_order``
    (else as first seen).
    """
    keys = group_keys(axes)
    missing = [c for c in (*keys, "seed", "value", "n", "ci_low", "ci_high") if c not in results.columns]
    if missing:
        raise ValueError(f"results lack columns {missing}")
    if results.empty:
        return pd.DataFrame(columns=[*keys, *AGGREGATE_COLUMNS])
    frame = results[[*keys, "seed", "value", "n", "ci_low", "ci_high"]].copy()
    for column in ("value", "n", "ci_low", "ci_high"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["_group"] = frame.groupby(keys, sort=False, dropna=False).ngroup()
    # one value per seed (a repeated measurement of the same seed is averaged first)
    per_seed = frame.groupby(["_group", "seed"], sort=False, dropna=False).agg(
        value=("value", "mean"), n=("n", "sum"), ci_low=("ci_low", "mean"), ci_high=("ci_high", "mean"))
    per_seed = per_seed.reset_index()
    valid = per_seed[per_seed["value"].notna()]
    by_group = valid.groupby("_group")
    out = frame.drop_duplicates("_group").set_index("_group")[keys]
    out["mean"] = by_group["value"].mean()
    out["n_seeds"] = by_group["value"].count().reindex(out.index, fill_value=0).astype(int)
    half = _half_width(by_group["value"].std(ddof=1).reindex(out.index), out["n_seeds"])
    single = out["n_seeds"] == 1
    out["ci_low"] = np.where(single, by_group["ci_low"].first().reindex(out.index), out["mean"] - half)
    out["ci_high"] = np.where(single, by_group["ci_high"].first().reindex(out.index), out["mean"] + half)
    out["n"] = by_group["n"].sum(min_count=1).reindex(out.index)
    order = [_ranks(out[k], CONDITION_ORDER if k == "condition" else
                    (stage_order or ()) if k == "after_stage" else ()) for k in keys]
    out = out.iloc[np.lexsort([np.arange(len(out)), *order[::-1]])]
    return out.reset_index(drop=True)[[*keys, *AGGREGATE_COLUMNS]]
