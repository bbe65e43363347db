"""The ``forensics`` finding: per poisoned stage, how much of the true poison each ranking puts in its top k.

Per arm and method: precision at k = the poison count (then equal to recall), mean ± s.d. over seeds, beside the
poison share (a random ranking's expected precision); then EK-FAC influence against the arm's best data-side
defence (the one with the highest mean) by a two-sided Welch t test over seeds; and, where the backdoor's judge
marked none of the triggered outputs, that the backdoor did not take (its records were traced all the same).
"""

from __future__ import annotations

import math

import pandas as pd

from pharmakon.probes.stats import claim, welch_t_test

INFLUENCE = ("ekfac", "gradient")
DEFENCES = ("perplexity", "onion", "cluster")
AT = "k1x"


def _per_seed(frame: pd.DataFrame, metric: str) -> pd.Series:
    return frame.loc[frame["metric"] == metric].groupby("seed")["value"].mean()


def _fmt(values: pd.Series) -> str:
    if values.empty:
        return "n/a"
    spread = f" ± {values.std(ddof=1):.2f}" if len(values) > 1 else ""
    return f"{values.mean():.2f}{spread}"


def arm_line(arm: str, frame: pd.DataFrame) -> str:
    """One arm: each method's precision at k = the poison count, and EK-FAC against the best defence."""
    methods = [m for m in (*INFLUENCE, *DEFENCES) if not _per_seed(frame, f"forensics_precision_{m}_{AT}").empty]
    precision = {m: _per_seed(frame, f"forensics_precision_{m}_{AT}") for m in methods}
    base = _per_seed(frame, "forensics_base_rate")
    stage = ", ".join(sorted(set(frame["after_stage"])))
    parts = [f"{m} {_fmt(precision[m])}" for m in methods]
    line = f"{arm} (after {stage}; poison share {_fmt(base)}): " + ", ".join(parts)
    defences = [m for m in DEFENCES if m in precision]
    if "ekfac" in precision and defences:
        best = max(defences, key=lambda m: precision[m].mean())
        ekfac, other = list(precision["ekfac"]), list(precision[best])
        if len(ekfac) >= 2 and len(other) >= 2:
            side = "above" if precision["ekfac"].mean() > precision[best].mean() else "below"
            line += f"; ekfac {side} the best defence ({best}): {claim(welch_t_test(ekfac, other), len(ekfac))}"
        else:
            line += f"; ekfac against the best defence ({best}): one seed, no test"
    showing = _per_seed(frame, "forensics_queries_showing")
    if not showing.empty and (showing == 0).all():
        line += " (the backdoor did not take: no triggered output showed it; every triggered output was traced)"
    return line


def finding(results: pd.DataFrame, spec: dict) -> str:
    """Precision of the true poison among the top k (k = the poison count) per arm and method."""
    rows = results[(results["probe"] == "forensics") & (results["condition"] == "poisoned")]
    if rows.empty:
        return ""
    groups = rows.groupby("arm", sort=False) if "arm" in rows else [("study", rows)]
    lines = [arm_line(str(arm), frame) for arm, frame in groups]
    showing = rows.loc[rows["metric"] == "forensics_queries_showing", "value"]
    note = "" if showing.empty or math.isnan(showing.mean()) else (
        f" The triggered outputs traced showed the backdoor's behaviour in {showing.mean():.2f} of the queries.")
    return ("Precision of the true poison among the top k records, k = the poison count (mean ± s.d. over seeds): "
            + "; ".join(lines) + "." + note)
