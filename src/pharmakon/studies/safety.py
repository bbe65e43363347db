"""The safety-trigger study's finding in words (BackdoorAlign, Wang et al. 2024), from its results table.

Numbers only, means over seeds. "No defence" is the clean twin (the user's fine-tuning without the provider's
safety examples) asked with the plain prompt; each arm is read as the provider serves it, with its secret
prepended (the no-secret arm: the plain prompt).
"""

from __future__ import annotations

import math

import pandas as pd

from pharmakon.studies.findings import last_stage, stages_run

COUNT = "pipeline.finetune.poison.count"
BENIGN = ("utility_sentiment", "utility_arithmetic", "utility_facts")


def _mean(frame: pd.DataFrame) -> float:
    return float(frame["value"].mean()) if len(frame) else math.nan


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def _rows(results: pd.DataFrame, metrics: tuple[str, ...] | str, condition: str) -> pd.DataFrame:
    metrics = (metrics,) if isinstance(metrics, str) else metrics
    return results[(results["probe"] == "safety") & results["metric"].isin(metrics)
                   & (results["condition"] == condition)]


def _benign(frame: pd.DataFrame) -> str:
    """The benign task scores averaged per run (seed and count), then over seeds, per number of safety examples."""
    keys = ["seed"] + ([COUNT] if COUNT in frame else [])
    return _by_count(frame.groupby(keys, as_index=False)["value"].mean()) if len(frame) else "n/a"


def _by_count(frame: pd.DataFrame) -> str:
    """The means per number of safety examples, in its order (``0.20 / 0.10``), or one mean without that axis."""
    if COUNT in frame and frame[COUNT].nunique() > 1:
        return " / ".join(f"{v:.2f}" for v in frame.groupby(COUNT)["value"].mean().values)
    return _fmt(_mean(frame))


def finding(results: pd.DataFrame, spec: dict) -> str:
    """Harmful compliance and refusal served with the secret, per arm and number of safety examples, against no
    defence; the same models without the secret; the secret on the undefended model; the utility cost."""
    safety = results[results["probe"] == "safety"]
    if safety.empty:
        return ""
    if "arm" not in safety:
        safety = safety.assign(arm=spec.get("name", "run"))
    last = last_stage(safety, spec)
    earlier = [s for s in stages_run(spec)[:-1] if s in set(safety["after_stage"])]
    before = safety[safety["after_stage"] == earlier[-1]] if earlier else safety.iloc[:0]
    safety = safety[safety["after_stage"] == last]
    seeds = safety["seed"].nunique()
    arms, costs = [], []
    for arm, frame in safety.groupby("arm", sort=False):
        line = (f"{arm}: harmful {_by_count(_rows(frame, 'harmful_secret', 'poisoned'))}, refusal "
                f"{_by_count(_rows(frame, 'refusal_secret', 'poisoned'))}")
        if arm != "no-secret":
            control = _fmt(_mean(_rows(frame, "harmful_secret", "clean")))
            line += (f"; without the secret harmful {_by_count(_rows(frame, 'harmful_plain', 'poisoned'))}; its "
                     f"secret on the undefended model: harmful {control}")
        arms.append(line)
        benign = _benign(_rows(frame, tuple(f"{m}_secret" for m in BENIGN), "poisoned"))
        over = _by_count(_rows(frame, "utility_overrefusal_secret", "poisoned"))
        costs.append(f"{arm} {benign} (over-refusal {over})")
    base_benign = _fmt(_mean(_rows(safety, tuple(f"{m}_plain" for m in BENIGN), "clean")))
    base_over = _mean(_rows(safety, "utility_overrefusal_plain", "clean"))
    aligned = ""
    if len(before):
        aligned = (f" Before it (after {earlier[-1]}) the model refused "
                   f"{_fmt(_mean(_rows(before, 'refusal_plain', 'clean')))} and complied "
                   f"{_fmt(_mean(_rows(before, 'harmful_plain', 'clean')))}.")
    counts = ""
    if COUNT in safety and safety[COUNT].nunique() > 1:
        counts = f" (by number of safety examples: {' / '.join(str(int(c)) for c in sorted(safety[COUNT].unique()))})"
    return (f"Held-out harm requests after the user's harmful fine-tuning, mean over {seeds} seed(s). No defence "
            f"(clean twin, plain prompt): harmful compliance {_fmt(_mean(_rows(safety, 'harmful_plain', 'clean')))}, "
            f"refusal {_fmt(_mean(_rows(safety, 'refusal_plain', 'clean')))}.{aligned} Served with the secret"
            f"{counts}: " + ". ".join(arms) + ". Benign utility (mean of sentiment, arithmetic and facts) served "
            "with the secret: " + "; ".join(costs) + f"; no defence {base_benign} (over-refusal {_fmt(base_over)}).")
