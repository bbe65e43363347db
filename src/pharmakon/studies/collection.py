"""Findings of the collection studies (``vectors``, ``defenses``) in words, from the results table.

The vector and cleaning figures are rows of probe ``vector`` and ``cleaning`` (read off each stage's data); the
effect is the backdoor probe's ``asr_trigger`` on the poisoned run against its clean twin, after the stage that
carried the poison. Means over seeds; numbers only.
"""

from __future__ import annotations

import math

import pandas as pd

from pharmakon.studies.findings import _fmt


def mean_where(frame: pd.DataFrame, **where: str) -> float:
    for column, value in where.items():
        frame = frame[frame[column] == value]
    return float(frame["value"].mean()) if len(frame) else math.nan


def _effect(frame: pd.DataFrame) -> tuple[float, float]:
    """Poisoned and clean-twin asr_trigger after the last stage that was probed with the backdoor probe."""
    asr = frame[(frame["probe"] == "backdoor") & (frame["metric"] == "asr_trigger")]
    if asr.empty:
        return math.nan, math.nan
    asr = asr[asr["after_stage"] == asr["after_stage"].iloc[-1]]
    return mean_where(asr, condition="poisoned"), mean_where(asr, condition="clean")


def vectors(results: pd.DataFrame, spec: dict) -> str:
    """Per arm: poison offered → inserted → surviving cleaning (the undetected insertion rate), and the effect."""
    if "arm" not in results:
        return ""
    lines = []
    for arm, frame in results.groupby("arm", sort=False):
        vector = frame[(frame["probe"] == "vector") & (frame["condition"] == "poisoned")]
        offered = mean_where(vector, metric="offered")
        inserted = mean_where(vector, metric="inserted")
        surviving = mean_where(vector, metric="surviving")
        rate = surviving / offered if offered else math.nan
        poisoned, clean = _effect(frame)
        flow = (f"{_fmt(offered)} offered → {_fmt(inserted)} inserted → {_fmt(surviving)} surviving cleaning "
                f"(undetected insertion rate {_fmt(rate)})" if not vector.empty else "no vector: all inserted")
        lines.append(f"{arm}: {flow}; asr_trigger {_fmt(poisoned)} vs clean twin {_fmt(clean)}")
    return "Means over seeds. " + "; ".join(lines) + "."


def defenses(results: pd.DataFrame, spec: dict) -> str:
    """Per arm (``<attack>-<defence>``): recall, precision and clean data lost, and the backdoor after cleaning."""
    if "arm" not in results:
        return ""
    lines = []
    for arm, frame in results.groupby("arm", sort=False):
        attack, _, defence = str(arm).rpartition("-")
        label = f"{defence} vs {attack}" if attack else str(arm)
        cleaning = frame[(frame["probe"] == "cleaning") & (frame["condition"] == "poisoned")]
        poisoned, clean = _effect(frame)
        if cleaning.empty:
            lines.append(f"{label}: no cleaning, asr_trigger {_fmt(poisoned)} (clean twin {_fmt(clean)})")
            continue
        recall = mean_where(cleaning, metric="overall_recall")
        precision = mean_where(cleaning, metric="overall_precision")
        lost = mean_where(frame[frame["probe"] == "cleaning"], metric="overall_clean_lost", condition="clean")
        lines.append(f"{label}: recall {_fmt(recall)}, precision {_fmt(precision)}, clean lost {_fmt(lost)}, "
                     f"asr_trigger {_fmt(poisoned)} (clean twin {_fmt(clean)})")
    return "Means over seeds. " + "; ".join(lines) + "."
