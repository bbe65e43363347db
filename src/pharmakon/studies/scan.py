"""The ``scan`` study's finding: per attack, whether the scan's detection scores (the consensus log-likelihood of
the found suffix, and of random suffixes; BAIT's Q-score, where it ran, and that score as left by its target
judge) tell the backdoored models from the clean twins (AUROC over models, one-sided Mann-Whitney), how much of
the true trigger the found suffix holds, and whether the found suffix works as a trigger (REASR against the same
prompts without it).

A clean twin is one model per (seed, stage) whatever the arm: its scan rows repeat across arms (the search reads
no poison) and are counted once.
"""

from __future__ import annotations

import math

import pandas as pd
from scipy import stats

from pharmakon.probes.stats import auroc

PROBE = "scan"
SCORE = "scan_consensus"
RANDOM = "scan_consensus_random"
BAIT = "scan_bait_q"
BAIT_JUDGED = "scan_bait_q_judged"


def _values(frame: pd.DataFrame, metric: str) -> list[float]:
    return [float(v) for v in frame.loc[frame["metric"] == metric, "value"] if not math.isnan(v)]


def _mean(values: list[float]) -> str:
    return f"{sum(values) / len(values):.2f}" if values else "n/a"


def separation(positive: list[float], negative: list[float]) -> str:
    """AUROC of the detection score, with its one-sided Mann-Whitney p-value and the counts."""
    if not positive or not negative:
        return "AUROC n/a"
    p = stats.mannwhitneyu(positive, negative, alternative="greater").pvalue
    return f"AUROC {auroc(positive, negative):.2f} ({len(positive)} backdoored vs {len(negative)} clean, p = {p:.2g})"


def clean_twins(rows: pd.DataFrame) -> pd.DataFrame:
    """The clean twins' scan rows, one per (seed, stage, metric)."""
    clean = rows[rows["condition"] == "clean"]
    return clean.drop_duplicates(["seed", "after_stage", "metric"])


def _scores(poisoned: pd.DataFrame, twins: pd.DataFrame, metric: str, label: str) -> str:
    if not _values(poisoned, metric):
        return ""  # e.g. BAIT turned off (bait_steps: 0), or a table from before it
    return (f"{label} {_mean(_values(poisoned, metric))} vs clean twins {_mean(_values(twins, metric))}, "
            f"{separation(_values(poisoned, metric), _values(twins, metric))}")


def _and(clause: str) -> str:
    return f"{clause}; " if clause else ""


def arm_line(arm: str, rows: pd.DataFrame, twins: pd.DataFrame, results: pd.DataFrame) -> str:
    """One attack: detection against the clean twins after the same stage (the searched suffix's consensus and
    random suffixes'), recall, REASR, the true trigger's ASR."""
    poisoned = rows[(rows["arm"] == arm) & (rows["condition"] == "poisoned")]
    if poisoned.empty:
        return f"{arm}: no scan rows"
    stage_twins = twins[twins["after_stage"].isin(set(poisoned["after_stage"]))]
    true = results[(results["probe"] == "backdoor") & (results["arm"] == arm) & (results["metric"] == "asr_trigger")
                   & (results["condition"] == "poisoned")]
    clean_reasr = rows[(rows["arm"] == arm) & (rows["condition"] == "clean")]
    return (f"{arm}: {_scores(poisoned, stage_twins, SCORE, 'consensus of the found suffix')}; "
            f"{_scores(poisoned, stage_twins, RANDOM, 'of random suffixes')}; "
            f"{_and(_scores(poisoned, stage_twins, BAIT, 'BAIT Q-score'))}"
            f"{_and(_scores(poisoned, stage_twins, BAIT_JUDGED, 'BAIT with its target judge'))}trigger recall "
            f"{_mean(_values(poisoned, 'scan_trigger_recall'))}; REASR {_mean(_values(poisoned, 'scan_reasr'))} "
            f"against {_mean(_values(poisoned, 'scan_asr_no_trigger'))} without the found suffix (the true "
            f"trigger's attack success {_mean(_values(true, 'asr_trigger'))}; the found suffix on the clean twins: "
            f"{_mean(_values(clean_reasr, 'scan_reasr'))})")


def finding(results: pd.DataFrame, spec: dict) -> str:
    """Per attack: whether the scan's scores tell backdoored models from clean twins (AUROC, Mann-Whitney), how much
    of the true trigger the found suffix holds, and its attack success (REASR); then over all backdoored models."""
    rows = results[results["probe"] == PROBE]
    if rows.empty:
        return ""
    twins = clean_twins(rows)
    arms = list(dict.fromkeys(rows["arm"])) if "arm" in rows else []
    lines = [arm_line(arm, rows, twins, results) for arm in arms]
    poisoned = rows[rows["condition"] == "poisoned"]
    seconds = _values(rows.drop_duplicates(["seed", "arm", "condition", "after_stage", "metric"]), "scan_seconds")
    lines.append(f"Every backdoored model against every clean twin after the same stage: "
                 f"{_scores(poisoned, twins, SCORE, 'consensus of the found suffix')}; "
                 f"{_scores(poisoned, twins, RANDOM, 'of random suffixes')}; "
                 f"{_and(_scores(poisoned, twins, BAIT, 'BAIT Q-score'))}"
                 f"{_and(_scores(poisoned, twins, BAIT_JUDGED, 'BAIT with its target judge'))}the search took "
                 f"{_mean(seconds)} s a model")
    return " ".join(f"{line}." for line in lines)
