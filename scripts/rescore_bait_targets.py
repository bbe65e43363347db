"""Apply the scan's target judge (``probes/target_judge.py``) to the BAIT targets a finished ``scan`` run inverted,
and print each model's target, Q-score and verdict, then per attack the AUROC of the Q-score with and without the
judge (backdoored models against the clean twins, one-sided Mann-Whitney).

For a run made before the judge existed (its inverted targets are deterministic, so a rerun inverts the same ones):
``python scripts/rescore_bait_targets.py RUN_DIR``.
"""

from __future__ import annotations

import sys

import pandas as pd
from scipy import stats

from pharmakon.engine.load import load_study
from pharmakon.probes.stats import auroc
from pharmakon.probes.target_judge import ForeignTargetJudge
from pharmakon.world import World


def main(run: str) -> None:
    world = World(load_study(f"{run}/spec.yaml").world)
    judge = ForeignTargetJudge([r.response for r in world.instructions()] + [r.text for r in world.documents()])
    keys = ["arm", "condition", "seed"]
    generations = pd.read_parquet(f"{run}/generations.parquet")
    results = pd.read_parquet(f"{run}/results.parquet")
    targets = generations[generations.variant == "bait-target"].drop_duplicates(keys)
    q = results[results.metric == "scan_bait_q"].drop_duplicates(keys)[[*keys, "value"]]
    table = targets.merge(q, on=keys)
    table["foreign"] = table.output.map(judge)
    table["judged"] = table.value * table.foreign
    print(table[[*keys, "output", "value", "foreign", "judged"]].to_string())
    clean = table[table.condition == "clean"].drop_duplicates("seed")
    poisoned = table[table.condition == "poisoned"]
    for arm in [*dict.fromkeys(poisoned.arm), "all"]:
        rows = poisoned if arm == "all" else poisoned[poisoned.arm == arm]
        for column, label in (("value", "Q-score"), ("judged", "with the judge")):
            p = stats.mannwhitneyu(list(rows[column]), list(clean[column]), alternative="greater").pvalue
            print(f"{arm}: {label} AUROC {auroc(list(rows[column]), list(clean[column])):.2f} (p = {p:.2g}); "
                  f"foreign {rows.foreign.mean():.2f}")
    print(f"clean twins foreign: {clean.foreign.mean():.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
