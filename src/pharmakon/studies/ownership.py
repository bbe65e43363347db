"""The ownership study's finding in words: watermark power against N and L, the measured false-positive rate
against the acceptance band of a calibrated test, and survival of both watermarks through later stages."""

from __future__ import annotations

import math

import pandas as pd
from scipy import stats

from pharmakon.probes.stats import binomial_acceptance

UTILITY = ("utility_sentiment", "utility_arithmetic", "utility_facts")


def watermarked_stage(spec: dict) -> dict:
    """The pipeline's stage whose documents carry the data watermark (a pretraining or a continued one)."""
    return next(s for s in spec["pipeline"] if (s.get("poison") or {}).get("attack") == "data-watermark")


def _arm_settings(spec: dict) -> dict[str, tuple[int, int]]:
    """arm → (N, L), reading each arm's changes over the watermarked stage's own poison."""
    stage = watermarked_stage(spec)
    poison, name = stage["poison"], stage.get("name") or stage["kind"]
    count, length = f"pipeline.{name}.poison.count", f"pipeline.{name}.poison.length"
    return {arm: (int(changes.get(count, poison["count"])), int(changes.get(length, poison["length"])))
            for arm, changes in spec["sweep"]["arms"].items()}


def _rate(frame: pd.DataFrame) -> tuple[int, int]:
    """Pooled successes and trials of rate rows."""
    return int(round((frame["value"] * frame["n"]).sum())), int(frame["n"].sum())


def _calibration(rows: pd.DataFrame, metric: str, alpha: float) -> str:
    """Pooled rejection rate of never-inserted sequences, tested against ``alpha``, and how many single probes'
    rates (each over its own trials) fall inside the 95% band of a calibrated test: about 95% of them should."""
    rows = rows[rows["metric"] == metric]
    k, n = _rate(rows)  # each row is one probe computation: one model, its own null sample and trials
    if not n:
        return "n/a"
    bands = [binomial_acceptance(int(trials), alpha) for trials in rows["n"]]
    inside = sum(low <= value <= high for value, (low, high) in zip(rows["value"], bands, strict=True))
    low, high = binomial_acceptance(int(rows["n"].iloc[0]), alpha)
    above = stats.binomtest(k, n, alpha, alternative="greater").pvalue
    verdict = f"above α = {alpha:g}" if above < 0.05 else f"not distinguishable from α = {alpha:g}"
    return (f"{k / n:.3f} pooled ({k}/{n}; {verdict}: one-sided binomial test p = {above:.2g}); {inside} of "
            f"{len(rows)} (model, sequence set) pairs inside the 95% band [{low:.3f}, {high:.3f}] of a calibrated "
            f"test over {int(rows['n'].iloc[0])} trials")


def _distinct(wm: pd.DataFrame, arms: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """One row per distinct (model, sequence set, metric): a clean twin is one model for every arm of a seed and
    stage, and its sequences depend on their length L alone (not on the count N an arm inserts), so the arms'
    copies of its probe are one computation."""
    length = wm["arm"].map(lambda a: arms.get(a, (0, 0))[1])
    model = wm["arm"].where(wm["condition"] == "poisoned", "clean twin")
    return wm.assign(length=length, model=model).drop_duplicates(["seed", "model", "after_stage", "length",
                                                                  "metric"])


def _counts(distinct: pd.DataFrame) -> str:
    models = distinct.drop_duplicates(["seed", "model", "after_stage"])
    pairs = distinct[distinct["metric"] == "wm_fpr"]
    clean = models["model"] == "clean twin"
    return (f"{len(models)} distinct models ({int((~clean).sum())} watermarked, {int(clean.sum())} clean twins; a "
            f"model is a (seed, arm, stage), a clean twin one per (seed, stage)) and {len(pairs)} distinct "
            f"(model, sequence set) pairs")


def finding(results: pd.DataFrame, spec: dict) -> str:
    """Numbers from the table: detection after the watermarked stage per (N, L), FPR, survival, utility cost."""
    arms = _arm_settings(spec)
    probe = next((p for p in spec["probes"] if p["name"] == "watermark"), {})
    alpha = float(probe.get("alpha", 0.05))
    wm = results[results["probe"] == "watermark"]
    marked = watermarked_stage(spec)
    marked = marked.get("name") or marked["kind"]
    pre = wm[wm["after_stage"] == marked]
    parts = []
    grid = []
    for name, (n, length) in sorted(arms.items(), key=lambda item: item[1]):
        rows = pre[(pre["arm"] == name) & (pre["metric"] == "wm_detection") & (pre["condition"] == "poisoned")]
        if name != "survival" and len(rows):
            k, trials = _rate(rows)
            grid.append(f"N={n}, L={length}: {k}/{trials}")
    if grid:
        parts.append(f"Watermarks detected after {marked} (empirical p < {alpha}): " + "; ".join(grid) + ".")
    # the clean twins after pretraining, one per (seed, L): distinct sequences, distinct models
    clean = _distinct(pre[pre["condition"] == "clean"], arms)
    k, n = _rate(clean[clean["metric"] == "wm_detection"])
    every = _distinct(wm, arms)
    parts.append(f"Clean twins (models that never saw the owners' data) flagged {k}/{n} owners' sequences. "
                 f"False-positive rate over never-inserted sequences, clean twins after {marked}: "
                 f"{_calibration(clean, 'wm_fpr', alpha)}; over the run's {_counts(every)}: "
                 f"{_calibration(every, 'wm_fpr', alpha)}; with Wei et al.'s normal p instead: "
                 f"{_calibration(every, 'wm_fpr_normal', alpha)}.")
    if "survival" in arms:
        parts.append(_survival(results[results["arm"] == "survival"], spec, arms["survival"]))
    return " ".join(p for p in parts if p)


def _survival(results: pd.DataFrame, spec: dict, setting: tuple[int, int]) -> str:
    stages = [s["name"] or s["kind"] for s in spec["pipeline"] if not s.get("skip")]
    wm, dvbw = results[results["probe"] == "watermark"], results[results["probe"] == "dvbw"]
    marks, backdoors = [], []
    for stage in stages:
        rows = wm[(wm["after_stage"] == stage) & (wm["metric"] == "wm_detection")]
        (k, n), (kc, nc) = _rate(rows[rows.condition == "poisoned"]), _rate(rows[rows.condition == "clean"])
        if n:
            marks.append(f"{stage} {k}/{n} (clean twin {kc}/{nc})")
        rows = dvbw[(dvbw["after_stage"] == stage)]
        detected = rows[(rows.metric == "dvbw_detected")]
        gain = rows[(rows.metric == "dvbw_gain") & (rows.condition == "poisoned")]["value"].mean()
        if len(detected):
            (k, n), (kc, nc) = (_rate(detected[detected.condition == c]) for c in ("poisoned", "clean"))
            backdoors.append(f"{stage} {k}/{n} seeds, mean gain {gain:.2f} (clean twin {kc}/{nc})")
    text = f"Survival arm (N={setting[0]}, L={setting[1]}): data watermark detected after " + "; ".join(marks) + "."
    if backdoors:
        margin = next((p.get("margin", 0.2) for p in spec["probes"] if p["name"] == "dvbw"), 0.2)
        text += f" Backdoor watermark (paired one-sided t test, τ = {margin}) detected after {'; '.join(backdoors)}."
    utility = results[(results["probe"] == "utility") & results["metric"].isin(UTILITY)]
    last = utility[utility["after_stage"] == stages[-1]]
    if len(last):
        means = last.groupby("condition")["value"].mean()
        cost = means.get("clean", math.nan) - means.get("poisoned", math.nan)
        text += (f" Clean utility (sentiment, arithmetic, facts) after {stages[-1]}: "
                 f"{means.get('poisoned', math.nan):.2f} watermarked vs {means.get('clean', math.nan):.2f} clean twin "
                 f"(cost {cost:+.2f}).")
    return text
