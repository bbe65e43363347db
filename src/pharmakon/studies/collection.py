"""Findings of the collection studies (``vectors``, ``defenses``) in words, from the results table.

The vector and cleaning figures are rows of probe ``vector`` and ``cleaning`` (read off each stage's data); the
effect is the backdoor probe's ``asr_trigger`` on the poisoned run against its clean twin, after the stage that
carried the poison. Means over seeds; numbers only.
"""

from __future__ import annotations

import math

import pandas as pd

from pharmakon.studies.findings import _fmt, stages_run


def mean_where(frame: pd.DataFrame, **where: str) -> float:
    for column, value in where.items():
        frame = frame[frame[column] == value]
    return float(frame["value"].mean()) if len(frame) else math.nan


def _count(value: float) -> str:
    """A mean count: whole when it is one, else to one decimal."""
    return "n/a" if math.isnan(value) else f"{value:.0f}" if value == round(value) else f"{value:.1f}"


def poisoned_stage(spec: dict, arm: str | None) -> str | None:
    """The stage that carries the poison in ``arm`` (its ``pipeline.<stage>.poison`` change), else in the spec."""
    changes = ((spec.get("sweep") or {}).get("arms") or {}).get(arm) or {}
    for path, value in changes.items():
        parts = path.split(".")
        if len(parts) == 3 and parts[0] == "pipeline" and parts[2] == "poison" and value is not None:
            return parts[1]
    return next((s.get("name") or s["kind"] for s in spec.get("pipeline", []) if s.get("poison")), None)


def _effect(frame: pd.DataFrame, spec: dict, arm: str | None, stage: str | None = None
            ) -> tuple[float, float, float, str | None]:
    """asr_trigger poisoned, asr_no_trigger poisoned and asr_trigger of the clean twin, after ``stage`` (the one
    that carried the poison) or, when it was not probed, after the last stage of ``arm``'s pipeline that was (in the
    spec's order, not the table's); and the stage read."""
    asr = frame[(frame["probe"] == "backdoor") & frame["metric"].isin(["asr_trigger", "asr_no_trigger"])]
    if asr.empty:
        return math.nan, math.nan, math.nan, stage
    probed = set(asr["after_stage"])
    if stage not in probed:
        stage = next((s for s in reversed(stages_run(spec, arm)) if s in probed), str(asr["after_stage"].iloc[-1]))
    asr = asr[asr["after_stage"] == stage]
    return (mean_where(asr, condition="poisoned", metric="asr_trigger"),
            mean_where(asr, condition="poisoned", metric="asr_no_trigger"),
            mean_where(asr, condition="clean", metric="asr_trigger"), stage)


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
        stage = poisoned_stage(spec, str(arm))
        poisoned, leak, clean, stage = _effect(frame, spec, str(arm), stage)
        flow = (f"{_count(offered)} offered → {_count(inserted)} inserted → {_count(surviving)} surviving cleaning "
                f"(undetected insertion rate {_fmt(rate)})" if not vector.empty else "no vector: all inserted")
        lines.append(f"{arm}: {flow}; after {stage}, asr_trigger {_fmt(poisoned)} (without the trigger "
                     f"{_fmt(leak)}) vs clean twin {_fmt(clean)}")
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
        poisoned, _, clean, _ = _effect(frame, spec, str(arm), poisoned_stage(spec, str(arm)))
        if cleaning.empty:
            lines.append(f"{label}: no cleaning, asr_trigger {_fmt(poisoned)} (clean twin {_fmt(clean)})")
            continue
        recall = mean_where(cleaning, metric="overall_recall")
        precision = mean_where(cleaning, metric="overall_precision")
        lost = mean_where(frame[frame["probe"] == "cleaning"], metric="overall_clean_lost", condition="clean")
        lines.append(f"{label}: recall {_fmt(recall)}, precision {_fmt(precision)}, clean lost {_fmt(lost)}, "
                     f"asr_trigger {_fmt(poisoned)} (clean twin {_fmt(clean)})")
    return "Means over seeds. " + "; ".join(lines) + "."
