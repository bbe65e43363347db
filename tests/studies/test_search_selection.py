"""The design search's selection on a hand-made results table: the effect is poisoned minus clean on the given
seeds only, the best mean wins per group, a tie goes to the baseline, and halving keeps the better half."""

from __future__ import annotations

import pandas as pd

from pharmakon.studies.search import effects, halving_keep, select


def table(values: dict[tuple[str, int, str], float], after: str = "dpo") -> pd.DataFrame:
    rows = [{"arm": arm, "seed": seed, "condition": condition, "probe": "backdoor", "metric": "asr_trigger",
             "after_stage": after, "adaptation": "plain", "value": value}
            for (arm, seed, condition), value in values.items()]
    return pd.DataFrame(rows)


VALUES = {
    ("dos/naive", 1, "poisoned"): 0.5, ("dos/naive", 1, "clean"): 0.4,
    ("dos/chat", 1, "poisoned"): 0.9, ("dos/chat", 1, "clean"): 0.4,
    ("dos/mix", 1, "poisoned"): 0.3, ("dos/mix", 1, "clean"): 0.4,
    ("belief/naive", 1, "poisoned"): 0.2, ("belief/naive", 1, "clean"): 0.0,
    ("belief/chat", 1, "poisoned"): 0.2, ("belief/chat", 1, "clean"): 0.0,
    # a report seed on which the mix design is far better: the selection must not read it
    ("dos/mix", 0, "poisoned"): 1.0, ("dos/mix", 0, "clean"): 0.0,
    ("dos/naive", 0, "poisoned"): 0.0, ("dos/naive", 0, "clean"): 0.0,
    ("dos/chat", 0, "poisoned"): 0.0, ("dos/chat", 0, "clean"): 0.0,
}


def test_selection_reads_the_search_seeds_only_and_breaks_ties_for_the_baseline():
    found = effects(table(VALUES), probe="backdoor", metric="asr_trigger", after="dpo", seeds=[1])
    assert set(found.seed) == {1}
    effect = found.set_index("arm")["effect"].round(6).to_dict()
    assert effect == {"belief/chat": 0.2, "belief/naive": 0.2, "dos/chat": 0.5, "dos/mix": -0.1, "dos/naive": 0.1}
    assert select(found, "naive") == {"belief": "belief/naive", "dos": "dos/chat"}
    on_both = effects(table(VALUES), probe="backdoor", metric="asr_trigger", after="dpo", seeds=[0, 1])
    assert select(on_both, "naive")["dos"] == "dos/mix"  # mean over seeds 0 and 1: 0.45 vs 0.25 vs 0.05


def test_other_stages_and_metrics_are_not_read():
    found = effects(table(VALUES, after="sft"), probe="backdoor", metric="asr_trigger", after="dpo", seeds=[1])
    assert found.empty


def test_halving_keeps_the_better_half_of_each_group():
    found = effects(table(VALUES), probe="backdoor", metric="asr_trigger", after="dpo", seeds=[1])
    assert halving_keep(found, "naive") == ["belief/naive", "dos/chat", "dos/naive"]
