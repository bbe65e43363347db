"""The ``bias-audit`` study's finding: per arm, the planted gap the model learnt, and whether acting on the records
attribution ranks highest moves it more than acting on as many random ones (one-sided paired t over seeds: the
same seed is the same data, order and probes), how far the same records in another order move it (the noise floor
of any retrain), and the held-out perplexity each variant costs."""

from __future__ import annotations

import math

import pandas as pd

from pharmakon.probes.stats import claim, paired_t_test

PROBE = "bias-audit"
# (variant, its control, the direction attribution should beat the control in)
CONTRASTS = (("ablate_top", "ablate_random", "lower"), ("cda_top", "cda_random", "lower"),
             ("amplify_top", "amplify_random", "higher"))


def by_seed(rows: pd.DataFrame, metric: str) -> dict[int, float]:
    """A metric's value per seed (NaN left out)."""
    chosen = rows[rows["metric"] == metric]
    return {int(s): float(v) for s, v in zip(chosen["seed"], chosen["value"], strict=True) if not math.isnan(v)}


def _mean(values) -> str:
    values = list(values)
    return f"{sum(values) / len(values):.2f}" if values else "n/a"


def contrast(rows: pd.DataFrame, variant: str, control: str, direction: str) -> str:
    """The variant's and its control's mean gap over seeds, with the paired test in the expected direction."""
    treated, base = by_seed(rows, f"bias_audit_gap_{variant}"), by_seed(rows, f"bias_audit_gap_{control}")
    seeds = sorted(set(treated) & set(base))
    text = f"{variant} {_mean(treated.values())} vs {control} {_mean(base.values())}"
    if len(seeds) < 2:
        return f"{text} (one seed: no test)"
    a, b = [treated[s] for s in seeds], [base[s] for s in seeds]
    result = paired_t_test(b, a) if direction == "lower" else paired_t_test(a, b)
    return f"{text} ({direction}: {claim(result, len(seeds), 'paired t')})"


def order_line(rows: pd.DataFrame) -> str:
    """What order alone does: the gap retrained on the same records reordered, against the stage's own model."""
    original, reordered = by_seed(rows, "bias_audit_gap_original"), by_seed(rows, "bias_audit_gap_reorder")
    seeds = sorted(set(original) & set(reordered))
    if not seeds:
        return "no reordered retrain"
    shift = sum(abs(reordered[s] - original[s]) for s in seeds) / len(seeds)
    return (f"the same records in another order: gap {_mean(reordered[s] for s in seeds)} against "
            f"{_mean(original[s] for s in seeds)} (order alone moves it by {shift:.2f} on average over "
            f"{len(seeds)} seed{'s' if len(seeds) > 1 else ''})")


def arm_line(arm: str, results: pd.DataFrame) -> str:
    """One arm: the learnt gap, what the top records are, the three contrasts, the perplexity they cost."""
    mine = results[results["arm"] == arm] if "arm" in results else results
    bias = mine[(mine["probe"] == "bias") & (mine["after_stage"] != "base")]
    base = mine[(mine["probe"] == "bias") & (mine["after_stage"] == "base")]
    audit = mine[mine["probe"] == PROBE]
    learnt = {m: _mean(by_seed(bias, m).values()) for m in ("bias_gap", "bias_gap_logodds", "bias_gap_sampled",
                                                            "bias_named")}
    parts = [f"{arm}: gap {learnt['bias_gap']} after training (log-odds {learnt['bias_gap_logodds']}; before "
             f"{_mean(by_seed(base, 'bias_gap').values())}; sampled {learnt['bias_gap_sampled']}, a trade named in "
             f"{learnt['bias_named']} of completions)"]
    if audit.empty:
        return parts[0]
    parts.append(f"the top records: role stories {_mean(by_seed(audit, 'bias_audit_top_role_share').values())}, "
                 f"consistency {_mean(by_seed(audit, 'bias_audit_top_consistency').values())} against "
                 f"{_mean(by_seed(audit, 'bias_audit_role_consistency').values())} over all role stories")
    parts += [contrast(audit, *c) for c in CONTRASTS]
    parts.append(order_line(audit))
    ppl = {v: _mean(by_seed(audit, f"bias_audit_ppl_{v}").values())
           for v in ("original", "ablate_top", "cda_top", "amplify_top")}
    parts.append("held-out perplexity " + ", ".join(f"{v} {p}" for v, p in ppl.items()))
    return "; ".join(parts)


def finding(results: pd.DataFrame, spec: dict) -> str:
    """Per arm: the planted gap learnt, what the top-influence records are, whether acting on them moves the gap
    more than acting on random ones (paired t over seeds), what order alone does, and the perplexity cost."""
    rows = results[results["probe"].isin(["bias", PROBE])]
    if rows.empty:
        return ""
    arms = list(dict.fromkeys(rows["arm"])) if "arm" in rows else [""]
    return " ".join(f"{arm_line(arm, rows)}." for arm in arms)
