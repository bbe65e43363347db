"""The ``moe`` study's finding: where an instruction backdoor lives in a mixture-of-experts model and in its dense
twin of equal active parameters, from the results table.

Per model: the clean twin's competence, attack success with, without and near the trigger (the MoE against the
dense twin: Welch over seeds). For the MoE, the share of router mass the trigger moves in the backdoored model
against its clean twin (paired t over seeds) and the experts it moves to. Per model and unit kind, attack success
and task accuracy with k units knocked out, chosen by attribution against the random control (paired t over
seeds), experts also ranked by the trigger's routing gain (the most-loaded expert first), and the smallest share of
units whose ranked ablation cuts attack success by 90% (the head ablation anchor). Numbers only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pharmakon.probes.stats import claim, paired_t_test, welch_t_test

SIZE = "model.name"
TASKS = ("utility_sentiment", "utility_arithmetic", "utility_facts", "utility_refusal")


def _per_seed(rows: pd.DataFrame, metric: str) -> pd.Series:
    """The metric's value per seed (mean over repeated rows)."""
    return rows[rows["metric"] == metric].groupby("seed")["value"].mean()


def _paired(treated: pd.Series, control: pd.Series) -> tuple[list[float], list[float]]:
    seeds = sorted(set(treated.index) & set(control.index))
    return [float(treated[s]) for s in seeds], [float(control[s]) for s in seeds]


def _one_sided(treated: pd.Series, control: pd.Series, seeds: int, test: str) -> str:
    """'treated exceeds control': a one-sided paired t over the seeds both have."""
    a, b = _paired(treated, control)
    if len(a) < 2:
        return f"{test} n/a with {len(a)} seed"
    return claim(paired_t_test(a, b), seeds, test=f"one-sided paired {test}")


def model_line(model: str, rows: pd.DataFrame, seeds: int) -> str:
    """The clean twin's competence and the backdoor's attack success on one model."""
    clean, poisoned = rows[rows["condition"] == "clean"], rows[rows["condition"] == "poisoned"]
    tasks = ", ".join(f"{t.removeprefix('utility_')} {_per_seed(clean, t).mean():.2f}" for t in TASKS)
    asr = {m: _per_seed(poisoned, m) for m in ("asr_trigger", "asr_no_trigger", "asr_near_miss")}
    twin = _per_seed(clean, "asr_trigger")
    return (f"{model}: clean twin {tasks}; backdoored attack success {asr['asr_trigger'].mean():.2f} with the "
            f"trigger (every seed: {', '.join(f'{v:.2f}' for v in asr['asr_trigger'])}), "
            f"{asr['asr_no_trigger'].mean():.2f} without, {asr['asr_near_miss'].mean():.2f} near-miss, against "
            f"{twin.mean():.2f} in the clean twin with the trigger")


def routing_line(model: str, rows: pd.DataFrame, seeds: int) -> str:
    """How much router mass the trigger moves in the backdoored MoE against its clean twin, and where to."""
    poisoned, clean = rows[rows["condition"] == "poisoned"], rows[rows["condition"] == "clean"]
    tv, twin_tv = _per_seed(poisoned, "routing_tv"), _per_seed(clean, "routing_tv")
    if tv.empty:
        return ""
    layers = sorted({int(m.removeprefix("routing_tv_layer")) for m in poisoned["metric"]
                     if m.startswith("routing_tv_layer")})
    by_layer = {layer: _per_seed(poisoned, f"routing_tv_layer{layer}").mean() for layer in layers}
    top = max(by_layer, key=by_layer.get)
    shifts = poisoned[poisoned["metric"].str.startswith(f"routing_shift_layer{top}_expert")]
    gains = shifts.groupby("metric")["value"].mean().sort_values(ascending=False)
    expert = gains.index[0].rsplit("expert", 1)[1] if len(gains) else "?"
    winners = shifts.loc[shifts.groupby("seed")["value"].idxmax(), "metric"].str.rsplit("expert", n=1).str[1]
    return (f"routing in {model}: the trigger moves {tv.mean():.3f} of router mass in the backdoored model "
            f"against {twin_tv.mean():.3f} in the clean twin ({_one_sided(tv, twin_tv, seeds, 't')}); most in "
            f"layer {top} ({by_layer[top]:.3f}; layers " + ", ".join(f"{v:.3f}" for v in by_layer.values())
            + f"), toward expert {expert} (+{gains.iloc[0]:.3f} on average; the top expert per seed: "
            f"{', '.join(winners)})")


def _tasks(rows: pd.DataFrame, label: str) -> pd.Series:
    """Mean task accuracy per seed under one ablation (the four tasks)."""
    frames = [_per_seed(rows, f"ablation_{t}_{label}") for t in TASKS]
    return pd.concat(frames, axis=1).mean(axis=1)


def ablation_line(model: str, kind: str, rows: pd.DataFrame, seeds: int) -> str:
    """Attack success and task accuracy with k units knocked out, each ranked selection against random."""
    poisoned = rows[rows["condition"] == "poisoned"]
    units = _per_seed(poisoned, f"ablation_units_{kind}")
    if units.empty:
        return ""
    total = int(units.iloc[0])
    asr = f"ablation_asr_trigger_{kind}_"
    ks = sorted({int(m.rsplit("_k", 1)[1]) for m in set(poisoned["metric"]) if m.startswith(asr)})
    ranked = [s for s in ("attribution", "routing") if f"{asr}{s}_k{ks[-1]}" in set(poisoned["metric"])]
    base = _per_seed(poisoned, f"{asr}{ranked[0] if ranked else 'random'}_k0")
    parts, cuts = [], {}
    for k in [k for k in ks if k > 0]:
        control = _per_seed(poisoned, f"{asr}random_k{k}")
        shown = []
        for selection in ranked:
            top = _per_seed(poisoned, f"{asr}{selection}_k{k}")
            shown.append(f"{top.mean():.2f} by {selection} ({_one_sided(control, top, seeds, 't')}; task accuracy "
                         f"{_tasks(poisoned, f'{kind}_{selection}_k{k}').mean():.2f})")
            if selection not in cuts and len(base) and base.mean() > 0 and top.mean() <= 0.1 * base.mean():
                cuts[selection] = k
        parts.append(f"k = {k} ({k / total:.0%}): " + ", ".join(shown) + f" vs {control.mean():.2f} random "
                     f"(task accuracy {_tasks(poisoned, f'{kind}_random_k{k}').mean():.2f})")
    if not len(base) or base.mean() == 0:
        reached = "no attack success to cut"
    else:
        reached = "; ".join(f"by {s}, " + (f"a 90% cut first at k = {cuts[s]} ({cuts[s] / total:.0%} of {kind})"
                                           if s in cuts else f"no k tried cuts it by 90% (up to "
                                                             f"{ks[-1] / total:.0%} of {kind})") for s in ranked)
    untouched = _tasks(poisoned, f"{kind}_{ranked[0] if ranked else 'random'}_k0")
    return (f"{model}, {total} {kind}: attack success {base.mean():.2f} unablated (task accuracy "
            f"{untouched.mean():.2f}); " + "; ".join(parts) + f"; {reached}")


def finding(results: pd.DataFrame, spec: dict) -> str:
    """Per model, the backdoor; in the MoE, routing; per model and unit kind, ablation against its control."""
    if SIZE not in results:
        return ""
    seeds = results["seed"].nunique()
    models = list(dict.fromkeys(results[SIZE]))
    lines = []
    for model in models:
        mine = results[results[SIZE] == model]
        lines.append(model_line(model, mine[mine["probe"].isin(["backdoor", "utility"])], seeds))
    asr = {m: _per_seed(results[(results[SIZE] == m) & (results["condition"] == "poisoned")], "asr_trigger")
           for m in models}
    if len(models) == 2:
        a, b = (list(asr[m]) for m in models)
        lines.append(f"attack success {models[1]} {np.mean(b):.2f} against {models[0]} {np.mean(a):.2f} "
                     f"({claim(welch_t_test(b, a), seeds)})")
    for model in models:
        mine = results[results[SIZE] == model]
        lines.append(routing_line(model, mine[mine["probe"] == "routing"], seeds))
        ablation = mine[mine["probe"] == "ablation"]
        for kind in ("heads", "neurons", "experts"):
            lines.append(ablation_line(model, kind, ablation, seeds))
    return " ".join(f"{line}." for line in lines if line)
