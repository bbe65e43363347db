"""The ``forensics`` finding: per poisoned stage, how much of the true poison each ranking puts in its top k.

Per arm and method: precision at k = the poison count (then equal to recall), mean ± s.d. over seeds, beside the
poison share (a random ranking's expected precision); then EK-FAC influence against the best data-side defence of
that arm by a one-sided paired t test over seeds (the same poisoned model and records in each pair).
"""

from __future__ import annotations

import math

import pandas as pd

from pharmakon.probes.stats import claim, paired_t_test

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
        pairs = pd.concat([precision["ekfac"], precision[best]], axis=1, join="inner").dropna()
        if len(pairs) >= 2:
            test = paired_t_test(list(pairs.iloc[:, 0]), list(pairs.iloc[:, 1]))
            line += f"; ekfac above the best defence ({best}): {claim(test, len(pairs), 'paired t')}"
        else:
            line += f"; ekfac against the best defence ({best}): one seed, no test"
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
