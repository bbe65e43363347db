"""The ``competence`` study's finding: the clean organism against the competence bar after every stage.

For each stage probed, each bar metric's mean over seeds with every seed's value beside it, and whether the mean
meets the bar; then the stages at which every metric does. Numbers come from the results table only.
"""

from __future__ import annotations

import pandas as pd

from pharmakon.probes.competence import BAR, meets_bar

EXTRA = ("competence_dialogue", "competence_gibberish_greedy", "competence_ppl")


def bar_table(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (stage, metric): the mean over seeds, each seed's value, the bar and whether the mean meets it."""
    frame = results[(results["probe"] == "competence") & (results["condition"] == "clean")]
    rows = []
    for (stage, metric), group in frame.groupby(["after_stage", "metric"], sort=False):
        mean = float(group["value"].mean())
        direction, threshold = BAR.get(metric, ("", float("nan")))
        rows.append({"after_stage": stage, "metric": metric, "mean": mean,
                     "seeds": {int(s): float(v) for s, v in zip(group["seed"], group["value"], strict=True)},
                     "bar": f"{direction} {threshold:g}" if direction else "",
                     "meets": meets_bar({metric: mean}).get(metric)})
    return pd.DataFrame(rows)


def finding(results: pd.DataFrame, spec: dict) -> str:
    """Each bar metric's mean over seeds (every seed beside it) after every stage probed, whether it meets the
    competence bar, and the stages at which every metric does."""
    table = bar_table(results)
    if table.empty:
        return ""
    lines = []
    for stage, group in table.groupby("after_stage", sort=False):
        parts = []
        for row in group.itertuples():
            if row.metric not in BAR and row.metric not in EXTRA:
                continue
            seeds = "/".join(f"{v:.2f}" for v in row.seeds.values())
            verdict = "" if row.meets is None else (" ok" if row.meets else f" MISSES {row.bar}")
            parts.append(f"{row.metric.removeprefix('competence_')} {row.mean:.2f} ({seeds}){verdict}")
        misses = [m for m, ok in zip(group["metric"], group["meets"], strict=True) if ok is False]
        head = "meets the bar" if not misses else f"misses {len(misses)} of {group['meets'].notna().sum()} bars"
        lines.append(f"After {stage} the clean organism {head}: " + ", ".join(parts))
    return "Means over seeds (each seed in brackets). " + ". ".join(lines) + "."
