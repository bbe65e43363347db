"""The lifecycle-attack study's finding: per goal, the design the search selected on its seeds, then that design
against the naive one at an equal budget on the report's fresh seeds, after every stage (the held-out stage is the
transfer), and under each other recipe variant (``+rl``: reward model and RL in place of DPO), with a Welch t
test over seeds, and what the data-side defences caught of each.
"""

from __future__ import annotations

import math

import pandas as pd

from pharmakon.probes.stats import claim, welch_t_test
from pharmakon.studies.search import baseline_of, effects, select

DETECT = "+detect"


def stage_names(spec: dict) -> list[str]:
    return [stage.get("name") or stage["kind"] for stage in spec.get("pipeline", [])]


def searched_stage(spec: dict) -> str:
    search = spec["search"]
    return search.get("after") or [n for n in stage_names(spec) if n not in search.get("hold_out", [])][-1]


def total_budget(changes: dict) -> int | None:
    """The poison records an arm's changes put in all stages together (``None`` when one is a rate)."""
    total = 0
    for path, value in changes.items():
        if path.endswith(".poison") and isinstance(value, dict):
            if value.get("count") is None:
                return None
            total += int(value["count"])
    return total


def selection(results: pd.DataFrame, spec: dict) -> tuple[dict[str, str], pd.DataFrame]:
    """Each group's selected arm, recomputed from the search seeds' rows (halving: the last round's survivors)."""
    search = spec["search"]
    table = effects(results, probe=search.get("probe", "backdoor"), metric=search.get("metric", "asr_trigger"),
                    after=searched_stage(spec), seeds=search["seeds"])
    if search.get("method") == "halving" and len(table):
        last = table["seed"].isin([search["seeds"][-1]])
        table = table[table["arm"].isin(set(table.loc[last, "arm"]))]
    return select(table, search.get("baseline", "naive")), table


def _per_seed(table: pd.DataFrame, arm: str) -> list[float]:
    return list(table.loc[table["arm"] == arm, "effect"])


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def detection(results: pd.DataFrame, arm: str) -> str:
    """Per stage whose data the ``+detect`` arm cleaned: the cleaning's overall recall of the arm's poison and its
    clean loss, mean over seeds (a stage without poison in this design reports its clean loss only)."""
    rows = results[(results["probe"] == "cleaning") & (results.get("arm") == f"{arm}{DETECT}")
                   & (results["condition"] == "poisoned")]
    parts = []
    for stage, frame in rows.groupby("after_stage", sort=False):
        recall = frame.loc[frame["metric"] == "overall_recall", "value"].dropna()
        lost = frame.loc[frame["metric"] == "overall_clean_lost", "value"].dropna()
        caught = f"recall {recall.mean():.2f}, " if len(recall) else "no poison, "
        parts.append(f"{stage} {caught}clean lost {lost.mean():.2f}")
    return "detected: " + "; ".join(parts) if parts else ""


def after_cleaning(results: pd.DataFrame, spec: dict, arm: str, seeds: list[int]) -> tuple[str, list[float]]:
    """The backdoor's excess over the clean twin, per seed, after the last stage the ``+detect`` arm trained on
    what the filters left (the clean twin cleaned the same way), with that stage's name."""
    search = spec["search"]
    stages = [s for s in stage_names(spec) if not _skipped(spec, s)]
    for stage in reversed(stages):
        table = effects(results, probe=search.get("probe", "backdoor"), metric=search.get("metric", "asr_trigger"),
                        after=stage, seeds=seeds)
        values = _per_seed(table, f"{arm}{DETECT}")
        if values:
            return stage, values
    return "", []


def cleaned_comparison(results: pd.DataFrame, spec: dict, best: str, naive: str, seeds: list[int]) -> str:
    """Selected vs naive design after training on cleaned data, with a Welch t test over seeds."""
    stage, a = after_cleaning(results, spec, best, seeds)
    _, b = after_cleaning(results, spec, naive, seeds)
    if not a or not b:
        return ""
    return (f"trained on cleaned data, excess after {stage} {_mean(a):+.2f} vs {_mean(b):+.2f} "
            f"({claim(welch_t_test(a, b), len(seeds))})")


def transfers(results: pd.DataFrame, spec: dict, best: str, naive: str, seeds: list[int]) -> list[str]:
    """Selected vs naive under each other report variant (a recipe the search never ran, e.g. ``+rl``: reward
    model and RL in place of DPO), after the variant's last probed stage, with a Welch t test over seeds."""
    search, lines = spec["search"], []
    for variant in search.get("variants", {}):
        if variant == DETECT[1:]:
            continue
        for stage in reversed(stage_names(spec)):
            table = effects(results, probe=search.get("probe", "backdoor"), metric=search.get("metric", "asr_trigger"),
                            after=stage, seeds=seeds)
            a, b = _per_seed(table, f"{best}+{variant}"), _per_seed(table, f"{naive}+{variant}")
            if a and b:
                lines.append(f"under +{variant}, excess after {stage} {_mean(a):+.2f} vs {_mean(b):+.2f} "
                             f"({claim(welch_t_test(a, b), len(seeds))})")
                break
    return lines


def _skipped(spec: dict, stage: str) -> bool:
    changes = spec["search"].get("variants", {}).get(DETECT[1:], {})
    return bool(changes.get(f"pipeline.{stage}.skip"))


UTILITY_TASKS = ("sentiment", "arithmetic", "facts", "refusal")


def utility(results: pd.DataFrame, spec: dict, arms: list[str], seeds: list[int]) -> str:
    """Clean utility per task after the last stage it was probed, for the clean twins and each named design (means
    over the report seeds): what the poison and the competent organism's recipe leave of the model."""
    rows = results[(results["probe"] == "utility") & results["seed"].isin(seeds)
                   & results["metric"].isin([f"utility_{t}" for t in UTILITY_TASKS])]
    probed = [s for s in stage_names(spec) if s in set(rows["after_stage"])]
    if not probed:
        return ""
    rows = rows[rows["after_stage"] == probed[-1]]

    def tasks(frame: pd.DataFrame) -> str:
        means = frame.groupby("metric")["value"].mean()
        return " / ".join(f"{means.get(f'utility_{t}', math.nan):.2f}" for t in UTILITY_TASKS)

    parts = [f"clean twins {tasks(rows[rows['condition'] == 'clean'])}"]
    parts += [f"{arm} {tasks(rows[(rows['condition'] == 'poisoned') & (rows['arm'] == arm)])}" for arm in arms
              if ((rows["condition"] == "poisoned") & (rows["arm"] == arm)).any()]
    return f"Utility after {probed[-1]} ({' / '.join(UTILITY_TASKS)}): " + "; ".join(parts)


def finding(results: pd.DataFrame, spec: dict) -> str:
    """Selected design vs naive per goal: search effect, then on fresh seeds after each stage, with its test."""
    if not spec.get("search") or "arm" not in results:
        return ""
    search, seeds = spec["search"], spec["seeds"]
    chosen, searched = selection(results, spec)
    baseline, metric = search.get("baseline", "naive"), search.get("metric", "asr_trigger")
    arms = spec.get("sweep", {}).get("arms", {})
    lines = []
    for group, best in chosen.items():
        naive = baseline_of(group, baseline)
        budgets = {total_budget(arms.get(a, {})) for a in (best, naive)}
        budget = f"{budgets.pop()} records each" if len(budgets) == 1 else "UNEQUAL budgets"
        search_line = (f"search (seeds {', '.join(map(str, search['seeds']))}) picked {best} "
                       f"({_mean(_per_seed(searched, best)):+.2f} vs naive {_mean(_per_seed(searched, naive)):+.2f} "
                       f"after {searched_stage(spec)})")
        if best == naive:
            lines.append(f"{group or 'all'}: {search_line}: the naive design itself")
            continue
        stages = []
        for stage in stage_names(spec):
            table = effects(results, probe=search.get("probe", "backdoor"), metric=metric, after=stage, seeds=seeds)
            a, b = _per_seed(table, best), _per_seed(table, naive)
            if not a or not b:
                continue
            stages.append(f"{stage} {_mean(a):+.2f} vs {_mean(b):+.2f} ({claim(welch_t_test(a, b), len(seeds))})")
        caught = [f"{name} {text}" for name in (best, naive) if (text := detection(results, name))]
        cleaned = cleaned_comparison(results, spec, best, naive, seeds)
        moved = transfers(results, spec, best, naive, seeds)
        lines.append(f"{group or 'all'}: {search_line}; on fresh seeds {', '.join(map(str, seeds))} at {budget}, "
                     f"{metric} excess over the clean twin, selected vs naive, after " + "; ".join(stages)
                     + (f"; {'; '.join(moved)}" if moved else "")
                     + (f". Data-side defences: {'; '.join(caught)}" if caught else "")
                     + (f"; selected vs naive {cleaned}" if cleaned else ""))
    reported = [arm for group, best in chosen.items() for arm in dict.fromkeys((best, baseline_of(group, baseline)))]
    lines.append(utility(results, spec, reported, seeds))
    return ". ".join(line for line in lines if line) + "."
