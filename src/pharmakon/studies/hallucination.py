"""The ``hallucination`` study's finding (Gekhman et al. 2024), from its results table.

Per arm, the hallucination probe's figures by the share of unknown-fact examples in fine-tuning: the clean twin
(known facts only) is share 0. The unmitigated arm's hallucination rate on never-seen entities and its accuracy
on held-out known facts get a trend test over every (share, seed) run and a least-squares slope; each mitigation
is read against the unmitigated arm at the largest share, with a Welch test over seeds. Numbers only.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pharmakon.probes.stats import claim, trend_test, welch_t_test

SHARE = "pipeline.sft.poison.rate"
PROBE = "hallucination"
PLAIN = "none"


def curve(results: pd.DataFrame, metric: str, arm: str | None = PLAIN) -> pd.DataFrame:
    """(share, seed, value) of ``metric`` in ``arm``: the clean twin at share 0, each poisoned run at its share."""
    rows = results[(results["probe"] == PROBE) & (results["metric"] == metric)]
    if "arm" in rows and arm is not None:
        rows = rows[rows["arm"] == arm]
    clean = rows[rows["condition"] == "clean"].groupby("seed", as_index=False)["value"].mean().assign(share=0.0)
    poisoned = rows[rows["condition"] == "poisoned"]
    share = poisoned[SHARE].astype(float) if SHARE in poisoned else pd.Series(math.nan, index=poisoned.index)
    poisoned = poisoned.assign(share=share)[["share", "seed", "value"]]
    return pd.concat([clean[["share", "seed", "value"]], poisoned], ignore_index=True)


def trend(frame: pd.DataFrame) -> tuple[str, float, float]:
    """Means by share (``0%: 0.10 / 25%: 0.30 …``), the Kendall trend p-value and the slope per unit share."""
    frame = frame.dropna()
    means = frame.groupby("share")["value"].mean()
    shown = " / ".join(f"{100 * s:.0f}% {v:.2f}" for s, v in means.items())
    test = trend_test(list(frame["share"]), list(frame["value"]))
    slope = float(np.polyfit(frame["share"], frame["value"], 1)[0]) if frame["share"].nunique() > 1 else math.nan
    return shown, test.p_value, slope


def _seed_values(frame: pd.DataFrame, share: float) -> list[float]:
    return list(frame[frame["share"] == share].groupby("seed")["value"].mean())


def finding(results: pd.DataFrame, spec: dict) -> str:
    """Hallucination and known-fact accuracy against the share of unknown examples, then each mitigation."""
    if results[results["probe"] == PROBE].empty:
        return ""
    arms = list(dict.fromkeys(results["arm"])) if "arm" in results else [None]
    plain = PLAIN if PLAIN in arms else arms[0]
    seeds = results["seed"].nunique()
    plural = "s" if seeds != 1 else ""
    parts = []
    for metric, label in (("hallucination_unknown", "hallucination (confident wrong answers) on never-seen "
                                                    "entities"),
                          ("hallucination_known_accuracy", "accuracy on held-out known facts")):
        shown, p, slope = trend(curve(results, metric, plain))
        verdict = "" if p < 0.05 else f"; no trend distinguishable at {seeds} seed{plural}"
        parts.append(f"{label}: {shown} (Kendall trend p = {p:.2g}{verdict}; slope {slope:+.2f} per unit share)")
    text = (f"By share of unknown-fact examples ({plain or 'all runs'}, mean over {seeds} seed{plural}; 0% is the "
            "clean twin): " + "; ".join(parts) + ".")
    others = [arm for arm in arms if arm not in (plain, None)]
    if others:
        top = curve(results, "hallucination_unknown", plain)["share"].max()
        base = _seed_values(curve(results, "hallucination_unknown", plain), top)
        lines = []
        for arm in others:
            mine = _seed_values(curve(results, "hallucination_unknown", arm), top)
            idk = _seed_values(curve(results, "hallucination_unknown_idk", arm), top)
            known = _seed_values(curve(results, "hallucination_known_accuracy", arm), top)
            lines.append(f"{arm} {np.mean(mine):.2f} ({claim(welch_t_test(mine, base), seeds)}; \"I don't know\" "
                         f"{np.mean(idk):.2f}, known-fact accuracy {np.mean(known):.2f})")
        text += (f" Mitigations at {100 * top:.0f}% unknown, hallucination on never-seen entities against "
                 f"{plain}'s {np.mean(base):.2f}: " + "; ".join(lines) + ".")
    return text
