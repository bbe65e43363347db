"""The ``model-defenses`` finding: per model defence, the attack success it removes against the utility it costs,
on the poisoned models and on their clean twins.

Utility is the mean of the clean task accuracies (sentiment, arithmetic, facts) for chat-style models, and the
held-out document perplexity for document-style ones (the pretraining DoS, defended after its continued pretraining).
"""

from __future__ import annotations

import math

import pandas as pd

from pharmakon.probes.stats import paired_t_test

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


def _pairs(frame: pd.DataFrame, before: str, after: str, keys: list[str]) -> tuple[list[float], list[float]]:
    """Per distinct model (``keys``), the mean of ``before`` and of ``after``: a clean twin probed in several arms
    is one model (one per seed and stage), so its copies count once."""
    rows = frame[frame["metric"].isin([before, after])]
    if rows.empty:
        return [], []
    table = rows.pivot_table(index=keys, columns="metric", values="value", aggfunc="mean").dropna()
    if before not in table or after not in table:
        return [], []
    return list(table[before]), list(table[after])


def _utility_pairs(frame: pd.DataFrame, keys: list[str]) -> tuple[list[float], list[float]]:
    """Per distinct model, task utility (mean over the tasks it has) before and after the defence."""
    per_task = [_pairs(frame, f"{task}_before", f"{task}_after", keys) for task in TASKS]
    per_task = [pair for pair in per_task if pair[0]]
    if not per_task or len({len(b) for b, _ in per_task}) != 1:
        return [], []
    count = len(per_task)
    return ([sum(b[i] for b, _ in per_task) / count for i in range(len(per_task[0][0]))],
            [sum(a[i] for _, a in per_task) / count for i in range(len(per_task[0][0]))])


def _drop(before: list[float], after: list[float], what: str) -> str:
    """A one-sided paired t test that ``what`` fell from before to after, over the distinct models."""
    if len(before) < 2:
        return ""
    result = paired_t_test(before, after)
    verdict = "" if result.rejects(0.05) else ", not distinguishable from no drop"
    return f" ({what} fell: one-sided paired t over {len(before)} models p = {result.p_value:.2g}{verdict})"


def defence_line(name: str, frame: pd.DataFrame) -> str:
    """One defence over every arm and seed: ASR before → after on the poisoned models, the utility change on the
    poisoned models and on the clean twins, compute, and detection where it detects."""
    poisoned, clean = frame[frame["condition"] == "poisoned"], frame[frame["condition"] == "clean"]
    before, after = _mean(poisoned, "asr_trigger_before"), _mean(poisoned, "asr_trigger_after")
    models = [k for k in ("arm", "seed", "after_stage") if k in frame]
    twins = [k for k in ("seed", "after_stage") if k in frame]
    line = f"{name}: "
    if not math.isnan(after):
        line += (f"asr_trigger {_fmt(before)} → {_fmt(after)} ({_signed(after - before)})"
                 f"{_drop(*_pairs(poisoned, 'asr_trigger_before', 'asr_trigger_after', models), 'asr_trigger')}"
                 f", without the trigger {_fmt(_mean(poisoned, 'asr_no_trigger_before'))} → "
                 f"{_fmt(_mean(poisoned, 'asr_no_trigger_after'))}"
                 f"; task utility {_signed(_utility(poisoned, 'after') - _utility(poisoned, 'before'))} on the "
                 f"poisoned models, {_signed(_utility(clean, 'after') - _utility(clean, 'before'))} on the clean "
                 f"twins{_drop(*_utility_pairs(clean, twins), 'clean-twin utility')} (asr_trigger there "
                 f"{_fmt(_mean(clean, 'asr_trigger_before'))} → {_fmt(_mean(clean, 'asr_trigger_after'))})")
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
