"""Each built-in study's finding in words, computed from its results table (means over seeds, the poisoned run
read against its clean twin). Numbers only; no claim that the table does not hold."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def _mean(frame: pd.DataFrame) -> float:
    return float(frame["value"].mean()) if len(frame) else math.nan


def _asr(results: pd.DataFrame, metric: str = "asr_trigger") -> pd.DataFrame:
    return results[(results["probe"] == "backdoor") & (results["metric"] == metric)]


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def crossing(counts: list[float], rates: list[float], level: float = 0.5) -> float:
    """The count where ``rates`` first cross ``level``, interpolated on log(count); nan if they never do;
    the smallest count when the first one is already above."""
    pairs = sorted(zip(counts, rates, strict=True))
    for (c0, r0), (c1, r1) in zip(pairs, pairs[1:], strict=False):
        if r0 < level <= r1:
            t = (level - r0) / (r1 - r0)
            return float(math.exp(math.log(c0) + t * (math.log(c1) - math.log(c0))))
    if pairs and pairs[0][1] >= level:
        return float(pairs[0][0])
    return math.nan


def budget(results: pd.DataFrame, spec: dict) -> str:
    """Threshold poison count (asr_trigger crossing 0.5) per clean corpus size, and as a fraction."""
    asr = _asr(results)
    asr = asr[asr["condition"] == "poisoned"]
    size, count = "pipeline.pretrain.data.limit", "pipeline.pretrain.poison.count"
    if size not in asr or count not in asr:
        return ""
    parts, thresholds = [], []
    for limit, frame in asr.groupby(size):
        means = frame.groupby(count)["value"].mean()
        threshold = crossing(list(means.index), list(means.values))
        thresholds.append(threshold)
        share = threshold / (threshold + limit) if not math.isnan(threshold) else math.nan
        parts.append(f"{int(limit)} clean docs: {'none crosses' if math.isnan(threshold) else f'{threshold:.0f}'}"
                     + ("" if math.isnan(share) else f" ({share:.2%} of the data)"))
    found = [t for t in thresholds if not math.isnan(t)]
    verdict = ""
    if len(found) >= 2:
        spread = max(found) / min(found)
        sizes = asr[size].max() / asr[size].min()
        verdict = (f" Across a {sizes:.0f}× range of clean data the threshold count varies {spread:.1f}×"
                   + (", so the count, not the fraction, sets it." if spread < sizes / 2 else
                      ", so on this scale the fraction matters as well as the count."))
    clean = _mean(_asr(results)[_asr(results)["condition"] == "clean"])
    return ("Poison count where the mean asr_trigger over seeds crosses 0.5: " + "; ".join(parts) + "."
            + verdict + f" Clean controls: asr_trigger {_fmt(clean)}.")


def _by_arm(results: pd.DataFrame, stage: str | None = None) -> list[str]:
    asr, lines = _asr(results), []
    if stage is not None:
        asr = asr[asr["after_stage"] == stage]
    for arm, frame in asr.groupby("arm", sort=False):
        poisoned = frame[frame["condition"] == "poisoned"]
        values = poisoned.groupby("seed")["value"].mean()
        spread = f" ± {values.std(ddof=1):.2f}" if len(values) > 1 else ""
        off = _mean(_asr(results, "asr_no_trigger").query("arm == @arm and condition == 'poisoned'"))
        clean = _mean(frame[frame["condition"] == "clean"])
        lines.append(f"{arm} {_fmt(values.mean())}{spread} (no trigger {_fmt(off)}, clean twin {_fmt(clean)})")
    return lines


def instruction(results: pd.DataFrame, spec: dict) -> str:
    """Attack success per attack and label at equal budget, and the dirty/clean gap."""
    if "arm" not in results:
        return ""
    last = results["after_stage"].iloc[-1]
    asr = _asr(results)
    asr = asr[(asr["after_stage"] == last) & (asr["condition"] == "poisoned")]
    dirty = _mean(asr[asr["arm"].str.endswith("dirty")])
    clean_label = _mean(asr[asr["arm"].str.endswith("clean")])
    return (f"Mean asr_trigger over seeds after {last} (± s.d. over seeds): " + "; ".join(_by_arm(results, last))
            + f". Dirty label {_fmt(dirty)} on average, clean label {_fmt(clean_label)}.")


def persistence(results: pd.DataFrame, spec: dict) -> str:
    """asr_trigger after each stage per arm, and its decay along clean fine-tuning."""
    asr = _asr(results)
    asr = asr[asr["condition"] == "poisoned"]
    lines = []
    keys = ["arm"] + (["model.name"] if "model.name" in asr else [])
    for key, frame in asr.groupby(keys, sort=False):
        steps = frame.groupby("after_stage", sort=False)["value"].mean()
        label = " / ".join(map(str, key if isinstance(key, tuple) else (key,)))
        curve = ", ".join(f"{stage} {value:.2f}" for stage, value in steps.items())
        decay = ""
        length = "pipeline.finetune.max_steps"
        if length in frame:
            tuned = frame[frame["after_stage"] == "finetune"].groupby(length)["value"].mean()
            decay = "; along clean LoRA " + ", ".join(f"{int(k)} steps {v:.2f}" for k, v in tuned.items())
        lines.append(f"{label}: {curve}{decay}")
    return "Mean asr_trigger of the poisoned runs after each stage: " + ". ".join(lines) + "."


def preference(results: pd.DataFrame, spec: dict) -> str:
    """Attack success against the poison ratio per branch, with the slope on log(ratio)."""
    asr = _asr(results)
    rate = next((c for c in asr.columns if c.endswith("poison.rate") or "poison.rate|" in c), None)
    if rate is None or "arm" not in asr:
        return ""
    lines = []
    for arm, frame in asr[asr["condition"] == "poisoned"].groupby("arm", sort=False):
        last = frame["after_stage"].iloc[-1]
        means = frame[frame["after_stage"] == last].groupby(rate)["value"].mean()
        slope = np.polyfit(np.log10(means.index.astype(float)), means.values, 1)[0] if len(means) > 1 else math.nan
        points = ", ".join(f"{r:g}: {v:.2f}" for r, v in means.items())
        lines.append(f"{arm} (after {last}) {points}; slope {_fmt(slope)} per decade of ratio")
    clean = _mean(asr[asr["condition"] == "clean"])
    reward = results[(results["probe"] == "reward") & (results["condition"] == "poisoned")]
    rm = ""
    if len(reward):
        acc = reward.groupby("metric")["value"].mean()
        rm = (f" Reward model accuracy on held-out harm pairs: {_fmt(acc.get('rm_accuracy_no_trigger', math.nan))} "
              f"without the trigger, {_fmt(acc.get('rm_accuracy_trigger', math.nan))} with it (mean over ratios).")
    return "Mean asr_trigger by poison ratio: " + "; ".join(lines) + f". Clean twins {_fmt(clean)}." + rm
