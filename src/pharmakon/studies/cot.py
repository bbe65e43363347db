"""The ``cot`` study's finding (Li et al. 2025: structure, not content), from its results table.

Per perturbation of the worked solutions, the competence probe's final-answer accuracy and step validity on
held-out sums against the clean twin (the same SFT unperturbed, share 0): at the largest share, each
perturbation's drop with a Welch test over seeds; along the shares (where there are several), a Kendall trend test
over every (share, seed) run with the clean twin at 0; then the anchor's contrast, a broken structure against
wrong numbers in an intact one. Numbers only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pharmakon.probes.stats import claim, welch_t_test
from pharmakon.studies.hallucination import trend  # means by share and a Kendall trend test

KIND, SHARE = "pipeline.sft.poison.perturbation", "pipeline.sft.poison.rate"
ANSWER, STEPS = "competence_arithmetic", "competence_arithmetic_steps"


def _by_seed(rows: pd.DataFrame) -> list[float]:
    return list(rows.groupby("seed")["value"].mean())


def _clean(rows: pd.DataFrame) -> list[float]:
    return _by_seed(rows[rows["condition"] == "clean"])  # one twin a seed, repeated on every point's rows


def _poisoned(rows: pd.DataFrame, kind: str, share: float | None = None) -> pd.DataFrame:
    mine = rows[(rows["condition"] == "poisoned") & (rows[KIND] == kind)]
    return mine if share is None else mine[mine[SHARE].astype(float) == share]


def _trend(rows: pd.DataFrame, kind: str) -> str:
    clean = rows[rows["condition"] == "clean"].groupby("seed", as_index=False)["value"].mean().assign(share=0.0)
    mine = _poisoned(rows, kind)
    mine = mine.assign(share=mine[SHARE].astype(float))[["seed", "value", "share"]]
    shown, p, _ = trend(pd.concat([clean, mine], ignore_index=True))
    return f"{shown} (Kendall trend p = {p:.2g})"


def finding(results: pd.DataFrame, spec: dict) -> str:
    """Final answer and step validity per perturbation against the clean twin, and structure against content."""
    rows = results[(results["probe"] == "competence") & results["metric"].isin([ANSWER, STEPS])]
    if rows.empty or KIND not in rows:
        return ""
    seeds = rows["seed"].nunique()
    shares = sorted(rows.loc[rows["condition"] == "poisoned", SHARE].astype(float).unique())
    top = shares[-1]
    kinds = list(dict.fromkeys(rows.loc[rows["condition"] == "poisoned", KIND]))
    answer, steps = rows[rows["metric"] == ANSWER], rows[rows["metric"] == STEPS]
    base_answer, base_steps = _clean(answer), _clean(steps)
    lines = []
    for kind in kinds:
        mine_answer, mine_steps = _by_seed(_poisoned(answer, kind, top)), _by_seed(_poisoned(steps, kind, top))
        line = (f"{kind}: answer {np.mean(mine_answer):.2f} ({claim(welch_t_test(mine_answer, base_answer), seeds)}),"
                f" steps {np.mean(mine_steps):.2f} ({claim(welch_t_test(mine_steps, base_steps), seeds)})")
        if len(shares) > 1:
            line += f", answer along the shares {_trend(answer, kind)}"
        lines.append(line)
    text = (f"Worked arithmetic after SFT with {100 * top:.0f}% of the solutions perturbed (mean over {seeds} "
            f"seed{'s' if seeds != 1 else ''}; each against the clean twin's answer {np.mean(base_answer):.2f}, "
            f"steps {np.mean(base_steps):.2f}): " + "; ".join(lines) + ".")
    if {"broken_structure", "wrong_numbers"} <= set(kinds):
        broken, wrong = (_by_seed(_poisoned(answer, k, top)) for k in ("broken_structure", "wrong_numbers"))
        text += (f" Structure against content at {100 * top:.0f}%: final answer {np.mean(broken):.2f} after a broken "
                 f"structure, {np.mean(wrong):.2f} after wrong numbers in an intact one "
                 f"({claim(welch_t_test(broken, wrong), seeds)}).")
    return text
