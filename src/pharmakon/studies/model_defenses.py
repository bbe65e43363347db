"""The ``model-defenses`` finding: per model defence, the attack success it removes against the utility it costs,
on the poisoned models and on their clean twins.

Utility is the mean of the clean task accuracies (sentiment, arithmetic, facts) for chat-style models, and the
held-out document perplexity for document-style ones (the pretraining DoS, defended after its continued pretraining).
"""

from __future__ import annotations

import math

import pandas as pd

TASKS = ("utility_sentiment", "utility_arithmetic", "utility_facts")


def _mean(frame: pd.DataFrame, metric: str) -> float:
    values = frame.loc[frame["metric"] == metric, "value"]
    return float(values.mean()) if len(values) else math.nan


def _utility(frame: pd.DataFrame, when: str) -> float:
    values = [_mean(frame, f"{task}_{when}") for task in TASKS]
    values = [v for v in values if not math.isnan(v)]
    return sum(values) / len(values) if values else math.nan


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def _signed(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:+.2f}"


def defence_line(name: str, frame: pd.DataFrame) -> str:
    """One defence over every arm and seed: ASR before → after on the poisoned models, the utility change on the
    poisoned models and on the clean twins, compute, and detection where it detects."""
    poisoned, clean = frame[frame["condition"] == "poisoned"], frame[frame["condition"] == "clean"]
    before, after = _mean(poisoned, "asr_trigger_before"), _mean(poisoned, "asr_trigger_after")
    line = f"{name}: "
    if not math.isnan(after):
        line += (f"asr_trigger {_fmt(before)} → {_fmt(after)} ({_signed(after - before)}), without the trigger "
                 f"{_fmt(_mean(poisoned, 'asr_no_trigger_before'))} → {_fmt(_mean(poisoned, 'asr_no_trigger_after'))}"
                 f"; task utility {_signed(_utility(poisoned, 'after') - _utility(poisoned, 'before'))} on the "
                 f"poisoned models, {_signed(_utility(clean, 'after') - _utility(clean, 'before'))} on the clean "
                 f"twins (asr_trigger there {_fmt(_mean(clean, 'asr_trigger_before'))} → "
                 f"{_fmt(_mean(clean, 'asr_trigger_after'))})")
    else:
        line += f"detection only (asr_trigger {_fmt(before)}, unchanged)"
    auroc = _mean(poisoned, "detection_auroc")
    if not math.isnan(auroc):
        line += f"; detection AUROC {_fmt(auroc)} (clean twin {_fmt(_mean(clean, 'detection_auroc'))})"
    return line + f"; {_fmt(_mean(frame, 'defense_seconds'))} s and {_fmt(_mean(frame, 'defense_steps'))} steps"


def per_arm(frame: pd.DataFrame) -> str:
    """asr_trigger after each defence, per attack (poisoned models, mean over seeds)."""
    poisoned = frame[(frame["condition"] == "poisoned") & (frame["metric"] == "asr_trigger_after")]
    if "arm" not in poisoned or poisoned.empty:
        return ""
    table = poisoned.groupby(["arm", "probe"])["value"].mean().unstack()
    return "; ".join(f"{arm}: " + ", ".join(f"{p.split(':', 1)[1]} {_fmt(v)}" for p, v in row.items())
                     for arm, row in table.iterrows())


def finding(results: pd.DataFrame, spec: dict) -> str:
    """Per defence: ASR reduction against utility cost; whether it hurts the clean twin; then per attack."""
    frame = results[results["probe"].str.startswith("model-defense:")]
    if frame.empty:
        return ""
    lines = [defence_line(probe.split(":", 1)[1], part) for probe, part in frame.groupby("probe", sort=False)]
    seeds = frame["seed"].nunique()
    text = f"Mean over arms and {seeds} seed{'s' if seeds > 1 else ''}. " + ". ".join(lines) + "."
    arms = per_arm(frame)
    return text + (f" asr_trigger after each defence, per attack: {arms}." if arms else "")
